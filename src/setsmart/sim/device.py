"""A simulated Tuya device: the device side of one protocol version over real sockets.

Behaviour, as PROTOCOL.md describes real firmware:
- DP_QUERY (10) / DP_QUERY_NEW (16) are answered with every DP. A device22 device (every
  3.2 device) answers them with retcode 1 and "json obj data unvalid" (in clear on 3.2,
  encrypted from 3.3 on, as the captures show), and answers a CONTROL_NEW (13) whose DPs
  are all null with those DPs.
- CONTROL (7) / CONTROL_NEW (13) apply the DPs and answer in the device's `reply_shape`:
  `push` (the most common: an empty ack, then a STATUS (8) push of the DPs taken),
  `reply` (the ack itself carries the DPs taken, and no push follows), or `split` (the
  ack carries the first DP taken, a push the others). HEART_BEAT (9) gets an empty
  reply. UPDATEDPS (18) gets an ack, then a push of the requested DPs that changed
  since they were last reported.
- `set_dps` is a button press: the state changes and the connected client gets a push.
- One client at a time: a new connection closes the older one. A connection idle for
  `idle_timeout` seconds is dropped.
- A sleeper (`wake_every`, as battery Wi-Fi sensors do) listens for nothing while it
  sleeps (connection refused). Every `wake_every` seconds it wakes for `awake_for`: it
  listens, announces itself (to `beacon_target` and `wake_targets`), measures halfway and
  pushes its readings to a connected client, then drops the client and sleeps again. Its
  periodic beacons, if any, go out only while it is awake; nothing moves while it sleeps.
  Real ones turn their Wi-Fi off between reports and are reachable a second or a few when
  they wake (github.com/jasonacox/tinytuya/issues/270); they broadcast when they wake,
  now and then and after a change (github.com/rospogrigio/localtuya/issues/422).
- Replies echo the request's seqno on 3.1-3.4; 3.5 counts on its own. Pushes carry 0 on
  3.1-3.3 (as captured) and the device's counter on 3.4/3.5.
- A wrong local key: 3.1-3.3 requests that do not decrypt are ignored (the client times
  out; 3.1 queries are plain JSON and still answered); on 3.4/3.5 the handshake fails and
  the connection is closed.

Faults for tests, settable at run time: `delay`, `dark`, `refuse`, `drop_clients()`,
`corrupt_next(n)`, `garbage_next()`, `change_key(new_key)`.

No task runs per device: a listening socket, one task per open connection, and timer
handles for beacons and countdowns.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import time
from collections import Counter
from collections.abc import Coroutine, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Self

from setsmart.protocol import (
    VERSIONS,
    Command,
    DeviceSession,
    Dps,
    DpValue,
    Fault,
    Request,
    SessionState,
    Version,
)
from setsmart.sim.beacon import UdpSenders, beacon_datagram, beacon_info
from setsmart.sim.errors import SimConfigError, SimError
from setsmart.sim.kinds import kind_spec
from setsmart.sim.loopback import require_loopback, require_loopback_target
from setsmart.sim.model import Clock, DeviceModel
from setsmart.sim.motion import TICK, wake_readings

_UNVALID = b"json obj data unvalid"
# Junk sent before a frame by `garbage_next`: holds no frame prefix, so a reader that
# resynchronises on the next prefix recovers.
JUNK = b"\x13\x37not-a-frame\xfe\xed"
_KEY_LEN = 16
_READ_SIZE = 4096
_BACKLOG = 32
_OLD_STYLE: frozenset[str] = frozenset({"3.1", "3.2", "3.3"})

#: How a device answers a control (PROTOCOL.md: replies come in each of these shapes).
ReplyShape = Literal["push", "reply", "split"]
REPLY_SHAPES: tuple[ReplyShape, ...] = ("push", "reply", "split")


@dataclass
class SimStats:
    """What a device has seen, for tests to check."""

    connections: int = 0  # TCP connections accepted
    requests: Counter[int] = field(default_factory=Counter)  # decoded requests by command
    replaced: int = 0  # connections closed because a newer client arrived
    dropped: int = 0  # connections the device closed (replaced, drop_clients, change_key)
    idle_drops: int = 0  # connections dropped after idle_timeout
    wakes: int = 0  # a sleeper's wakes so far
    handshake_failures: int = 0  # 3.4/3.5 negotiations that failed (wrong key...)
    ignored: int = 0  # frames that did not decode (wrong key, corruption) and were ignored
    pushes: int = 0  # STATUS frames sent on the device's own initiative


class _Client:
    """The one connected client: its protocol session, its writer and its task."""

    __slots__ = ("reader", "session", "task", "writer")

    def __init__(
        self, session: DeviceSession, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.session = session
        self.reader = reader
        self.writer = writer
        self.task: asyncio.Task[None] | None = None

    @property
    def closed(self) -> bool:
        return self.writer.is_closing()

    @property
    def hung_up(self) -> bool:
        """The client closed its side (its EOF has been read)."""
        return self.reader.at_eof()

    @property
    def ready(self) -> bool:
        return not self.closed and self.session.state is SessionState.READY

    def close(self) -> None:
        self.writer.close()
        if self.task is not None and self.task is not asyncio.current_task():
            self.task.cancel()


def _check_key(local_key: str, device_id: str) -> bytes:
    try:
        raw = local_key.encode("latin-1")
    except UnicodeEncodeError:
        raise SimConfigError(f"local key of {device_id} is not 8-bit text") from None
    if len(raw) != _KEY_LEN:
        raise SimConfigError(
            f"local key of {device_id} has {len(raw)} characters, expected {_KEY_LEN}"
        )
    return raw


def _bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket, bound synchronously so connections queue from this moment."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setblocking(False)
        sock.bind((host, port))
        sock.listen(_BACKLOG)
    except OSError as exc:
        sock.close()
        raise SimError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    return sock


class SimDevice:
    """One simulated device on a loopback address. Use `async with` or start()/stop().

    - `kind`: plug (energy on 17-20), plug_legacy (power on 4/5/6), strip (gangs 1-4, USB
      7, countdowns 9-12/15), switch (wall, gangs 1-2, countdowns 7-8), dimmer (1/2/3/5/6),
      bulb (v2, DP 20-26), bulb_v1 (DP 1-5), cover (1/2/3/5/7, travels), fan (1/2/3/5/8),
      climate (wk: 1/2/3/16/24/40, the room warms), sensor (wsdcg 1-4, readings wander),
      or raw (`dps` given); `dps` also overrides a kind's initial values.
    - `port` 0 binds a free port; the port bound is kept in `port` (and reused on restart).
    - `idle_timeout`: seconds without a byte from the client before it is dropped (None:
      never). `beacon_target`/`beacon_interval`: where and how often to beacon (loopback only).
    - `load_watts`: what a metering plug draws when on (default: picked from the id);
      `clock` drives the meter, so tests can let hours pass; `seed` fixes the randomness.
    - `udp`: UDP sockets shared with other devices (a fleet passes its own).
    - `reply_shape`: how a control is answered (see the module's docstring).
    - `wake_every`/`awake_for`/`wake_targets`: a sleeper's cycle, in seconds, and where
      else it announces each wake (see the module's docstring); a sleeping sensor
      measures anew at each wake (`motion.wake_readings`).
    """

    def __init__(
        self,
        device_id: str,
        local_key: str,
        version: Version = "3.3",
        kind: str = "plug",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        dps: Mapping[str, DpValue] | None = None,
        device22: bool = False,
        idle_timeout: float | None = 30.0,
        beacon_target: tuple[str, int] | None = None,
        beacon_interval: float | None = None,
        product_key: str | None = None,
        load_watts: float | None = None,
        clock: Clock = time.monotonic,
        seed: int | str | None = None,
        udp: UdpSenders | None = None,
        reply_shape: ReplyShape = "push",
        wake_every: float | None = None,
        awake_for: float = 1.0,
        wake_targets: Iterable[tuple[str, int]] = (),
    ) -> None:
        if version not in VERSIONS:
            raise SimConfigError(
                f"protocol version {version!r} of {device_id} is not one of {', '.join(VERSIONS)}"
            )
        if reply_shape not in REPLY_SHAPES:
            raise SimConfigError(
                f"reply_shape {reply_shape!r} of {device_id} is not one of "
                f"{', '.join(REPLY_SHAPES)}"
            )
        if wake_every is not None and not 0 < awake_for < wake_every:
            raise SimConfigError(
                f"{device_id} wakes every {wake_every} s: it cannot stay awake {awake_for} s"
            )
        self.reply_shape: ReplyShape = reply_shape
        self.wake_every = wake_every
        self.awake_for = awake_for
        self.wake_targets = tuple(
            require_loopback_target(target, f"wake target of {device_id}")
            for target in wake_targets
        )
        self.device_id = device_id
        self._key = _check_key(local_key, device_id)
        self.version: Version = version
        self.kind = kind
        self.host = require_loopback(host, f"address of {device_id}")
        self.port = port
        self.device22 = device22 or version == "3.2"
        self.idle_timeout = idle_timeout
        self.delay = 0.0
        self.dark = False
        self.stats = SimStats()
        spec = kind_spec(kind, dps)
        self.product_key = product_key or spec.product_key
        rng = random.Random(seed if seed is not None else device_id)
        self.model = DeviceModel(
            spec,
            dps,
            clock=clock,
            rng=rng,
            load_watts=load_watts if load_watts is not None else round(rng.uniform(20, 150), 1),
        )
        self._rng = rng
        self._beacon_target = (
            None
            if beacon_target is None
            else require_loopback_target(beacon_target, f"beacon target of {device_id}")
        )
        self._beacon_interval = beacon_interval
        self._udp = udp
        self._owns_udp = udp is None
        self._running = False
        self._refuse = False
        self._listener: socket.socket | None = None
        self._client: _Client | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._beacon_timer: asyncio.TimerHandle | None = None
        self._countdowns: dict[str, asyncio.TimerHandle] = {}
        self._motion_timer: asyncio.TimerHandle | None = None
        self._asleep = wake_every is not None
        self._cycle_timer: asyncio.TimerHandle | None = None
        self._corrupt = 0
        self._generation = 0
        self._garbage = 0

    def __repr__(self) -> str:
        return (
            f"SimDevice({self.device_id!r}, version={self.version!r}, kind={self.kind!r},"
            f" address='{self.host}:{self.port}')"
        )

    # Life cycle ---------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Listen on host:port (port 0: a free port, then kept in `port`) and beacon if set."""
        if self._running:
            return
        self._asleep = self.wake_every is not None
        if not self._refuse:
            self._listen()
            if self._asleep:  # bound once, so the port is known before the first wake
                self._close_listener()
        self._running = True
        self._arm_beacon()
        loop = asyncio.get_running_loop()
        if self.wake_every is not None:
            self._cycle_timer = loop.call_later(self.wake_every, self._wake)
        elif self.model.motion is not None:
            self._motion_timer = loop.call_later(TICK, self._move)

    async def stop(self) -> None:
        """Close the listener and the client, cancel timers; the device can start again."""
        if not self._running:
            return
        self._running = False
        if self._beacon_timer is not None:
            self._beacon_timer.cancel()
            self._beacon_timer = None
        for timer in self._countdowns.values():
            timer.cancel()
        self._countdowns.clear()
        for handle in (self._motion_timer, self._cycle_timer):
            if handle is not None:
                handle.cancel()
        self._motion_timer, self._cycle_timer = None, None
        self._close_listener()
        self.drop_clients()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._owns_udp and self._udp is not None:
            self._udp.close()
            self._udp = None

    # State --------------------------------------------------------------------------

    @property
    def local_key(self) -> str:
        return self._key.decode("latin-1")

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    @property
    def running(self) -> bool:
        return self._running

    @property
    def connected(self) -> bool:
        """Whether a client connection is open now."""
        client = self._client
        return client is not None and not client.closed and not client.hung_up

    @property
    def dps(self) -> Dps:
        """The device's DPs now (a copy; reading does not count as a report)."""
        return self.model.dps

    async def set_dps(self, dps: Mapping[str, DpValue]) -> Dps:
        """Change DPs locally, like a button press, and push them to the connected client.

        Any DP the device has may be set this way (also read-only ones, such as a meter
        reading); the DPs taken are returned.
        """
        taken = self._apply(dps, local=True)
        if taken and self._client is not None and not self.dark:
            self._push(self._client, taken)
        return taken

    # Faults -------------------------------------------------------------------------

    @property
    def refuse(self) -> bool:
        """True: nothing listens (connection refused). False again: listen on the same port."""
        return self._refuse

    @refuse.setter
    def refuse(self, value: bool) -> None:
        if value == self._refuse:
            return
        self._refuse = value
        if not self._running:
            return
        if value:
            self._close_listener()
        elif not self._asleep:
            self._listen()

    def drop_clients(self) -> int:
        """Close the current connection now; returns how many were closed (0 or 1)."""
        client, self._client = self._client, None
        if client is None or client.closed:
            return 0
        already_gone = client.hung_up
        client.close()
        if already_gone:
            return 0
        self.stats.dropped += 1
        return 1

    def corrupt_next(self, n: int = 1) -> None:
        """Flip a byte of each of the next `n` frames sent (their checksum, HMAC or tag fails)."""
        self._corrupt += n

    def garbage_next(self) -> None:
        """Send junk bytes just before the next frame."""
        self._garbage += 1

    def change_key(self, new_key: str) -> None:
        """Re-pairing: the device gets a new local key and drops its client."""
        self._key = _check_key(new_key, self.device_id)
        self.drop_clients()

    # Discovery ----------------------------------------------------------------------

    @property
    def beacon_target(self) -> tuple[str, int] | None:
        return self._beacon_target

    @beacon_target.setter
    def beacon_target(self, target: tuple[str, int] | None) -> None:
        self._beacon_target = (
            None
            if target is None
            else require_loopback_target(target, f"beacon target of {self.device_id}")
        )
        self._arm_beacon()

    @property
    def beacon_interval(self) -> float | None:
        return self._beacon_interval

    @beacon_interval.setter
    def beacon_interval(self, seconds: float | None) -> None:
        self._beacon_interval = seconds
        self._arm_beacon()

    def beacon_info(self) -> dict[str, Any]:
        """The discovery JSON of this device (also what a 3.5 device answers REQ_DEVINFO with)."""
        return beacon_info(self.device_id, self.host, self.version, self.product_key)

    def send_discovery(self, target: tuple[str, int]) -> bool:
        """Send this device's discovery datagram once to the loopback `target`, from its host."""
        if self._udp is None:
            self._udp = UdpSenders()
            self._owns_udp = True
        data = beacon_datagram(self.device_id, self.host, self.version, self.product_key)
        return self._udp.send(self.host, data, target)

    def _arm_beacon(self) -> None:
        if self._beacon_timer is not None:
            self._beacon_timer.cancel()
            self._beacon_timer = None
        interval = self._beacon_interval
        if not self._running or not interval or self._beacon_target is None:
            return
        if self.version == "3.5":  # silent until asked (see SimFleet's responder)
            return
        # A random phase, so a fleet's beacons do not all leave at once.
        first = self._rng.uniform(0, interval)
        self._beacon_timer = asyncio.get_running_loop().call_later(first, self._beacon)

    def _beacon(self) -> None:
        target, interval = self._beacon_target, self._beacon_interval
        if not self._running or target is None or not interval:
            return
        if not self._asleep:
            self.send_discovery(target)
        self._beacon_timer = asyncio.get_running_loop().call_later(interval, self._beacon)

    # Sleeping -----------------------------------------------------------------------

    @property
    def asleep(self) -> bool:
        """A sleeper between two wakes (nothing listens)."""
        return self._asleep

    def _wake(self) -> None:
        loop = asyncio.get_running_loop()
        self._asleep = False
        self.stats.wakes += 1
        if not self._refuse:
            self._listen()
        for target in (self._beacon_target, *self.wake_targets):
            if target is not None:
                self.send_discovery(target)
        self._cycle_timer = loop.call_later(self.awake_for / 2, self._measure)

    def _measure(self) -> None:
        assert self.wake_every is not None  # noqa: S101 (only sleepers wake)
        self._cycle_timer = asyncio.get_running_loop().call_later(
            self.awake_for / 2, self._fall_asleep
        )
        if self.kind == "sensor":
            readings = wake_readings(self.model.dps, self.stats.wakes, self._rng)
            taken = self._apply(readings, local=True)
            if self._client is not None and not self.dark:
                self._push(self._client, taken)

    def _fall_asleep(self) -> None:
        assert self.wake_every is not None  # noqa: S101 (only sleepers sleep)
        self._asleep = True
        self._close_listener()
        self.drop_clients()
        self._cycle_timer = asyncio.get_running_loop().call_later(
            self.wake_every - self.awake_for, self._wake
        )

    # Listening and connections ------------------------------------------------------

    def _listen(self) -> None:
        """Bind and listen now, and accept from the event loop's selector (no Server object,
        so stopping and restarting to listen is synchronous and race-free)."""
        sock = _bind(self.host, self.port)
        self.port = sock.getsockname()[1]
        asyncio.get_running_loop().add_reader(sock.fileno(), self._accept, sock)
        self._listener = sock

    def _close_listener(self) -> None:
        sock, self._listener = self._listener, None
        if sock is not None:
            asyncio.get_running_loop().remove_reader(sock.fileno())
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        for _ in range(_BACKLOG):
            try:
                conn, _ = listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # reset while in the backlog, or out of descriptors: try later
                return
            self.stats.connections += 1
            self._generation += 1
            conn.setblocking(False)
            # Devices answer at once; Nagle would hold a push behind the unacked ack ~40 ms.
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.stats.replaced += self.drop_clients()
            self._spawn(self._open(conn, self._generation))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _open(self, conn: socket.socket, generation: int) -> None:
        try:
            reader, writer = await asyncio.open_connection(sock=conn)
        except BaseException:
            conn.close()
            raise
        if generation != self._generation:  # a newer connection was accepted meanwhile
            self.stats.replaced += 1
            writer.close()
            return
        self.stats.replaced += self.drop_clients()
        client = _Client(DeviceSession(self.device_id, self._key, self.version), reader, writer)
        client.task = asyncio.current_task()
        self._client = client
        await self._converse(client, reader)

    async def _converse(self, client: _Client, reader: asyncio.StreamReader) -> None:
        try:
            while not client.closed:
                try:
                    async with asyncio.timeout(self.idle_timeout or None):
                        data = await reader.read(_READ_SIZE)
                except TimeoutError:
                    self.stats.idle_drops += 1
                    break
                if not data:
                    break
                if self.dark:
                    continue
                if not await self._on_data(client, data):
                    break
        except ConnectionError:
            pass
        finally:
            client.writer.close()
            if self._client is client:
                self._client = None

    async def _on_data(self, client: _Client, data: bytes) -> bool:
        """Handle received bytes; False when the connection must close."""
        events = client.session.receive_data(data)
        handshake = client.session.data_to_send()
        if handshake:
            await self._reply(client, handshake)
        for event in events:
            if isinstance(event, Fault):
                if event.fatal:
                    self.stats.handshake_failures += 1
                    return False
                self.stats.ignored += 1
            elif isinstance(event, Request):
                await self._answer(client, event)
            if client.closed:
                return False
        return True

    # Answers ------------------------------------------------------------------------

    async def _answer(self, client: _Client, request: Request) -> None:
        self.stats.requests[request.cmd] += 1
        session = client.session
        cmd = request.cmd
        seqno = session.reply_seqno(request.seqno)
        if cmd in (Command.DP_QUERY, Command.DP_QUERY_NEW):
            if self.device22:
                frame = session.error(seqno, cmd, _UNVALID, encrypted=self.version != "3.2")
            else:
                frame = session.status(seqno, cmd, self.model.report())
            await self._reply(client, frame)
        elif cmd in (Command.CONTROL, Command.CONTROL_NEW):
            dps = request.dps or {}
            if cmd == Command.CONTROL_NEW and dps and all(v is None for v in dps.values()):
                # The device22 query: the DPs listed with null values.
                await self._reply(client, session.status(seqno, cmd, self.model.report(dps)))
                return
            await self._answer_control(client, seqno, cmd, self._apply(dps))
        elif cmd == Command.HEART_BEAT:
            await self._reply(client, self._ack(session, seqno, cmd))
        elif cmd == Command.UPDATEDPS:
            await self._reply(client, self._ack(session, seqno, cmd))
            changed = self.model.changed(_requested_ids(request.data))
            if changed:
                self._push(client, changed)
        # Anything else is ignored, as firmwares ignore commands they do not know.

    async def _answer_control(self, client: _Client, seqno: int, cmd: int, taken: Dps) -> None:
        session = client.session
        in_reply: Dps = {}
        if self.reply_shape == "reply":
            in_reply = taken
        elif self.reply_shape == "split":
            in_reply = dict(list(taken.items())[:1])
        pushed = {k: v for k, v in taken.items() if k not in in_reply}
        if in_reply:
            await self._reply(client, session.status(seqno, cmd, in_reply))
        else:
            await self._reply(client, self._ack(session, seqno, cmd))
        if pushed:
            self._push(client, pushed)

    @staticmethod
    def _ack(session: DeviceSession, seqno: int, cmd: int) -> bytes:
        """An empty reply: a frame with retcode 0 and no payload at all (28 bytes on 55AA)."""
        return session.raw(seqno, cmd, b"", 0)

    def _apply(self, dps: Mapping[str, DpValue], *, local: bool = False) -> Dps:
        taken = self.model.apply(dps, local=local)
        for key, value in taken.items():
            if key in self.model.spec.countdowns:
                self._set_countdown(key, value)
        return taken

    def _set_countdown(self, key: str, value: DpValue) -> None:
        timer = self._countdowns.pop(key, None)
        if timer is not None:
            timer.cancel()
        if self._running and isinstance(value, int) and not isinstance(value, bool) and value > 0:
            loop = asyncio.get_running_loop()
            self._countdowns[key] = loop.call_later(value, self._countdown_ended, key)

    def _move(self) -> None:
        """One tick of the device's motion (a cover travelling, a room warming)."""
        self._motion_timer = asyncio.get_running_loop().call_later(TICK, self._move)
        taken = self.model.step()
        if taken and self._client is not None and not self.dark:
            self._push(self._client, taken)

    def _countdown_ended(self, key: str) -> None:
        self._countdowns.pop(key, None)
        taken = self.model.countdown_ended(key)
        if taken and self._client is not None and not self.dark:
            self._push(self._client, taken)

    # Output -------------------------------------------------------------------------

    async def _reply(self, client: _Client, frame: bytes) -> None:
        if self.delay > 0:
            await asyncio.sleep(self.delay)
        self._send(client, frame)

    def _push(self, client: _Client, dps: Dps, cid: str | None = None) -> None:
        """A STATUS push of `dps`; of the sub-device `cid` when a gateway pushes for one."""
        if not client.ready:
            return
        session = client.session
        seqno = 0 if self.version in _OLD_STYLE else session.next_seqno()
        self.stats.pushes += 1
        if cid is None:
            self._send(client, session.status(seqno, Command.STATUS, dps))
        else:
            self._send(client, session.child_status(seqno, Command.STATUS, cid, dps))

    def _send(self, client: _Client, frame: bytes) -> None:
        if client.closed:
            return
        data = frame
        if self._corrupt > 0:
            self._corrupt -= 1
            mangled = bytearray(data)
            mangled[-5] ^= 0xFF  # last byte of the CRC, HMAC or GCM tag
            data = bytes(mangled)
        if self._garbage > 0:
            self._garbage -= 1
            data = JUNK + data
        with contextlib.suppress(ConnectionError):
            client.writer.write(data)


def _requested_ids(data: Mapping[str, Any] | None) -> Iterable[str]:
    ids = (data or {}).get("dpId")
    if not isinstance(ids, list):
        return ()
    return [str(i) for i in ids if isinstance(i, int | str) and not isinstance(i, bool)]
