"""A gateway's one session, shared by the sub-devices (Zigbee, Bluetooth) behind it.

`GatewayLink` is a `DeviceLink` for the gateway: `run()` keeps the one connection up
(backoff, heartbeats, polls), and every request, the gateway's own and its children's,
is serialised on it by the link's lock. Each sub-device gets a `SubdeviceLink` from
`add_child`, with what a device link offers: `query()`, `set_dps()`, `connected`, and the
same events (LinkUp, LinkDown, DpsReport, LinkProblem) through its own `on_event`.

Per sub-device, by its `cid` (node id):
- a reply or push naming it reaches its `on_event` only, never a sibling's;
- availability: up once it answers or reports, down when the gateway reports it offline
  (told even when it had stopped answering: a sleeping sensor the gateway then loses),
  when it stops answering (a sleeping end device answers no query, but still pushes its
  reports), or when the gateway's session goes down (a LinkDown naming the gateway;
  after it, the next session tells again whether it answers); a child that does not
  answer never takes the gateway or its siblings down (its requests time out on their
  own);
- the gateway's own DPs (an alarm hub's) are read when it has some: a gateway that
  refuses a query without a cid has none, and is not asked again on this connection.
A reply or push naming a cid that is not configured is one LinkProblem on the gateway
(once per cid and connection). A child's LinkDown is a `SubdeviceDown`, which says
whether its gateway's session went down (the gateway's own LinkDown tells why) or the
gateway reports the child out of its reach.

On connecting and at every poll: the online query, the gateway's own DPs, then each
child not reported offline, one after the other; a sleeping child (`sleeps`) that did
not answer is not asked again until it reports or its gateway's next session.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from setsmart.lan.connection import Connection, Target
from setsmart.lan.errors import DeviceRefused, LanError, NotConnected, ReplyTimeout
from setsmart.lan.link import DeviceLink, DpsReport, LinkDown, LinkEvent, LinkProblem, LinkUp
from setsmart.protocol import Dps, DpValue, SubdevOnline


@dataclass(frozen=True, slots=True)
class SubdeviceDown(LinkDown):
    """A sub-device is down: `gateway_down` when its gateway's session is, `out_of_reach`
    when the gateway reports it offline; neither: it stopped answering."""

    gateway_down: bool = False
    out_of_reach: bool = False


def child_label(name: str, gateway: str) -> str:
    """How errors name a sub-device: with its gateway."""
    return f"{name} (via gateway {gateway})"


class ChildState(enum.Enum):
    UNKNOWN = "unknown"  # not heard of since the gateway's session started
    UP = "up"
    DOWN = "down"


class SubdeviceLink:
    """One sub-device behind a gateway: the operations and events of a device link."""

    def __init__(
        self,
        gateway: GatewayLink,
        name: str,
        cid: str,
        on_event: Callable[[LinkEvent], None],
        *,
        sleeps: bool = False,
    ) -> None:
        self.gateway = gateway
        self.name = name
        self.cid = cid
        self.on_event = on_event
        self.sleeps = sleeps
        """A sleeping device (a battery sensor): while it does not answer, polls skip it."""
        self.state = ChildState.UNKNOWN
        self.online: bool | None = None
        """What the gateway last reported (None: it has not said)."""

    def __repr__(self) -> str:
        return f"SubdeviceLink({self.name!r}, cid={self.cid!r}, state={self.state.value!r})"

    @property
    def label(self) -> str:
        return child_label(self.name, self.gateway.name)

    @property
    def connected(self) -> bool:
        return self.gateway.connected and self.state is ChildState.UP

    async def query(self) -> Dps:
        """Read the sub-device's full state now (reported as it is read: `_answered`)."""
        try:
            return await self.gateway.child_query(self.cid)
        except LanError as exc:
            raise self._named(exc) from None

    async def set_dps(self, dps: Mapping[str, DpValue]) -> None:
        try:
            await self.gateway.child_control(self.cid, dps)
        except LanError as exc:
            raise self._named(exc) from None

    # Driven by the gateway ----------------------------------------------------------

    async def read(self) -> None:
        """A poll's read: a failure of this child alone is reported (down), not raised."""
        try:
            await self.query()
        except (ReplyTimeout, DeviceRefused) as exc:
            if self.gateway.connected:
                self._down(exc)
                return
            raise

    def _answered(self, dps: Dps) -> None:
        """Its answer to a status query, as the gateway's session reads it: in order with
        the pushes around it, so that a newer one read with the answer is reported last."""
        self._heard()
        self.on_event(DpsReport(dps, full=True))

    def _report(self, dps: Dps) -> None:
        self._heard()
        if dps:
            self.on_event(DpsReport(dps, full=False))

    def _reported(self, online: bool) -> None:
        """The gateway's word: offline is down at once; back online is up again, but a
        child that stopped answering stays down until it answers (no flapping at polls)."""
        was_offline, self.online = self.online is False, online
        if not online and not was_offline:
            # Told even when it is down already (asleep: not answering): now it is known
            # to be out of reach.
            self.state = ChildState.DOWN
            error = LanError(self.label, "the gateway reports it offline (out of its reach)")
            self.on_event(SubdeviceDown(error, out_of_reach=True))
        elif online and was_offline:
            self._heard()

    def _heard(self) -> None:
        if self.state is not ChildState.UP and self.gateway.connected:
            self.state = ChildState.UP
            self.online = True
            host, version = self.gateway.host, self.gateway.version
            if host is not None and version is not None:
                self.on_event(LinkUp(host, version))

    def _down(self, error: LanError) -> None:
        """It stopped answering (told once, until it is heard again)."""
        if self.state is not ChildState.DOWN:
            self.state = ChildState.DOWN
            self.on_event(SubdeviceDown(error))

    def _gateway_down(self, error: LanError) -> None:
        # Not heard of since: its gateway's next session tells whether it answers.
        self.state = ChildState.UNKNOWN
        self.online = None
        down = type(error)(self.label, f"gateway down: {error}")
        self.on_event(SubdeviceDown(down, gateway_down=True))

    def _named(self, error: LanError) -> LanError:
        cause = error.cause
        if isinstance(error, NotConnected):
            cause = "its gateway is not connected"
        elif isinstance(error, DeviceRefused) and "data unvalid" in cause:
            cause = f"{cause}: the gateway does not know node_id {self.cid!r}"
        return type(error)(self.label, cause)


@dataclass(slots=True)
class GatewayLink(DeviceLink):
    """Keeps a gateway connected for its sub-devices for as long as `run()` runs."""

    children: dict[str, SubdeviceLink] = field(default_factory=dict)
    """The sub-devices, by cid."""
    own_dps: bool | None = None
    """Whether the gateway has DPs of its own (None: not known yet)."""
    _gateway_event: Callable[[LinkEvent], None] | None = None
    _strangers: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        # The gateway's own events pass through here, so its LinkDown reaches every child.
        self._gateway_event, self.on_event = self.on_event, self._on_gateway_event

    def add_child(
        self, name: str, cid: str, on_event: Callable[[LinkEvent], None], *, sleeps: bool = False
    ) -> SubdeviceLink:
        """The handle of the sub-device `cid` (its node_id), reporting to `on_event`
        (`sleeps`: a sleeping device, see `SubdeviceLink.sleeps`)."""
        if cid in self.children:
            raise ValueError(f"{self.name}: node_id {cid!r} is given to two sub-devices")
        child = SubdeviceLink(self, name, cid, on_event, sleeps=sleeps)
        self.children[cid] = child
        return child

    def remove_child(self, cid: str) -> None:
        """Forget the sub-device `cid` (no longer served); its reports become a stranger's."""
        self.children.pop(cid, None)

    async def child_query(self, cid: str) -> Dps:
        """The state of the sub-device `cid`, in turn with every other request (its
        SubdeviceLink reports it, as the answer is read)."""
        return await self._with_connection(lambda conn: conn.child_query(cid))

    async def child_control(self, cid: str, dps: Mapping[str, DpValue]) -> None:
        await self._with_connection(lambda conn: conn.child_control(cid, dps))

    async def query_online(self) -> SubdevOnline:
        """Ask which sub-devices the gateway reaches now (their states follow)."""
        online = await self._with_connection(lambda conn: conn.subdev_online())
        self._on_online(online)
        return online

    # DeviceLink's hooks ---------------------------------------------------------------

    async def _open(self, target: Target) -> Connection:
        self._strangers.clear()
        return await Connection.open(
            target,
            time_limit=self.settings.timeout,
            on_dps=self._on_dps,
            on_fault=self._on_fault,
            on_child=self._on_child,
            on_online=self._on_online,
            on_status=self._on_status,
            on_child_status=self._on_child_status,
        )

    async def _refresh(self) -> None:
        # A gateway without the online query: its children's answers tell instead.
        with contextlib.suppress(DeviceRefused):
            await self.query_online()
        if self.own_dps is not False:
            try:
                await self.query()
            except DeviceRefused:
                self.own_dps = False  # "json obj data unvalid" without a cid: none
            else:
                self.own_dps = True
        for child in list(self.children.values()):
            # Not the one out of reach, nor a sleeper asleep: each would cost a timeout
            # while every other request waits (its reports wake it).
            asleep = child.sleeps and child.state is ChildState.DOWN
            if child.online is not False and not asleep:
                await child.read()

    # Routing --------------------------------------------------------------------------

    def _on_gateway_event(self, event: LinkEvent) -> None:
        if self._gateway_event is not None:
            self._gateway_event(event)
        if isinstance(event, LinkDown):
            self.own_dps = None
            for child in self.children.values():
                child._gateway_down(event.error)

    def _on_child(self, cid: str, dps: Dps) -> None:
        child = self.children.get(cid)
        if child is not None:
            child._report(dps)
        elif cid not in self._strangers:
            self._strangers.add(cid)
            self.on_event(
                LinkProblem(
                    LanError(
                        self.name,
                        f"a report for node_id {cid!r}, which is not configured as a"
                        " sub-device of this gateway",
                    )
                )
            )

    def _on_child_status(self, cid: str, dps: Dps) -> None:
        child = self.children.get(cid)
        if child is not None:  # else removed while it was asked
            child._answered(dps)

    def _on_online(self, online: SubdevOnline) -> None:
        for child in self.children.values():
            if child.cid in online.offline:
                child._reported(False)
            elif child.cid in online.online:
                child._reported(True)
