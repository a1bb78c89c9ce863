"""Listening for a while to find devices (`setsmart scan`, and finding one device's address)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence

from setsmart.lan.discovery import DiscoveryListener, Sighting

_PROBE_EVERY = 5.0  # seconds between two REQ_DEVINFO probes during a scan


async def scan(
    *,
    bind: str,
    ports: Sequence[int],
    probe: str | None,
    duration: float,
    until: Callable[[Sighting], bool] | None = None,
    on_error: Callable[[str], None] | None = None,
) -> list[Sighting]:
    """Collect beacons for `duration` seconds, or until `until` accepts one; newest per id."""
    found: dict[str, Sighting] = {}
    done = asyncio.Event()

    def on_sighting(sighting: Sighting) -> None:
        found[sighting.beacon.device_id] = sighting
        if until is not None and until(sighting):
            done.set()

    listener = DiscoveryListener(bind=bind, ports=ports, on_sighting=on_sighting, on_error=on_error)
    await listener.start()
    try:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(duration):
                while not done.is_set():
                    if probe is not None:
                        listener.probe(probe)
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(_PROBE_EVERY):
                            await done.wait()
    finally:
        listener.close()
    return sorted(found.values(), key=lambda s: s.beacon.device_id)
