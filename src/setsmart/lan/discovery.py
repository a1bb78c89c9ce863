"""Listening for device beacons on the discovery ports, and the 3.5 probe.

Datagrams that are not beacons are reported once per sender every few minutes (a noisy
neighbour must not flood the log); phone apps' own REQ_DEVINFO broadcasts are ignored.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from setsmart.protocol import (
    AppRequest,
    Beacon,
    DiscoveryError,
    decode_datagram,
    encode_devinfo_request,
)

_REPORT_EVERY = 300.0  # seconds between two reports of garbage from one sender


@dataclass(frozen=True, slots=True)
class Sighting:
    """A beacon, with the address it really came from."""

    beacon: Beacon
    source: str


class _Endpoint(asyncio.DatagramProtocol):
    def __init__(self, listener: DiscoveryListener, port: int) -> None:
        self.listener = listener
        self.port = port

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        self.listener.handle(data, str(addr[0]), self.port)


class DiscoveryListener:
    """UDP sockets on `ports` at `bind`; `on_sighting` for each device beacon."""

    def __init__(
        self,
        *,
        bind: str,
        ports: Sequence[int],
        on_sighting: Callable[[Sighting], None],
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self.bind = bind
        self.ports = tuple(ports)
        self.on_sighting = on_sighting
        self.on_error = on_error
        self._transports: dict[int, asyncio.DatagramTransport] = {}
        self._reported: dict[str, float] = {}

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            for port in self.ports:
                transport, _ = await loop.create_datagram_endpoint(
                    lambda port=port: _Endpoint(self, port),  # type: ignore[misc]
                    local_addr=(self.bind, port),
                    reuse_port=True,
                    allow_broadcast=True,
                )
                self._transports[port] = transport
        except OSError:
            self.close()
            raise

    @property
    def bound_ports(self) -> tuple[int, ...]:
        """The ports actually bound (differs from `ports` where 0 asked for a free one)."""
        return tuple(t.get_extra_info("sockname")[1] for t in self._transports.values())

    def probe(self, target: str, port: int | None = None) -> None:
        """Ask 3.5 devices to announce themselves: REQ_DEVINFO to `target`, from the last port."""
        if not self._transports:
            raise RuntimeError("discovery listener is not started")
        transport = list(self._transports.values())[-1]
        own_port = transport.get_extra_info("sockname")[1]
        dest_port = own_port if port is None else port
        request = encode_devinfo_request(local_address_for(target, dest_port, self.bind))
        transport.sendto(request, (target, dest_port))

    def handle(self, data: bytes, source: str, port: int) -> None:
        try:
            found = decode_datagram(data)
        except DiscoveryError as exc:
            self._report(source, port, str(exc))
            return
        if isinstance(found, AppRequest):
            return
        self.on_sighting(Sighting(found, source))

    def close(self) -> None:
        for transport in self._transports.values():
            transport.close()
        self._transports.clear()

    def _report(self, source: str, port: int, reason: str) -> None:
        now = asyncio.get_running_loop().time()
        last = self._reported.get(source)
        if last is not None and now - last < _REPORT_EVERY:
            return
        if len(self._reported) > 1024:
            self._reported.clear()
        self._reported[source] = now
        if self.on_error is not None:
            self.on_error(f"ignored a datagram from {source} on UDP port {port}: {reason}")


def local_address_for(target: str, port: int, bind: str) -> str:
    """The address of ours that `target` would see: the bound one, or the route's source."""
    if bind not in ("0.0.0.0", "", "::"):  # noqa: S104 (comparing, not binding)
        return bind
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        try:
            sock.connect((target, port))  # no packet is sent: this only picks a route
        except OSError:
            return "0.0.0.0"  # noqa: S104 (no route: say nothing better)
        return str(sock.getsockname()[0])
