"""A gateway's one session shared by its sub-devices, end to end over loopback sockets."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from setsmart.lan.errors import DeviceRefused, LanError, ReplyTimeout
from setsmart.lan.gateway import ChildState, GatewayLink, SubdeviceDown, SubdeviceLink
from setsmart.lan.link import DpsReport, LinkDown, LinkEvent, LinkProblem, LinkSettings, LinkUp
from setsmart.protocol import Command, DpValue, Version
from setsmart.sim import SimGateway
from tests.lan.helpers import KEY, STATUS_QUERIES, new_id, set_dps, wait_until

pytestmark = pytest.mark.timeout(30)

FAST = LinkSettings(
    heartbeat=0.3, timeout=0.4, poll=0, energy_poll=0, backoff_base=0.05, backoff_cap=0.2
)
HOST = "127.0.0.31"
PLUG, THERMO, DOOR = "a4c1380000000001", "a4c1380000000002", "a4c1380000000003"
CHILDREN = {PLUG: "plug", THERMO: "temperature", DOOR: "door"}
NAMES = {PLUG: "porch_plug", THERMO: "hall_climate", DOOR: "back_door"}


class Hub:
    """A GatewayLink to a simulated gateway, with every event recorded per device."""

    def __init__(
        self,
        sim: SimGateway,
        cids: list[str],
        settings: LinkSettings = FAST,
        sleepers: tuple[str, ...] = (),
    ) -> None:
        self.events: dict[str, list[LinkEvent]] = {"gateway": []}
        self.link = GatewayLink(
            name="hub",
            device_id=sim.device_id,
            local_key=KEY.encode(),
            host=sim.host,
            port=sim.port,
            version=sim.version,
            on_event=self.events["gateway"].append,
            settings=settings,
        )
        self.children: dict[str, SubdeviceLink] = {}
        for cid in cids:
            name = NAMES.get(cid, cid)
            self.events[name] = []
            self.children[cid] = self.link.add_child(
                name, cid, self.events[name].append, sleeps=cid in sleepers
            )

    def of(self, name: str, kind: type[LinkEvent]) -> list[LinkEvent]:
        return [e for e in self.events[name] if isinstance(e, kind)]

    def reports(self, name: str) -> list[DpsReport]:
        return [e for e in self.events[name] if isinstance(e, DpsReport)]

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[GatewayLink]:
        task = asyncio.create_task(self.link.run())
        try:
            yield self.link
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            assert not self.link.connected


def gateway(version: Version = "3.4", dps: dict[str, DpValue] | None = None) -> SimGateway:
    return SimGateway(new_id(), KEY, version, children=dict(CHILDREN), dps=dps, host=HOST)


@pytest.mark.parametrize("version", ["3.3", "3.4", "3.5"])
async def test_children_come_up_through_one_session_and_get_only_their_own_reports(
    version: Version,
) -> None:
    async with gateway(version) as sim:
        hub = Hub(sim, list(CHILDREN))
        async with hub.running() as link:
            await wait_until(lambda: bool(hub.of("gateway", LinkUp)))
            for cid, name in NAMES.items():
                assert hub.children[cid].connected
                assert len(hub.of(name, LinkUp)) == 1
                (full,) = hub.reports(name)
                assert full.full
                assert full.dps.keys() == sim.child(cid).dps.keys()
            assert hub.reports("back_door")[0].dps == {"1": False, "2": 100}
            assert link.own_dps is False  # refused a query without a cid: no DPs of its own
            assert not hub.reports("gateway")

            await hub.children[PLUG].set_dps({"1": True})
            assert sim.child(PLUG).dps["1"] is True
            await wait_until(lambda: hub.reports("porch_plug")[-1].dps == {"1": True})
            await sim.set_child_dps(DOOR, {"1": True})
            await wait_until(lambda: hub.reports("back_door")[-1].dps == {"1": True})

            assert len(hub.reports("hall_climate")) == 1  # nothing of its siblings'
            assert len(hub.reports("porch_plug")) == 2
            assert not hub.of("gateway", LinkProblem)
            assert sim.stats.connections == 1


async def test_concurrent_requests_are_serialised_and_each_gets_its_own_reply() -> None:
    async with gateway("3.5") as sim:
        hub = Hub(sim, list(CHILDREN))
        async with hub.running():
            await wait_until(lambda: bool(hub.of("gateway", LinkUp)))
            states = await asyncio.gather(
                *(child.query() for child in hub.children.values() for _ in range(5)),
                hub.children[PLUG].set_dps({"9": 60}),
            )
            for n, cid in enumerate(hub.children):
                for state in states[n * 5 : n * 5 + 5]:
                    assert state is not None
                    assert state.keys() == sim.child(cid).dps.keys()
            assert sim.child(PLUG).dps["9"] == 60


async def test_a_child_that_does_not_answer_leaves_the_gateway_and_its_siblings_up() -> None:
    async with gateway("3.3") as sim:
        sim.child(THERMO).silent = True
        hub = Hub(sim, list(CHILDREN))
        async with hub.running() as link:
            await wait_until(lambda: bool(hub.of("gateway", LinkUp)))
            (down,) = hub.of("hall_climate", LinkDown)
            assert isinstance(down, LinkDown)
            assert down == SubdeviceDown(down.error)  # neither its gateway nor out of reach
            assert isinstance(down.error, ReplyTimeout)
            assert str(down.error).startswith("hall_climate (via gateway hub): no answer to")
            assert hub.children[THERMO].state is ChildState.DOWN
            assert hub.children[PLUG].connected
            assert hub.children[DOOR].connected

            with pytest.raises(ReplyTimeout, match=r"^hall_climate \(via gateway hub\)"):
                await hub.children[THERMO].query()
            await hub.children[PLUG].set_dps({"1": True})
            assert sim.child(PLUG).dps["1"] is True
            assert link.connected

            sim.child(THERMO).silent = False
            await sim.set_child_dps(THERMO, {"1": 190})  # it speaks again: up
            await wait_until(lambda: hub.children[THERMO].connected)
            assert hub.reports("hall_climate")[-1].dps == {"1": 190}
        assert not hub.of("gateway", LinkDown)


async def test_a_late_answer_reaches_its_own_child_not_the_request_then_waiting() -> None:
    async with gateway("3.5") as sim:  # 3.5 replies do not echo the seqno: only cid tells
        sim.child(THERMO).delay = 0.6
        hub = Hub(sim, list(CHILDREN))
        async with hub.running():
            await wait_until(lambda: bool(hub.of("hall_climate", LinkDown)))
            plug_keys = sim.child(PLUG).dps.keys()
            async with asyncio.timeout(3):
                while not hub.reports("hall_climate"):
                    assert (await hub.children[PLUG].query()).keys() == plug_keys
            (late,) = hub.reports("hall_climate")
            assert not late.full
            assert late.dps == {"1": 215, "2": 48, "4": 100}
            assert hub.children[THERMO].connected  # it answered after all
            assert all(r.dps.keys() <= plug_keys for r in hub.reports("porch_plug"))


async def test_a_silent_child_stays_down_across_polls_without_flapping() -> None:
    polling = LinkSettings(heartbeat=1, timeout=0.2, poll=0.3, energy_poll=0, backoff_base=0.05)
    async with gateway("3.4") as sim:
        sim.child(THERMO).silent = True
        hub = Hub(sim, list(CHILDREN), polling)
        async with hub.running():
            # the plug is read at every poll; waiting on its replies, not on the
            # gateway's count of requests, leaves no reply still in flight
            await wait_until(lambda: len(hub.reports("porch_plug")) >= 4)
            assert sim.stats.requests[Command.LAN_EXT_STREAM] >= 4
            assert len(hub.of("hall_climate", LinkDown)) == 1
            assert not hub.of("hall_climate", LinkUp)
            assert len(hub.of("porch_plug", LinkUp)) == 1
            assert len(hub.of("gateway", LinkUp)) == 1


async def test_a_sleeping_child_that_does_not_answer_is_not_asked_until_it_reports() -> None:
    polling = LinkSettings(heartbeat=1, timeout=0.2, poll=0.3, energy_poll=0, backoff_base=0.05)
    async with gateway("3.4") as sim:
        sim.child(THERMO).silent = True  # asleep
        sim.child(DOOR).silent = True  # not a sleeper: asked at every poll all the same
        hub = Hub(sim, list(CHILDREN), polling, sleepers=(THERMO,))
        async with hub.running():
            await wait_until(lambda: len(hub.reports("porch_plug")) >= 4)
            assert sim.child(THERMO).queries == 1
            assert sim.child(DOOR).queries >= 4
            await sim.set_child_dps(THERMO, {"1": 190})  # it wakes and reports: asked again
            await wait_until(lambda: sim.child(THERMO).queries == 2)
            await wait_until(lambda: len(hub.of("hall_climate", LinkDown)) == 2)
            polls = len(hub.reports("porch_plug"))
            await wait_until(lambda: len(hub.reports("porch_plug")) >= polls + 3)
            assert sim.child(THERMO).queries == 2
            assert hub.reports("hall_climate")[-1].dps == {"1": 190}


async def test_the_gateways_online_reports_set_each_childs_availability() -> None:
    async with gateway("3.4") as sim:
        sim.child(DOOR).online = False
        hub = Hub(sim, list(CHILDREN))
        async with hub.running():
            await wait_until(lambda: bool(hub.of("gateway", LinkUp)))
            (down,) = hub.of("back_door", LinkDown)
            assert isinstance(down, LinkDown)
            assert down == SubdeviceDown(down.error, out_of_reach=True)
            assert str(down.error) == (
                "back_door (via gateway hub): the gateway reports it offline (out of its reach)"
            )
            assert not hub.reports("back_door")  # not asked: it would not answer

            sim.set_online(DOOR, True)
            await wait_until(lambda: hub.children[DOOR].connected)
            sim.set_online(PLUG, False)
            await wait_until(lambda: not hub.children[PLUG].connected)
            assert hub.children[THERMO].connected
            assert hub.children[PLUG].online is False
            online = await hub.link.query_online()
            assert online.offline == {PLUG}
            assert online.online == {THERMO, DOOR}
        assert len(hub.of("hall_climate", LinkUp)) == 1
        assert not hub.of("hall_climate", LinkDown)


async def test_unknown_cids_either_way_give_one_readable_error() -> None:
    async with gateway("3.4") as sim:
        sim.add_child("a4c13800000000ff", "door")
        hub = Hub(sim, [PLUG, "0000000000000bad"])
        async with hub.running():
            await wait_until(lambda: bool(hub.of("gateway", LinkUp)))
            (down,) = hub.of("0000000000000bad", LinkDown)
            assert isinstance(down, LinkDown)
            assert isinstance(down.error, DeviceRefused)
            assert str(down.error) == (
                "0000000000000bad (via gateway hub): device answered 'json obj data unvalid'"
                " (code 1): the gateway does not know node_id '0000000000000bad'"
            )
            with pytest.raises(DeviceRefused, match="does not know node_id"):
                await hub.children["0000000000000bad"].set_dps({"1": True})

            await sim.set_child_dps("a4c13800000000ff", {"1": True})
            await sim.set_child_dps("a4c13800000000ff", {"1": False})
            await sim.set_child_dps(PLUG, {"1": True})
            await wait_until(lambda: hub.reports("porch_plug")[-1].dps == {"1": True})
            (problem,) = hub.of("gateway", LinkProblem)
            assert isinstance(problem, LinkProblem)
            assert str(problem.error) == (
                "hub: a report for node_id 'a4c13800000000ff', which is not configured as a"
                " sub-device of this gateway"
            )
            assert hub.children[PLUG].connected


async def test_a_gateway_with_dps_of_its_own_reports_them_beside_its_children() -> None:
    async with gateway("3.3", dps={"1": "disarmed", "2": 30}) as sim:
        hub = Hub(sim, [DOOR])
        async with hub.running() as link:
            await wait_until(lambda: bool(hub.of("gateway", LinkUp)))
            assert link.own_dps is True
            assert hub.reports("gateway")[0].dps == {"1": "disarmed", "2": 30}
            assert await set_dps(link, {"1": "armed"}) is None
            await wait_until(lambda: hub.reports("gateway")[-1].dps == {"1": "armed"})
            assert hub.reports("back_door")[0].dps == {"1": False, "2": 100}
            assert len(hub.reports("back_door")) == 1


async def test_children_go_down_with_the_gateway_and_come_back_with_it() -> None:
    async with gateway("3.5") as sim:
        hub = Hub(sim, list(CHILDREN))
        async with hub.running():
            await wait_until(lambda: bool(hub.of("gateway", LinkUp)))
            sim.drop_clients()
            await wait_until(lambda: len(hub.of("gateway", LinkUp)) == 2)
            for name in NAMES.values():
                (down,) = hub.of(name, LinkDown)
                assert isinstance(down, LinkDown)
                assert down == SubdeviceDown(down.error, gateway_down=True)
                assert str(down.error).startswith(f"{name} (via gateway hub): gateway down: hub: ")
                assert len(hub.of(name, LinkUp)) == 2
            assert all(child.connected for child in hub.children.values())


async def test_a_silent_child_is_told_out_of_reach_and_silent_again_after_its_gateway() -> None:
    # A sleeping sensor (not answering) the gateway then loses, then finds again; its
    # gateway's session drops, and the new one finds it still asleep.
    async with gateway("3.4") as sim:
        sim.child(THERMO).silent = True
        hub = Hub(sim, list(CHILDREN))
        async with hub.running():
            await wait_until(lambda: bool(hub.of("hall_climate", LinkDown)))
            sim.set_online(THERMO, False)
            await wait_until(lambda: len(hub.of("hall_climate", LinkDown)) == 2)
            await hub.link.query_online()  # the gateway's word, once more: nothing new
            assert len(hub.of("hall_climate", LinkDown)) == 2
            sim.set_online(THERMO, True)  # back in reach: up, on the gateway's word
            await wait_until(lambda: bool(hub.of("hall_climate", LinkUp)))

            sim.drop_clients()
            await wait_until(lambda: len(hub.of("gateway", LinkUp)) == 2)
            await wait_until(lambda: len(hub.of("hall_climate", LinkDown)) == 4)
            kinds = [
                (down.gateway_down, down.out_of_reach)
                for down in hub.of("hall_climate", LinkDown)
                if isinstance(down, SubdeviceDown)
            ]
            assert kinds == [(False, False), (False, True), (True, False), (False, False)]
            assert len(hub.of("hall_climate", LinkUp)) == 1


async def test_a_child_of_a_gateway_that_is_down_says_so() -> None:
    sim = gateway("3.4")
    hub = Hub(sim, [PLUG])
    with pytest.raises(
        LanError, match=r"^porch_plug \(via gateway hub\): its gateway is not connected$"
    ):
        await hub.children[PLUG].set_dps({"1": True})
    with pytest.raises(ValueError, match="node_id 'a4c1380000000001' is given to two"):
        hub.link.add_child("again", PLUG, print)


class _ChildPressedAsItAnswers(SimGateway):
    """A gateway whose sub-device `armed` is switched just after it answers a status query
    for it: the answer and the child's push leave back to back."""

    armed: str | None = None

    async def _answer(self, client: Any, request: Any) -> None:
        await super()._answer(client, request)
        cid = self.armed
        if cid is not None and request.cid == cid and request.cmd in STATUS_QUERIES:
            self.armed = None
            await self.set_child_dps(cid, {"1": not self.child(cid).dps["1"]})


@pytest.mark.parametrize("version", ["3.3", "3.5"])
async def test_a_child_switched_just_after_its_status_answer_is_reported_last(
    version: Version,
) -> None:
    async with _ChildPressedAsItAnswers(
        new_id(), KEY, version, children=dict(CHILDREN), host=HOST
    ) as sim:
        hub = Hub(sim, list(CHILDREN))
        async with hub.running():
            await wait_until(lambda: hub.children[PLUG].connected)
            sim.armed = PLUG
            await hub.children[PLUG].query()
            switched = sim.child(PLUG).dps["1"]

            def states() -> list[DpValue]:
                return [r.dps["1"] for r in hub.reports("porch_plug") if "1" in r.dps]

            await wait_until(lambda: switched in states()[1:])
            await asyncio.sleep(0.05)
            assert states()[-1] is switched  # the newer state, not the answer's
