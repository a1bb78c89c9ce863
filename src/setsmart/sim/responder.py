"""The answer of silent 3.5 devices to a REQ_DEVINFO (cmd 0x25) request on UDP.

One responder serves a whole fleet: it listens on one loopback address and port, and for
each "who is there" request (`{"from":"app","ip":...}` in a 6699 frame under the UDP key)
every running 3.5 device sends its discovery frame by unicast to the requester: to the
`ip` of the request and the port the request came from. Anything else is ignored, and so
is a request naming an address outside 127.0.0.0/8.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Callable, Iterable

from setsmart.protocol import AppRequest, Command, DiscoveryError, decode_datagram
from setsmart.protocol.constants import PREFIX_6699_BYTES
from setsmart.sim.device import SimDevice
from setsmart.sim.errors import LoopbackOnlyError
from setsmart.sim.loopback import require_loopback

_CMD_6699 = struct.Struct(">I")
_CMD_OFFSET = 10  # prefix (4) + reserved (2) + seqno (4)


def _is_devinfo_request(data: bytes) -> bool:
    return (
        data.startswith(PREFIX_6699_BYTES)
        and len(data) >= _CMD_OFFSET + 4
        and _CMD_6699.unpack_from(data, _CMD_OFFSET)[0] == Command.REQ_DEVINFO
    )


class DevInfoResponder(asyncio.DatagramProtocol):
    """Answers REQ_DEVINFO for the 3.5 devices that `devices()` lists."""

    def __init__(self, devices: Callable[[], Iterable[SimDevice]]) -> None:
        self._devices = devices
        self._transport: asyncio.DatagramTransport | None = None
        self.requests = 0  # requests answered
        self.ignored = 0  # datagrams that were not a usable REQ_DEVINFO

    @property
    def address(self) -> tuple[str, int] | None:
        if self._transport is None:
            return None
        host, port = self._transport.get_extra_info("sockname")[:2]
        return str(host), int(port)

    async def start(self, host: str, port: int = 0) -> tuple[str, int]:
        """Listen on the loopback host:port (0: a free port); returns the address bound."""
        require_loopback(host, "REQ_DEVINFO responder address")
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: self, local_addr=(host, port))
        self._transport = transport
        address = self.address
        assert address is not None  # noqa: S101 (just bound)
        return address

    def stop(self) -> None:
        transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        if not _is_devinfo_request(data):
            self.ignored += 1
            return
        try:
            message = decode_datagram(data)
        except DiscoveryError:
            self.ignored += 1
            return
        if not isinstance(message, AppRequest) or message.ip is None:
            self.ignored += 1
            return
        try:
            target = (require_loopback(message.ip, "REQ_DEVINFO reply address"), int(addr[1]))
        except LoopbackOnlyError:
            self.ignored += 1
            return
        self.requests += 1
        for device in self._devices():
            if device.version == "3.5" and device.running:
                device.send_discovery(target)
