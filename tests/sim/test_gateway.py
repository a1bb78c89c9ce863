"""The simulated gateway, driven by tinytuya's own gateway and child devices over real TCP."""

from __future__ import annotations

from typing import Any

import pytest
import tinytuya

from setsmart.protocol import Command, Version
from setsmart.sim import SimGateway
from tests.sim.conftest import LOCAL_KEY, FakeClock
from tests.sim.test_tinytuya import blocking

GATEWAY_ID = "bfgw0123456789abcd01"
HOST = "127.0.0.23"
PLUG, THERMO, DOOR = "a4c1380000000001", "a4c1380000000002", "a4c1380000000003"
CHILDREN = {PLUG: "plug", THERMO: "temperature", DOOR: "door"}
GATEWAY_VERSIONS: tuple[Version, ...] = ("3.3", "3.4", "3.5")


def tt_gateway(gw: SimGateway, timeout: float = 2.0) -> tuple[Any, dict[str, Any]]:
    """A persistent tinytuya gateway with one tinytuya child per simulated child."""
    parent = tinytuya.Device(
        gw.device_id,
        gw.host,
        gw.local_key,
        version=float(gw.version),
        port=gw.port,
        persist=True,
        connection_timeout=timeout,
        connection_retry_limit=1,
        connection_retry_delay=0.1,
    )
    children = {
        cid: tinytuya.Device(f"bfchild{n:013d}", cid=cid, parent=parent)
        for n, cid in enumerate(gw.children)
    }
    return parent, children


@pytest.mark.parametrize("version", GATEWAY_VERSIONS)
async def test_tinytuya_reads_and_switches_children_through_one_connection(
    version: Version, clock: FakeClock
) -> None:
    async with SimGateway(
        GATEWAY_ID, LOCAL_KEY, version, children=CHILDREN, host=HOST, clock=clock
    ) as gw:
        parent, children = tt_gateway(gw)

        def session() -> tuple[dict[str, Any], Any, Any]:
            try:
                states = {cid: child.status() for cid, child in children.items()}
                switched = children[PLUG].set_value(1, True)
                return states, switched, parent.subdev_query()
            finally:
                parent.close()

        states, switched, online = await blocking(session)

    for cid, state in states.items():
        assert state["dps"] == gw.child(cid).dps | state["dps"]  # meters move on
        assert state["device"] is children[cid]
    assert states[THERMO]["dps"] == {"1": 215, "2": 48, "4": 100}
    assert states[DOOR]["dps"] == {"1": False, "2": 100}
    assert switched["dps"] == {"1": True}
    assert switched["device"] is children[PLUG]
    assert gw.child(PLUG).dps["1"] is True
    assert online["data"] == {"online": [PLUG, THERMO, DOOR], "offline": []}
    assert gw.stats.connections == 1


async def test_pushes_name_their_child_and_reports_follow_the_children(
    clock: FakeClock,
) -> None:
    async with SimGateway(
        GATEWAY_ID, LOCAL_KEY, "3.4", children=CHILDREN, host=HOST, clock=clock
    ) as gw:
        parent, children = tt_gateway(gw)
        await blocking(children[DOOR].status)

        await gw.set_child_dps(DOOR, {"1": True})
        pushed = await blocking(parent.receive)
        gw.set_online(THERMO, False)
        reported = await blocking(parent.receive)
        parent.close()

    assert pushed["dps"] == {"1": True}
    assert pushed["device"] is children[DOOR]
    assert reported["data"] == {"online": [PLUG, DOOR], "offline": [THERMO]}


async def test_requests_without_a_known_cid_are_refused_and_offline_children_are_silent(
    clock: FakeClock,
) -> None:
    async with SimGateway(
        GATEWAY_ID, LOCAL_KEY, "3.4", children=CHILDREN, host=HOST, clock=clock
    ) as gw:
        gw.child(THERMO).online = False
        parent, _ = tt_gateway(gw, timeout=0.5)
        stranger = tinytuya.Device("bfstranger0000000000", cid="ffff", parent=parent)
        lost = tinytuya.Device("bfchildlost000000000", cid=THERMO, parent=parent)

        def session() -> tuple[Any, Any, Any]:
            try:
                return parent.status(), stranger.status(), lost.status()
            finally:
                parent.close()

        own, unknown, silent = await blocking(session, within=20)

    # tinytuya reads "json obj data unvalid" as its device22 signal (no JSON: None)
    assert own is None or "Error" in own
    assert unknown is None or "Error" in unknown
    assert silent is not None
    assert "Error" in silent
    queries = gw.stats.requests[Command.DP_QUERY] + gw.stats.requests[Command.DP_QUERY_NEW]
    assert queries >= 3


async def test_a_gateway_with_dps_of_its_own_answers_for_itself(clock: FakeClock) -> None:
    async with SimGateway(
        GATEWAY_ID, LOCAL_KEY, "3.3", children=CHILDREN, dps={"1": "disarmed"}, host=HOST
    ) as gw:
        parent, children = tt_gateway(gw)

        def session() -> tuple[Any, Any]:
            try:
                return parent.status(), children[THERMO].status()
            finally:
                parent.close()

        own, child = await blocking(session)
    assert own["dps"] == {"1": "disarmed"}
    assert "device" not in own
    assert child["dps"]["1"] == 215
