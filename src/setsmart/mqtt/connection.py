"""One MQTT 5 connection run by asyncio: an `asyncio.Protocol` feeding a `Session`.

- A publish is written at once (`transport.writelines`), or, asked with `batch=True`, when
  the loop's current turn ends, together with the others of the turn: a queue's burst (a
  window of QoS 1 messages) is one write, not one each (past `_WRITE_NOW` bytes it is
  written at once). When the transport's write buffer passes its high-water mark,
  `writable()` waits until it drains (a large payload through a stalled broker), so
  callers stop queueing instead of buffering without bound.
- Incoming messages go to `on_message` as they are parsed (on the loop's thread: it must
  not block).
- The session's timer (CONNACK deadline, keepalive) runs on the loop's clock.
- The connection ends on EOF, a socket error, or a `Closed` from the session; `closed()`
  then raises the `MqttError` that ended it (or returns if we closed it ourselves).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from setsmart.mqtt.errors import ConnectionLost, MqttError, SubscribeRefused
from setsmart.mqtt.session import (
    Acked,
    Connected,
    ConnectOptions,
    Event,
    Message,
    Session,
    Subscribed,
)

# Batched publishes waiting for the end of the loop's turn are written at once past this.
_WRITE_NOW = 64 * 1024


@dataclass(frozen=True, slots=True)
class Endpoint:
    host: str
    port: int
    tls: ssl.SSLContext | None = None

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


async def connect(
    endpoint: Endpoint,
    options: ConnectOptions,
    on_message: Callable[[Message], None],
    *,
    on_refused: Callable[[Acked], None] = lambda _: None,
) -> MqttConnection:
    """A connection whose CONNACK has come; `MqttError` if there is none."""
    loop = asyncio.get_running_loop()
    session = Session(options)
    connection: MqttConnection | None = None
    try:
        # The session's own CONNACK deadline starts once TCP (and TLS) are up: this one
        # covers those too.
        async with asyncio.timeout(options.connect_timeout):
            _, connection = await loop.create_connection(
                lambda: MqttConnection(session, on_message, on_refused),
                endpoint.host,
                endpoint.port,
                ssl=endpoint.tls,
            )
            await connection.connected()
    except BaseException as error:
        if connection is not None:
            connection.abort()
        if isinstance(error, OSError | TimeoutError):
            reason = str(error) or "timed out"
            raise ConnectionLost(f"cannot connect to {endpoint}: {reason}") from error
        raise
    return connection


class MqttConnection(asyncio.Protocol):
    """See the module docstring. Made by `connect()`."""

    def __init__(
        self,
        session: Session,
        on_message: Callable[[Message], None],
        on_refused: Callable[[Acked], None],
    ) -> None:
        self.session = session
        self.on_message = on_message
        self.on_refused = on_refused
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._connected: asyncio.Future[Connected] = self._loop.create_future()
        self._closed: asyncio.Future[None] = self._loop.create_future()
        self._paused = False
        self._writable: asyncio.Future[None] | None = None
        self._window: asyncio.Future[None] | None = None  # the pump's: one waiter
        self._settled: asyncio.Future[None] | None = None  # nothing in flight
        self._subscribing: dict[int, asyncio.Future[Subscribed]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._closing = False
        self._unwritten = 0  # payload bytes published since the last write
        self._write_due = False  # a write is scheduled for the end of this turn

    # Use --------------------------------------------------------------------------------

    async def connected(self) -> Connected:
        connecting = self._connected
        await asyncio.wait((connecting, self._closed), return_when=asyncio.FIRST_COMPLETED)
        if connecting.done():
            return connecting.result()
        self._closed.result()  # raises what ended it
        raise ConnectionLost("closed before CONNACK")

    @property
    def is_open(self) -> bool:
        """Connected and not closed: `publish` would not raise."""
        return self._transport is not None and not self._closing and not self._closed.done()

    @property
    def window_open(self) -> bool:
        return self.session.window_open

    def can_write(self, qos: int) -> bool:
        """Whether a message of `qos` may be written now: open, the socket's buffer under
        its high-water mark, and for QoS 1 a place in the window."""
        return self.is_open and not self._paused and (not qos or self.session.window_open)

    @property
    def paused(self) -> bool:
        return self._paused

    def publish(
        self,
        topic: str,
        payload: bytes,
        *,
        qos: int = 0,
        retain: bool = False,
        response_topic: str | None = None,
        correlation: bytes | None = None,
        batch: bool = False,
    ) -> None:
        """Write a PUBLISH now, or with `batch` when this turn of the loop ends. A QoS 1
        one needs `window_open` (see `window()`)."""
        if self._closed.done():
            self._closed.result()
            raise ConnectionLost("the connection is closed")
        self.session.publish(
            topic,
            payload,
            qos=qos,
            retain=retain,
            response_topic=response_topic,
            correlation=correlation,
        )
        self._unwritten += len(payload)
        if not batch or self._unwritten >= _WRITE_NOW:
            self._flush()
        elif not self._write_due:
            self._write_due = True
            self._loop.call_soon(self._write_published)

    async def window(self) -> None:
        """Wait until a QoS 1 message may be published."""
        while not self.session.window_open:
            self._window = self._waiter(self._window)
            await self._window

    async def writable(self) -> None:
        """Wait until the transport's write buffer is under its high-water mark."""
        while self._paused:
            self._writable = self._waiter(self._writable)
            await self._writable

    async def settled(self) -> None:
        """Wait until every QoS 1 message published has its PUBACK."""
        while self.session.in_flight:
            self._settled = self._waiter(self._settled)
            await self._settled

    async def subscribe(self, topics: Sequence[str]) -> None:
        """Subscribe at QoS 1 and wait for the SUBACK; `SubscribeRefused` if refused."""
        packet_id = self.session.subscribe(topics)
        answer = self._subscribing[packet_id] = self._loop.create_future()
        self._flush()
        subscribed = await answer
        if subscribed.refused:
            codes = zip(topics, subscribed.reason_codes, strict=False)
            listed = ", ".join(f"{topic}: reason code {code}" for topic, code in codes)
            raise SubscribeRefused(f"the broker refused a subscription ({listed})")

    async def closed(self) -> None:
        """Wait for the end; raises the `MqttError` that ended the connection."""
        await asyncio.shield(self._closed)

    def close(self) -> None:
        """A clean DISCONNECT, then close (what is buffered is still written)."""
        if self._transport is None or self._closed.done():
            return
        self._closing = True
        self.session.disconnect()
        self._flush()
        self._transport.close()

    def abort(self) -> None:
        self._closing = True
        if self._transport is not None:
            self._transport.abort()

    # asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport (uvloop's do not subclass asyncio.Transport).
        self._transport = cast(asyncio.Transport, transport)
        self.session.connect(self._loop.time())
        self._flush()
        self._schedule()

    def data_received(self, data: bytes) -> None:
        events = self.session.receive_data(data, self._loop.time())
        self._flush()
        for event in events:
            self._handle(event)

    def eof_received(self) -> bool:
        return False  # close the transport: connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        if self._closing:
            self._end(None)
        elif exc is None:
            self._end(ConnectionLost("the broker closed the connection"))
        else:
            self._end(ConnectionLost(f"the connection to the broker was lost ({exc})"))

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        _wake(self._writable)

    # Inside -----------------------------------------------------------------------------

    def _handle(self, event: Event) -> None:
        if isinstance(event, Message):
            self.on_message(event)
        elif isinstance(event, Acked):
            if event.reason_code >= 0x80:
                self.on_refused(event)
            _wake(self._window)
            if not self.session.in_flight:
                _wake(self._settled)
        elif isinstance(event, Subscribed):
            answer = self._subscribing.pop(event.packet_id, None)
            if answer is not None and not answer.done():
                answer.set_result(event)
        elif isinstance(event, Connected):
            self._connected.set_result(event)
            self._schedule()
        else:
            self._end(event.error)
            if self._transport is not None:
                self._transport.close()

    def _flush(self) -> None:
        self._unwritten = 0
        data = self.session.data_to_send()
        if data and self._transport is not None:
            self._transport.writelines(data)

    def _write_published(self) -> None:
        self._write_due = False
        if self.is_open:  # not after close(), which wrote what was queued before it
            self._flush()

    def _schedule(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        when = self.session.next_tick()
        self._timer = None if when is None else self._loop.call_at(when, self._tick)

    def _tick(self) -> None:
        self._timer = None
        events = self.session.tick(self._loop.time())
        self._flush()
        for event in events:
            self._handle(event)
        self._schedule()

    def _end(self, error: MqttError | None) -> None:
        """Settle every future once: the first cause wins."""
        if self._closed.done():
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        failure = error or ConnectionLost("the connection is closed")
        if error is None:
            self._closed.set_result(None)
        else:
            self._closed.set_exception(error)
            self._closed.exception()  # retrieved: a closed connection nobody awaits is fine
        waiters: list[asyncio.Future[Any] | None] = [
            self._connected,
            self._window,
            self._writable,
            self._settled,
        ]
        waiters.extend(self._subscribing.values())
        for waiter in waiters:
            if waiter is not None and not waiter.done():
                waiter.set_exception(failure)
                waiter.exception()

    def _waiter(self, current: asyncio.Future[None] | None) -> asyncio.Future[None]:
        if current is not None and not current.done():
            return current
        if self._closed.done():
            self._closed.result()
            raise ConnectionLost("the connection is closed")
        return self._loop.create_future()


def _wake(waiter: asyncio.Future[None] | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)
