"""The few lines an import prints on stderr: what came in, what was left out and why."""

from __future__ import annotations

from collections import Counter

from setsmart.config.importers.model import ImportResult
from setsmart.config.model import DEVICE_TYPES


def import_summary(result: ImportResult) -> str:
    """``5 devices: 2 plug, 1 strip...``, then skipped devices and notes, one per line."""
    devices = result.devices
    counts = Counter(device.type for device in devices)
    by_type = ", ".join(f"{counts[kind]} {kind}" for kind in DEVICE_TYPES if counts[kind])
    line = f"{len(devices)} device{'' if len(devices) == 1 else 's'}"
    line += f": {by_type}" if by_type else ""
    keyless = [d.name for d in devices if d.local_key is None and d.gateway is None]
    if keyless:
        line += f"; {len(keyless)} without a local key (cloud only): {', '.join(keyless)}"
    gateways = list(dict.fromkeys(d.gateway for d in devices if d.gateway is not None))
    if gateways:
        children = sum(d.gateway is not None for d in devices)
        line += f"; {children} behind gateway{'' if len(gateways) == 1 else 's'} "
        line += ", ".join(gateways)
    lines = [line]
    if result.skipped:
        lines.append(f"skipped {len(result.skipped)}:")
        lines.extend(
            f"  {skip.name or '(no name)'} ({skip.id}): {skip.reason}" for skip in result.skipped
        )
    lines.extend(f"note: {note}" for note in result.notes)
    return "\n".join(lines)
