"""A persistent session to one device: connect, keep alive, poll, reconnect.

`DeviceLink.run()` never returns while its owner lets it run: it connects, reads the full
state, then serves heartbeats (on an idle connection), full polls and energy refreshes
until the connection dies, and reconnects with capped exponential backoff and jitter,
or, dozing (a sleeping battery device), not at all until woken.
What happens is reported through `on_event`; commands from outside take turns with the
link's own traffic (`Turns`).
"""

from __future__ import annotations

import asyncio
import functools
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from setsmart.backoff import Backoff
from setsmart.lan.connection import COMMON_DPS, Answered, Connection, Target
from setsmart.lan.errors import LanError, NotConnected
from setsmart.lan.heartbeat import Heartbeat
from setsmart.lan.turns import Turns
from setsmart.protocol import Dps, DpValue, Version

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class LinkSettings:
    heartbeat: float = 10.0
    timeout: float = 5.0
    poll: float = 30.0  # 0: rely on pushes
    energy_poll: float = 5.0  # 0: never send UPDATEDPS
    heartbeat_misses: int = 2  # missed heartbeats before the connection is judged dead
    backoff_base: float = 0.5
    backoff_cap: float = 60.0


@dataclass(frozen=True, slots=True)
class LinkConnected:
    """The connection is open (with its handshake, for 3.4 and later) and the session's
    first read is under way: a `LinkUp` or a `LinkDown` follows."""


@dataclass(frozen=True, slots=True)
class LinkUp:
    host: str
    version: Version


@dataclass(frozen=True, slots=True)
class LinkDown:
    error: LanError


@dataclass(frozen=True, slots=True)
class DpsReport:
    """DPs the device reported; `full` when it answered a status query."""

    dps: Dps
    full: bool


@dataclass(frozen=True, slots=True)
class LinkProblem:
    """Something went wrong without ending the session (a corrupt frame...)."""

    error: LanError


LinkEvent = LinkConnected | LinkUp | LinkDown | DpsReport | LinkProblem


@dataclass(slots=True)
class DeviceLink:
    """Keeps one device connected for as long as `run()` runs."""

    name: str
    device_id: str
    local_key: bytes = field(repr=False)
    host: str | None
    version: Version | None
    on_event: Callable[[LinkEvent], None]
    port: int = 6668
    settings: LinkSettings = field(default_factory=LinkSettings)
    dps_to_query: tuple[str, ...] = COMMON_DPS
    energy_dps: tuple[int, ...] = ()
    _conn: Connection | None = None
    _device22: bool | None = None
    _turns: Turns = field(default_factory=Turns)
    # A wake-up (a new address) and, only while the link waits for one, its future: an
    # asyncio.Event would keep a deque of waiters per device all the time.
    _woken: bool = False
    _waiter: asyncio.Future[None] | None = None
    _dozing: bool = False

    @property
    def connected(self) -> bool:
        return self._conn is not None and self._conn.is_open

    def update_address(self, host: str, version: Version | None = None) -> None:
        """Follow a device that announced itself (maybe at a new address)."""
        moved = host != self.host or (version is not None and version != self.version)
        self.host = host
        if version is not None:
            self.version = version
        if moved and not self.connected:
            self._wake()

    def doze(self) -> None:
        """Make no attempt after this one until `wake` (the device sleeps)."""
        self._dozing = True

    def wake(self) -> None:
        """Start a session now, whatever backoff or doze the last attempt left."""
        self._dozing = False
        if not self.connected:
            self._wake()

    async def run(self) -> None:
        backoff = Backoff(base=self.settings.backoff_base, cap=self.settings.backoff_cap)
        while True:
            target = self._target()
            if target is None:
                await self._wait_for_wake(None)
                continue
            try:
                conn = await self._open(target)
            except LanError as exc:
                self.on_event(LinkDown(exc))
            else:
                try:
                    # Two steps rather than one coroutine awaiting the other: an idle
                    # session holds one coroutine frame less.
                    error = await self._start_session(conn, target, backoff)
                    if error is None:
                        error = await self._keep_alive(conn)
                finally:
                    self._conn = None
                    conn.close()
                self.on_event(LinkDown(error))
            await self._pause(None if self._dozing else backoff.next_delay())

    async def query(self) -> Dps:
        """Read the device's full state now (reported as it is read: `_on_status`)."""
        return await self._with_connection(lambda conn: conn.query())

    def set_dps(self, dps: Mapping[str, DpValue], answered: Answered) -> None:
        """Write `dps` in the link's turn; `answered` gets None once the device confirmed,
        else the LanError, and is never called from inside this call. Callbacks, not a
        task or futures: a command is most of what the daemon does."""

        def start() -> None:
            try:
                self._open_connection().start_control(dps, finished)
            except LanError as exc:
                self._turns.done()
                asyncio.get_running_loop().call_soon(answered, exc)

        def finished(error: LanError | None) -> None:
            self._turns.done()
            answered(error)

        self._turns.take(start)

    # Internals -----------------------------------------------------------------------

    def _target(self) -> Target | None:
        if self.host is None or self.version is None:
            return None
        return Target(self.name, self.device_id, self.local_key, self.version, self.host, self.port)

    async def _open(self, target: Target) -> Connection:
        return await Connection.open(
            target,
            time_limit=self.settings.timeout,
            on_dps=self._on_dps,
            on_fault=self._on_fault,
            on_status=self._on_status,
            dps_to_query=self.dps_to_query,
            device22=self._device22,
        )

    async def _refresh(self) -> None:
        """Read the state, on connecting and at every poll (raises when the device fails)."""
        await self.query()

    async def _with_connection(self, action: Callable[[Connection], Awaitable[T]]) -> T:
        async with self._turns:
            return await action(self._open_connection())

    def _open_connection(self) -> Connection:
        conn = self._conn
        if conn is None or not conn.is_open:
            raise NotConnected(self.name, "not connected to the device")
        return conn

    async def _start_session(
        self, conn: Connection, target: Target, backoff: Backoff
    ) -> LanError | None:
        """Read a fresh connection's state and announce it; why it failed, if it did."""
        self._conn = conn
        self.on_event(LinkConnected())
        try:
            await self._refresh()
        except LanError as exc:
            return exc
        self._device22 = conn.session.device22
        self.on_event(LinkUp(target.host, target.version))
        backoff.reset()
        return None

    async def _keep_alive(self, conn: Connection) -> LanError:
        """Serve a session until it ends, and say why. Heartbeats go on a timer of their
        own (`Heartbeat`): this coroutine wakes only for polls and energy refreshes, and
        not at all when there are none."""
        settings = self.settings
        loop = asyncio.get_running_loop()
        heartbeat = Heartbeat(
            conn,
            self._turns,
            interval=settings.heartbeat,
            misses_allowed=settings.heartbeat_misses,
            on_problem=self._on_fault,
        )
        now = loop.time()
        next_poll = now + settings.poll if settings.poll > 0 else math.inf
        energy = settings.energy_poll > 0 and bool(self.energy_dps)
        next_energy = now + settings.energy_poll if energy else math.inf
        closed = conn.closed
        heartbeat.start()
        try:
            while True:
                due = min(next_poll, next_energy)
                if not closed.done():
                    # Until the connection closes or `due`: what asyncio.wait({closed},
                    # timeout=...) does, with a future and a timer (none when nothing is
                    # polled) instead of its sets, callbacks and inner task. Here rather
                    # than in a coroutine of its own: every idle session waits here, and
                    # holds one frame less.
                    waiter: asyncio.Future[None] = loop.create_future()
                    wake = functools.partial(_resolve, waiter)
                    timer = None if due == math.inf else loop.call_at(due, wake)
                    closed.add_done_callback(wake)
                    try:
                        await waiter
                    finally:
                        if timer is not None:
                            timer.cancel()
                        closed.remove_done_callback(wake)
                if closed.done():
                    return closed.result() if heartbeat.fatal is None else heartbeat.fatal
                # The timer fired: `due` has come, even when uvloop fired it up to a
                # millisecond before loop.time() reached it.
                now = max(loop.time(), due)
                energy_due, poll_due = now >= next_energy, now >= next_poll
                if energy_due:
                    next_energy = now + settings.energy_poll
                if poll_due:
                    next_poll = now + settings.poll
                error = await self._poll(energy=energy_due, full=poll_due)
                if heartbeat.fatal is not None:  # a beat ended the session meanwhile
                    return heartbeat.fatal
                # An energy refresh gets no answer of its own: only a full poll's, or a
                # failure, says whether the device still answers.
                fatal = heartbeat.judge(error) if poll_due or error is not None else None
                if fatal is not None:
                    return fatal
        finally:
            heartbeat.stop()

    async def _poll(self, *, energy: bool, full: bool) -> LanError | None:
        """Refresh the energy DPs, then read the full state, as asked; why one failed."""
        try:
            if energy:
                await self._with_connection(self._refresh_energy)
            if full:
                await self._refresh()
        except LanError as exc:
            return exc
        return None

    async def _refresh_energy(self, conn: Connection) -> None:
        conn.update_dps(self.energy_dps)

    async def _pause(self, delay: float | None) -> None:
        await self._wait_for_wake(delay)

    def _wake(self) -> None:
        self._woken = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def _wait_for_wake(self, limit: float | None) -> None:
        """Until woken (at once if woken meanwhile), or `limit` seconds; the wake is used up."""
        if not self._woken:
            loop = asyncio.get_running_loop()
            self._waiter = waiter = loop.create_future()
            timer = None if limit is None else loop.call_later(limit, _resolve, waiter)
            try:
                await waiter
            finally:
                self._waiter = None
                if timer is not None:
                    timer.cancel()
        self._woken = False

    def _on_status(self, dps: Dps) -> None:
        self.on_event(DpsReport(dps, full=True))

    def _on_dps(self, dps: Dps) -> None:
        self.on_event(DpsReport(dps, full=False))

    def _on_fault(self, error: LanError) -> None:
        self.on_event(LinkProblem(error))


def _resolve(waiter: asyncio.Future[None], _: object = None) -> None:
    if not waiter.done():
        waiter.set_result(None)
