"""Finding a device's protocol version when neither the config nor a beacon says it.

Each guess is one connection: a wrong guess can make a device refuse connections for a
while, so the daemon probes only devices that never announce themselves.
"""

from __future__ import annotations

from dataclasses import replace

from setsmart.lan.connection import Connection, Target
from setsmart.lan.errors import ConnectFailed, LanError, VersionMismatch
from setsmart.protocol import Version

_GUESSES: tuple[Version, ...] = ("3.3", "3.4", "3.5", "3.1")


async def probe_version(target: Target, *, time_limit: float) -> Version:
    """Try the versions in order of how common they are; the first that answers wins."""
    reasons: list[str] = []
    skip: set[Version] = set()
    for version in _GUESSES:
        if version in skip:
            continue
        try:
            conn = await Connection.open(replace(target, version=version), time_limit=time_limit)
            try:
                await conn.query()
            finally:
                conn.close()
        except VersionMismatch as exc:
            if "speaks protocol 3.5" in exc.cause:
                return await _confirm(target, "3.5", time_limit)
            if "3.1 to 3.3" in exc.cause:
                skip.add("3.5")
            reasons.append(f"{version}: {exc.cause}")
        except ConnectFailed as exc:
            if "timed out" not in exc.cause:
                raise
            reasons.append(f"{version}: {exc.cause}")
        except LanError as exc:
            reasons.append(f"{version}: {exc.cause}")
        else:
            return version
    raise ConnectFailed(target.name, "no protocol version worked (" + "; ".join(reasons) + ")")


async def _confirm(target: Target, version: Version, time_limit: float) -> Version:
    conn = await Connection.open(replace(target, version=version), time_limit=time_limit)
    conn.close()
    return version
