"""A simulated Tuya gateway (hub) and its Zigbee sub-devices, over one local connection.

Behaviour, as PROTOCOL.md ("Gateways and sub-devices") describes real gateways:
- Sub-devices have no socket: requests for them come on the gateway's connection and
  name them by `cid` (their node id). A query is answered with the child's DPs and its
  cid (3.3: `{"cid","dps","t"}` at the top level; 3.4/3.5: `{"cid","dps"}`); a control
  gets an empty ack, then a STATUS push of the DPs taken, with the cid inside `data` on
  3.4/3.5. A child's own change (`set_child_dps`) is pushed the same way.
- LAN_EXT_STREAM `subdev_online_stat_query` is answered with
  `{"reqType":"subdev_online_stat_report","data":{"online":[...],"offline":[...]}}`; the
  gateway sends such a report on its own when a child comes or goes (`set_online`).
- A query or control without a cid to a gateway without DPs of its own, or one naming a
  cid the gateway does not know, is answered "json obj data unvalid" (retcode 1).
- A child the gateway cannot reach (offline) or one made `silent` never answers; a
  silent child still pushes its own changes (`set_child_dps`), as a sleeping Zigbee end
  device does: it answers no query while asleep, and reports when it wakes. A child
  with a `delay` answers its queries that late, while its siblings' answers go on.
Everything else (handshake, heartbeats, one client at a time, faults) is SimDevice's.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping
from typing import Any, Final

from setsmart.protocol import Command, DeviceSession, Dps, DpValue, Request, Version
from setsmart.protocol.messages import SUBDEV_ONLINE_QUERY
from setsmart.sim.device import SimDevice, _Client
from setsmart.sim.errors import SimConfigError
from setsmart.sim.kinds import DpSpec, KindSpec, kind_spec
from setsmart.sim.model import Clock, DeviceModel

_UNVALID = b"json obj data unvalid"
_QUERIES = frozenset({Command.DP_QUERY, Command.DP_QUERY_NEW})
_CONTROLS = frozenset({Command.CONTROL, Command.CONTROL_NEW})
_OLD_STYLE = frozenset({"3.1", "3.2", "3.3"})
_PERCENT = DpSpec("int", 0, 100, writable=False)

# Zigbee temperature and humidity sensor (category wsdcg): DP 1 va_temperature (°C x10),
# DP 2 va_humidity (%), DP 4 battery_percentage, the ids TS0201/TS0601 sensors report
# (Tuya's wsdcg standard instruction set; the Homey Tuya Zigbee app's data point table).
_TEMPERATURE = KindSpec(
    specs={"1": DpSpec("int", -400, 1000, writable=False), "2": _PERCENT, "4": _PERCENT},
    initial={"1": 215, "2": 48, "4": 100},
    countdowns={},
    product_key="simzbthsensor201",
)
# Zigbee door contact (category mcs): DP 1 doorcontact_state (true = open), DP 2
# battery_percentage (Tuya's mcs standard instruction set; tuya-local's contact sensors).
_DOOR = KindSpec(
    specs={"1": DpSpec("bool", writable=False), "2": _PERCENT},
    initial={"1": False, "2": 100},
    countdowns={},
    product_key="simzbdoorsensor1",
)
CHILD_KINDS: Final[Mapping[str, KindSpec]] = {"temperature": _TEMPERATURE, "door": _DOOR}
"""Sub-device kinds of the gateway's own; any simulated device kind (plug...) works too."""

# A gateway without DPs of its own still needs a model for SimDevice; it is never read.
_NO_DPS: Final[Mapping[str, DpValue]] = {"1": None}


class SimChild:
    """One sub-device behind the gateway: its node id, its DPs, whether it is reachable."""

    def __init__(self, cid: str, kind: str, model: DeviceModel) -> None:
        self.cid = cid
        self.kind = kind
        self.model = model
        self.online = True  # what the gateway reports; an offline child never answers
        self.silent = False  # reachable, never answers a query (asleep), still pushes
        self.delay = 0.0  # seconds before it answers a query (a slow radio link)
        self.queries = 0  # queries for it the gateway got (answered or not)

    def __repr__(self) -> str:
        return f"SimChild({self.cid!r}, kind={self.kind!r}, online={self.online})"

    @property
    def dps(self) -> Dps:
        return self.model.dps


class SimGateway(SimDevice):
    """A gateway on a loopback address with sub-devices addressed by cid.

    `children` maps each cid to its kind (temperature, door, or a simulated device kind
    such as plug); `dps`, when given, are the gateway's own DPs (an alarm hub's); other
    options are SimDevice's.
    """

    def __init__(
        self,
        device_id: str,
        local_key: str,
        version: Version = "3.3",
        *,
        children: Mapping[str, str] | None = None,
        dps: Mapping[str, DpValue] | None = None,
        clock: Clock = time.monotonic,
        product_key: str = "simzbgateway0001",
        **options: Any,
    ) -> None:
        super().__init__(
            device_id,
            local_key,
            version,
            "raw",
            dps=dps or _NO_DPS,
            clock=clock,
            product_key=product_key,
            **options,
        )
        self.has_own_dps = bool(dps)
        self._clock = clock
        self.children: dict[str, SimChild] = {}
        for cid, kind in (children or {}).items():
            self.add_child(cid, kind)

    def __repr__(self) -> str:
        return (
            f"SimGateway({self.device_id!r}, version={self.version!r},"
            f" children={len(self.children)}, address='{self.host}:{self.port}')"
        )

    def add_child(
        self, cid: str, kind: str = "plug", dps: Mapping[str, DpValue] | None = None
    ) -> SimChild:
        if not cid or cid in self.children:
            raise SimConfigError(
                f"gateway {self.device_id}: sub-device cid {cid!r} is empty or taken"
            )
        spec = CHILD_KINDS.get(kind) or kind_spec(kind, dps)
        rng = random.Random(cid)
        model = DeviceModel(
            spec, dps, clock=self._clock, rng=rng, load_watts=round(rng.uniform(5, 60), 1)
        )
        child = SimChild(cid, kind, model)
        self.children[cid] = child
        return child

    def child(self, cid: str) -> SimChild:
        try:
            return self.children[cid]
        except KeyError:
            raise KeyError(f"gateway {self.device_id} has no sub-device {cid}") from None

    async def set_child_dps(self, cid: str, dps: Mapping[str, DpValue]) -> Dps:
        """A child's own change (a sensor reading, a door opening): pushed with its cid."""
        child = self.child(cid)
        taken = child.model.apply(dps, local=True)
        client = self._client
        if taken and child.online and client is not None and not self.dark:
            self._push(client, taken, cid)
        return taken

    def set_online(self, cid: str, online: bool) -> None:
        """The gateway gains or loses a child, and reports it to the connected client."""
        self.child(cid).online = online
        client = self._client
        if client is not None and client.ready and not self.dark:
            session = client.session
            seqno = 0 if self.version in _OLD_STYLE else session.next_seqno()
            self._send(client, self._online_report(session, seqno))

    # Answers ------------------------------------------------------------------------

    async def _answer(self, client: _Client, request: Request) -> None:
        cmd, cid = request.cmd, request.cid
        own = self.has_own_dps or cmd not in _QUERIES | _CONTROLS
        if cid is None and cmd != Command.LAN_EXT_STREAM and own:
            await super()._answer(client, request)  # the gateway's own business
            return
        self.stats.requests[cmd] += 1
        session = client.session
        seqno = session.reply_seqno(request.seqno)
        if cmd == Command.LAN_EXT_STREAM:
            if (request.data or {}).get("reqType") == SUBDEV_ONLINE_QUERY:
                await self._reply(client, self._online_report(session, seqno))
            return
        child = None if cid is None else self.children.get(cid)
        if child is None or cmd not in _QUERIES | _CONTROLS:
            await self._reply(client, session.error(seqno, cmd, _UNVALID, encrypted=True))
            return
        if cmd in _QUERIES:
            child.queries += 1
        if not child.online or child.silent:
            return
        if cmd in _QUERIES:
            frame = self._child_reply(session, seqno, cmd, child)
            if child.delay > 0:
                asyncio.get_running_loop().call_later(child.delay, self._send, client, frame)
            else:
                await self._reply(client, frame)
            return
        taken = child.model.apply(request.dps or {})
        await self._reply(client, self._ack(session, seqno, cmd))
        if taken:
            self._push(client, taken, child.cid)

    def _child_reply(self, session: DeviceSession, seqno: int, cmd: int, child: SimChild) -> bytes:
        dps = child.model.report()
        if self.version in _OLD_STYLE:
            return session.child_status(seqno, cmd, child.cid, dps)
        return session.reply(seqno, cmd, {"cid": child.cid, "dps": dps})

    def _online_report(self, session: DeviceSession, seqno: int) -> bytes:
        children = self.children.values()
        online = [c.cid for c in children if c.online]
        offline = [c.cid for c in children if not c.online]
        return session.subdev_online_report(seqno, online, offline)
