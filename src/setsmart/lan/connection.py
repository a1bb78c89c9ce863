"""One open TCP connection to a device, with its protocol session.

Built on `asyncio.Protocol`: bytes go straight from the transport into the sans-IO
session and its events are dispatched at once, so a connection needs no task of its own.
Replies are paired with the requests waiting for them by seqno when the device echoes it
and by command otherwise (3.5 devices count on their own, some firmwares send 0).

Every DP a device sends reaches `on_dps`, whatever carries it: a push, a reply nobody
waits for, or the reply to a control or heartbeat (many firmwares answer a control with
its new DPs instead of, or besides, a push). Only a status query's reply is left to its
caller, who reads it whole.

A gateway's connection (`on_child` given) also carries its sub-devices' traffic: a
request for a sub-device waits for a reply naming that sub-device's `cid`, and whatever
else names a cid (pushes, late replies) goes to `on_child`; the gateway's reports of which
sub-devices it reaches go to `on_online`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import cast

from setsmart.lan.errors import (
    ConnectFailed,
    ConnectionLost,
    DeviceRefused,
    HandshakeFailed,
    LanError,
    NotConnected,
    ReplyTimeout,
    VersionMismatch,
    WrongLocalKey,
)
from setsmart.protocol import (
    ClientSession,
    Command,
    DeviceError,
    Dps,
    DpValue,
    Event,
    Fault,
    HandshakeComplete,
    Outgoing,
    ProtocolError,
    Push,
    Reply,
    SubdevOnline,
    Version,
    VersionMismatchError,
    WrongKeyError,
)
from setsmart.protocol.constants import command_name

# Successive frames failing their key check before the connection is judged hopeless.
_WRONG_KEY_LIMIT = 3

# What a device22 query lists when nothing better is known: the DPs plugs, strips and
# bulbs commonly use (devices answer with the ones they have).
COMMON_DPS: tuple[str, ...] = tuple(str(dp) for dp in (*range(1, 11), *range(17, 27)))

_OLD_VERSIONS = frozenset({"3.1", "3.2", "3.3"})

# What answers a control, besides a reply to its own command.
_CONTROL_REPLIES = frozenset({Command.CONTROL, Command.CONTROL_NEW})
_HEARTBEAT_REPLIES = frozenset({Command.HEART_BEAT})


def _control_replies(cmd: int) -> frozenset[int]:
    return _CONTROL_REPLIES if cmd in _CONTROL_REPLIES else _CONTROL_REPLIES | {cmd}


def dps_to_query(known: Iterable[int | str] = ()) -> tuple[str, ...]:
    """The DPs a device22 query lists: the common ones and those `known` for the device
    (one tuple shared by every device with the same DPs)."""
    return _dps_to_query(frozenset(str(dp) for dp in known))


@functools.lru_cache(maxsize=256)
def _dps_to_query(known: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted(known | set(COMMON_DPS), key=int))


@dataclass(frozen=True, slots=True)
class Target:
    """Where a device is and how to speak to it."""

    name: str
    device_id: str
    local_key: bytes = field(repr=False)
    version: Version
    host: str
    port: int = 6668


#: A control's answer: None once the device confirmed, else why not.
Answered = Callable[[LanError | None], None]


def _nobody(_: LanError | None) -> None:
    """The answer of a request awaited through its future."""


@dataclass(slots=True)
class _Pending:
    seqno: int
    expect: frozenset[int]
    # Who is told: the future `request()` awaits, or (`future` None) a control's or a
    # heartbeat's callback, called through `answers` once the frames in hand are dispatched.
    future: asyncio.Future[Reply] | None
    answered: Answered = _nobody
    answers: list[tuple[Answered, LanError | None]] | None = None
    # Set for controls: a STATUS push carrying these DPs also completes the request,
    # for firmwares that never acknowledge a control.
    dps: frozenset[str] = frozenset()
    # A status query: the caller takes the reply's DPs (they are not reported on_dps).
    returns_dps: bool = False
    cid: str | None = None  # the sub-device asked, behind a gateway
    timer: asyncio.TimerHandle | None = None  # its time limit
    settled: bool = False

    def succeed(self, reply: Reply) -> bool:
        """Settle with `reply` unless settled already (False then)."""
        return self._settle(reply, None)

    def fail(self, error: LanError) -> bool:
        """Settle with `error` unless settled already (False then)."""
        return self._settle(None, error)

    def _settle(self, reply: Reply | None, error: LanError | None) -> bool:
        future = self.future
        if self.settled or (future is not None and future.done()):
            return False
        self.settled = True
        self.stop_timer()
        if future is None:
            assert self.answers is not None  # noqa: S101 (given with every callback)
            self.answers.append((self.answered, error))
        elif error is not None:
            future.set_exception(error)
        else:
            future.set_result(cast(Reply, reply))
        return True

    def stop_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()


def protocol_error(name: str, error: ProtocolError) -> LanError:
    """The LanError a user should see for a protocol failure."""
    if isinstance(error, WrongKeyError):
        return WrongLocalKey(name, str(error))
    if isinstance(error, VersionMismatchError):
        return VersionMismatch(name, f"{error}; set `version` for this device")
    return HandshakeFailed(name, str(error))


class Connection(asyncio.Protocol):
    """A live session: `request()` sends and waits for the paired reply."""

    # One per connected device: no __dict__.
    __slots__ = (
        "_answered",
        "_answers",
        "_last_query_cmd",
        "_loop",
        "_on_child",
        "_on_child_status",
        "_on_dps",
        "_on_fault",
        "_on_online",
        "_on_status",
        "_pending",
        "_ready",
        "_transport",
        "_wrong_key_frames",
        "closed",
        "last_received",
        "last_sent",
        "session",
        "target",
        "time_limit",
    )

    def __init__(
        self,
        target: Target,
        *,
        on_dps: Callable[[Dps], None] | None = None,
        on_fault: Callable[[LanError], None] | None = None,
        time_limit: float = 5.0,
        dps_to_query: Iterable[str] = COMMON_DPS,
        device22: bool | None = None,
        on_child: Callable[[str, Dps], None] | None = None,
        on_online: Callable[[SubdevOnline], None] | None = None,
        on_status: Callable[[Dps], None] | None = None,
        on_child_status: Callable[[str, Dps], None] | None = None,
    ) -> None:
        self.target = target
        self.time_limit = time_limit
        self.session = ClientSession(
            target.device_id,
            target.local_key,
            target.version,
            device22=device22,
            gateway=on_child is not None,
        )
        self.session.dps_to_query = tuple(dps_to_query)
        self._on_dps = on_dps
        self._on_fault = on_fault
        self._on_child = on_child
        self._on_online = on_online
        self._on_status = on_status
        self._on_child_status = on_child_status
        self._transport: asyncio.Transport | None = None
        # Kept: asyncio.get_running_loop() costs a getpid() system call on Python 3.11, and
        # every frame in and out reads the loop's clock.
        self._loop = asyncio.get_running_loop()
        self._ready: asyncio.Future[None] = self._loop.create_future()
        self._pending: list[_Pending] = []
        self._answers: list[tuple[Answered, LanError | None]] = []
        self._wrong_key_frames = 0
        self._answered = False
        self._last_query_cmd = 0
        self.closed: asyncio.Future[LanError] = self._loop.create_future()
        self.last_received = 0.0
        self.last_sent = 0.0

    @classmethod
    async def open(
        cls,
        target: Target,
        *,
        time_limit: float = 5.0,
        on_dps: Callable[[Dps], None] | None = None,
        on_fault: Callable[[LanError], None] | None = None,
        dps_to_query: Iterable[str] = COMMON_DPS,
        device22: bool | None = None,
        on_child: Callable[[str, Dps], None] | None = None,
        on_online: Callable[[SubdevOnline], None] | None = None,
        on_status: Callable[[Dps], None] | None = None,
        on_child_status: Callable[[str, Dps], None] | None = None,
    ) -> Connection:
        """Connect and complete the handshake within `time_limit` seconds.

        `time_limit` also bounds the wait for every reply on this connection; `on_child`
        makes it a gateway's connection (see the module's docstring). `on_status` gets the
        DPs of each answer to the device's own status query as it is read, in order with
        the pushes around it (the query's caller gets them too, a turn of the loop later);
        `on_child_status` those of each answer to a sub-device's, with its cid.
        """
        loop = asyncio.get_running_loop()
        conn = cls(
            target,
            on_dps=on_dps,
            on_fault=on_fault,
            time_limit=time_limit,
            dps_to_query=dps_to_query,
            device22=device22,
            on_child=on_child,
            on_online=on_online,
            on_status=on_status,
            on_child_status=on_child_status,
        )
        try:
            async with asyncio.timeout(time_limit):
                await loop.create_connection(lambda: conn, target.host, target.port)
                await conn._ready
        except TimeoutError:
            conn.close()
            stage = "handshake" if conn._transport else "connect"
            raise ConnectFailed(
                target.name,
                f"{stage} to {target.host}:{target.port} timed out after {time_limit:g} s",
            ) from None
        except OSError as exc:
            raise ConnectFailed(
                target.name, f"cannot connect to {target.host}:{target.port}: {exc.strerror or exc}"
            ) from None
        except ConnectionLost:
            conn.close()
            if target.version in _OLD_VERSIONS:
                raise
            raise WrongLocalKey(
                target.name,
                f"the device closed the connection during the {target.version} handshake: "
                "probable wrong local key, or it speaks another protocol version",
            ) from None
        except LanError:
            conn.close()
            raise
        return conn

    # asyncio.Protocol -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A TCP transport: uvloop's do not subclass asyncio.Transport, so no isinstance.
        self._transport = cast("asyncio.Transport", transport)
        self._dispatch(self.session.start())
        self._flush()

    def data_received(self, data: bytes) -> None:
        self.last_received = self._loop.time()
        self._dispatch(self.session.receive_data(data))
        self._flush()
        if self._answers:
            self._tell_answers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        if exc is None:
            reason = (
                "connection closed by the device (another client, such as the phone app, "
                "may have taken it: most devices accept one local connection)"
            )
        else:
            reason = f"connection lost: {exc}"
        self._finish(ConnectionLost(self.target.name, reason))

    # API -------------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self._transport is not None and not self.closed.done()

    def send(self, outgoing: Outgoing) -> None:
        """Write a request whose answer arrives as pushes, if at all."""
        if self._transport is None:
            raise NotConnected(self.target.name, "not connected")
        self._transport.write(outgoing.data)
        self.last_sent = self._loop.time()

    def start_request(
        self,
        outgoing: Outgoing,
        *,
        expect: Iterable[int],
        completes_on_push: Iterable[str] = (),
        returns_dps: bool = False,
        cid: str | None = None,
    ) -> asyncio.Future[Reply]:
        """Send, and return the future of the reply (for the sub-device `cid`, if given).

        It fails with DeviceRefused for a DeviceError reply, ReplyTimeout once
        `time_limit` passed, or the error that ended the connection. The reply's DPs are
        also reported (through `on_dps`, or `on_child` for a sub-device) unless
        `returns_dps`. Raises NotConnected at once when the connection is closed.
        """
        future: asyncio.Future[Reply] = self._loop.create_future()
        self._start(
            outgoing,
            _Pending(
                outgoing.seqno,
                frozenset(expect),
                future,
                dps=frozenset(completes_on_push),
                returns_dps=returns_dps,
                cid=cid,
            ),
        )
        return future

    def _start(self, outgoing: Outgoing, pending: _Pending) -> None:
        self.send(outgoing)
        self._pending.append(pending)
        # A timer rather than asyncio.timeout(): every command and heartbeat waits here,
        # and the timer is all the limit needs.
        pending.timer = self._loop.call_later(self.time_limit, self._expire, pending, outgoing.cmd)

    async def request(
        self,
        outgoing: Outgoing,
        *,
        expect: Iterable[int],
        completes_on_push: Iterable[str] = (),
        returns_dps: bool = False,
        cid: str | None = None,
    ) -> Reply:
        """`start_request`, waited for."""
        future = self.start_request(
            outgoing,
            expect=expect,
            completes_on_push=completes_on_push,
            returns_dps=returns_dps,
            cid=cid,
        )
        try:
            return await future
        except asyncio.CancelledError:
            self._forget(future)
            raise

    def _expire(self, pending: _Pending, cmd: int) -> None:
        with contextlib.suppress(ValueError):
            self._pending.remove(pending)
        pending.fail(ReplyTimeout(self.target.name, self._silence(cmd)))
        self._tell_answers()

    def _tell_answers(self) -> None:
        """Call the callbacks of the controls settled meanwhile: after the frames in hand
        were all dispatched, so that a control they start is not completed by a push that
        arrived with its predecessor's answer."""
        answers = self._answers.copy()
        self._answers.clear()
        for answered, error in answers:
            answered(error)

    def _forget(self, future: asyncio.Future[Reply]) -> None:
        """A request nobody waits for any more: its timer and its place go."""
        for pending in self._pending:
            if pending.future is future:
                self._pending.remove(pending)
                pending.stop_timer()
                return

    def _silence(self, cmd: int) -> str:
        what = f"no answer to {command_name(cmd)} within {self.time_limit:g} s"
        if self.target.version in _OLD_VERSIONS and not self._answered:
            # 3.1-3.3 devices ignore requests sealed with the wrong key.
            return f"{what}: the device never answered; probable wrong local key"
        if self.target.version == "3.1" and cmd == Command.CONTROL:
            # 3.1 queries are plain text: only controls show a wrong key.
            return f"{what}: 3.1 devices ignore controls signed with a wrong local key"
        return what

    async def query(self) -> Dps:
        """Read every DP; switches to the device22 query when the device asks for it."""
        try:
            reply = await self._query_once()
        except DeviceRefused:
            if not self.session.device22 or self._last_query_cmd == Command.CONTROL_NEW:
                raise
            reply = await self._query_once()
        return reply.dps or {}

    async def _query_once(self) -> Reply:
        outgoing = self.session.query()
        self._last_query_cmd = outgoing.cmd
        return await self.request(outgoing, expect={outgoing.cmd, Command.STATUS}, returns_dps=True)

    async def control(self, dps: Mapping[str, DpValue]) -> None:
        outgoing = self.session.control(dps)
        await self.request(
            outgoing, expect=_control_replies(outgoing.cmd), completes_on_push=dps.keys()
        )

    def start_control(self, dps: Mapping[str, DpValue], answered: Answered) -> None:
        """Write `dps`; `answered` is called once the device acknowledged them (or pushed
        them: some firmwares never acknowledge a control), or with the reason it did not.
        Raises NotConnected at once when the connection is closed. A callback rather than
        a future: a command is most of what the daemon does, and each future's callback
        costs a turn of the loop."""
        outgoing = self.session.control(dps)
        self._start(
            outgoing,
            _Pending(
                outgoing.seqno,
                _control_replies(outgoing.cmd),
                None,
                answered,
                self._answers,
                dps=frozenset(dps),
            ),
        )

    def start_heartbeat(self, answered: Answered) -> None:
        """Send a heartbeat; `answered` is called once the device answered it, or with the
        reason it did not (as `start_control`'s is): an idle session beats every few
        seconds, and should cost no coroutine or future each time."""
        outgoing = self.session.heartbeat()
        self._start(
            outgoing, _Pending(outgoing.seqno, _HEARTBEAT_REPLIES, None, answered, self._answers)
        )

    async def child_query(self, cid: str) -> Dps:
        """Read every DP of the sub-device `cid` behind this gateway."""
        outgoing = self.session.child_query(cid)
        reply = await self.request(outgoing, expect={outgoing.cmd}, returns_dps=True, cid=cid)
        return reply.dps or {}

    async def child_control(self, cid: str, dps: Mapping[str, DpValue]) -> None:
        outgoing = self.session.child_control(cid, dps)
        await self.request(
            outgoing,
            expect=_control_replies(outgoing.cmd),
            completes_on_push=dps.keys(),
            cid=cid,
        )

    async def subdev_online(self) -> SubdevOnline:
        """Which sub-devices the gateway says it reaches."""
        reply = await self.request(
            self.session.subdev_online_query(), expect={Command.LAN_EXT_STREAM}
        )
        return reply.subdev_online or SubdevOnline(frozenset(), frozenset())

    def update_dps(self, dp_ids: Iterable[int]) -> None:
        """Ask for fresh values (energy DPs); the device pushes what changed."""
        self.send(self.session.update_dps(dp_ids))

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
        self._finish(ConnectionLost(self.target.name, "connection closed"))

    # Internals -----------------------------------------------------------------------------

    def _flush(self) -> None:
        out = self.session.data_to_send()
        if out and self._transport is not None:
            self._transport.write(out)

    def _dispatch(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, Reply):
                self._on_reply(event)
            elif isinstance(event, Push):
                self._wrong_key_frames = 0
                self._answered = True
                self._on_push(event)
            elif isinstance(event, DeviceError):
                self._on_device_error(event)
            elif isinstance(event, HandshakeComplete):
                if not self._ready.done():
                    self._ready.set_result(None)
            else:
                self._on_protocol_fault(event)

    def _take(self, seqno: int, cmd: int, cid: str | None = None) -> _Pending | None:
        """The request a reply answers; one naming a sub-device answers only its requests."""
        for match_seqno in (True, False):
            for pending in self._pending:
                if (
                    cmd in pending.expect
                    and (pending.seqno == seqno or not match_seqno)
                    and (cid is None or pending.cid == cid)
                ):
                    self._pending.remove(pending)
                    return pending
        return None

    def _on_reply(self, reply: Reply) -> None:
        self._wrong_key_frames = 0
        self._answered = True
        cid = None if self._on_child is None else reply.cid
        pending = self._take(reply.seqno, reply.cmd, cid)
        if (
            pending is not None
            and pending.succeed(reply)
            and (pending.returns_dps or not reply.dps)
        ):
            if pending.returns_dps:
                # Now, not when the query's caller resumes: a push read with this answer
                # is newer, and must not be undone by it.
                self._tell_status(pending.cid, reply.dps or {})
            return
        if cid is not None and self._on_child is not None:
            self._on_child(cid, reply.dps or {})
        elif self._on_online is not None and (online := reply.subdev_online) is not None:
            self._on_online(online)
        elif reply.dps and self._on_dps is not None:
            self._on_dps(reply.dps)

    def _tell_status(self, cid: str | None, dps: Dps) -> None:
        if cid is None:
            if self._on_status is not None:
                self._on_status(dps)
        elif self._on_child_status is not None:
            self._on_child_status(cid, dps)

    def _on_push(self, push: Push) -> None:
        dps = push.dps
        if dps is None:
            return
        cid = None if self._on_child is None else push.cid
        for pending in list(self._pending):
            if (
                pending.dps
                and pending.cid == cid
                and pending.dps <= dps.keys()
                and pending.succeed(Reply(push.seqno, Command.STATUS, 0, push.data))
            ):
                self._pending.remove(pending)
        if cid is not None and self._on_child is not None:
            self._on_child(cid, dps)
        elif self._on_dps is not None:
            self._on_dps(dps)

    def _on_device_error(self, error: DeviceError) -> None:
        pending = self._take(error.seqno, error.cmd)
        refused = DeviceRefused(
            self.target.name, f"device answered {error.message!r} (code {error.retcode})"
        )
        answered = pending is not None and pending.fail(refused)
        if not answered and self._on_fault is not None:
            self._on_fault(refused)

    def _on_protocol_fault(self, fault: Fault) -> None:
        error = protocol_error(self.target.name, fault.error)
        if isinstance(fault.error, WrongKeyError):
            self._wrong_key_frames += 1
        if fault.fatal or self._wrong_key_frames >= _WRONG_KEY_LIMIT or not self._ready.done():
            if not self._ready.done():
                self._ready.set_exception(error)
            self._finish(error)
            if self._transport is not None:
                self._transport.close()
        elif self._on_fault is not None:
            self._on_fault(error)

    def _finish(self, error: LanError) -> None:
        if not self.closed.done():
            self.closed.set_result(error)
        if not self._ready.done():
            self._ready.set_exception(error)
            self._ready.exception()  # retrieved: open() reports it, or nobody waits
        for pending in self._pending:
            pending.fail(error)
        self._pending.clear()
        self._tell_answers()
