"""Loopback addresses only: checks, and handing out 127.0.x.y addresses to many devices."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from setsmart.sim.errors import LoopbackOnlyError

_LOOPBACK = ipaddress.IPv4Network("127.0.0.0/8")


def require_loopback(host: str, what: str) -> str:
    """Return `host` if it is a 127.0.0.0/8 unicast address, else LoopbackOnlyError."""
    try:
        address = ipaddress.IPv4Address(host)
    except ValueError:
        raise LoopbackOnlyError(f"{what} {host!r} is not an IPv4 address") from None
    if address not in _LOOPBACK or int(address) & 0xFF in (0, 255):
        raise LoopbackOnlyError(
            f"{what} {host} is outside 127.0.0.0/8 (or a .0/.255 address):"
            " the simulator only uses loopback"
        )
    return host


def require_loopback_target(target: tuple[str, int], what: str) -> tuple[str, int]:
    """Check a (host, port) destination: loopback host, port 1-65535."""
    host, port = target
    require_loopback(host, what)
    if not 0 < port < 65536:
        raise LoopbackOnlyError(f"{what} port {port} is not in 1-65535")
    return host, port


def loopback_hosts(first: str = "127.0.0.2") -> Iterator[str]:
    """127.0.0.2 .. 127.0.0.254, then 127.0.1.1 .. 127.0.1.254 and so on (no .0, no .255)."""
    start = int(ipaddress.IPv4Address(require_loopback(first, "first address")))
    end = int(_LOOPBACK.broadcast_address)
    for value in range(start, end):
        if value & 0xFF not in (0, 255):
            yield str(ipaddress.IPv4Address(value))
