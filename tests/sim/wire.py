"""A test client built on `setsmart.protocol.ClientSession` over a real TCP socket."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

from setsmart.protocol import (
    ClientSession,
    Event,
    Fault,
    HandshakeComplete,
    Outgoing,
    Reply,
    Version,
)
from setsmart.protocol.frame import Frame, encode_frame
from setsmart.sim import SimDevice

WAIT = 2.0  # the longest any single step of a test waits


class ConnectionClosedError(Exception):
    """The device closed the connection."""


class WireClient:
    """One connection to a simulated device; events are read on demand, with timeouts."""

    def __init__(
        self, session: ClientSession, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.session = session
        self.reader = reader
        self.writer = writer
        self.received = bytearray()  # every byte the device sent
        self._events: deque[Event] = deque()

    @classmethod
    async def connect(
        cls,
        device: SimDevice,
        *,
        key: str | None = None,
        version: Version | None = None,
        device22: bool | None = None,
        handshake: bool = True,
    ) -> WireClient:
        """Connect to `device` (with its own key and version unless told otherwise)."""
        async with asyncio.timeout(WAIT):
            reader, writer = await asyncio.open_connection(device.host, device.port)
        session = ClientSession(
            device.device_id,
            (key or device.local_key).encode("latin-1"),
            version or device.version,
            device22=device22,
        )
        client = cls(session, reader, writer)
        client._events.extend(session.start())
        client._flush()
        if handshake and session.version in ("3.4", "3.5"):
            event = await client.next_event()
            if not isinstance(event, HandshakeComplete):
                client.close()
                raise AssertionError(f"handshake failed: {event}")
        elif client._events and isinstance(client._events[0], HandshakeComplete):
            client._events.popleft()
        return client

    def _flush(self) -> None:
        data = self.session.data_to_send()
        if data:
            self.writer.write(data)

    def send(self, outgoing: Outgoing) -> int:
        """Write a request; returns its seqno."""
        self.writer.write(outgoing.data)
        return outgoing.seqno

    def frame(self, cmd: int, body: bytes, seqno: int = 999) -> bytes:
        """A request frame for any command, sealed as this session seals payloads."""
        codec = self.session.codec
        return encode_frame(
            Frame(seqno, cmd, codec.seal(cmd, body)), codec.framing, codec.frame_key
        )

    def send_bytes(self, data: bytes) -> None:
        self.writer.write(data)

    async def next_event(self, within: float = WAIT) -> Event:
        """The next event from the device; TimeoutError if none comes in `within` seconds."""
        async with asyncio.timeout(within):
            while not self._events:
                data = await self.reader.read(4096)
                if not data:
                    raise ConnectionClosedError("the device closed the connection")
                self.received += data
                self._events.extend(self.session.receive_data(data))
                self._flush()
        return self._events.popleft()

    async def reply(self, within: float = WAIT) -> Reply:
        """The next event, which must be a Reply."""
        event = await self.next_event(within)
        assert isinstance(event, Reply), f"expected a reply, got {event}"
        return event

    async def fault(self, within: float = WAIT) -> Fault:
        event = await self.next_event(within)
        assert isinstance(event, Fault), f"expected a fault, got {event}"
        return event

    async def silence(self, seconds: float) -> None:
        """Assert that nothing at all arrives for `seconds`."""
        try:
            event = await self.next_event(seconds)
        except TimeoutError:
            return
        raise AssertionError(f"expected silence, got {event}")

    async def closed_by_device(self, within: float = WAIT) -> bool:
        """Wait for the device to close the connection; False if it stays open."""
        try:
            async with asyncio.timeout(within):
                while True:
                    data = await self.reader.read(4096)
                    if not data:
                        return True
                    self.received += data
        except TimeoutError:
            return False
        except ConnectionError:
            return True

    def close(self) -> None:
        self.writer.close()

    async def aclose(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()

    async def __aenter__(self) -> WireClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
