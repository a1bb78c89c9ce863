"""Many devices in one process: start and stop, addresses, lookup, specs."""

from __future__ import annotations

import asyncio
import time

import pytest

from setsmart.protocol import VERSIONS
from setsmart.sim import SimConfigError, SimError, SimFleet, make_device_id, make_local_key
from setsmart.sim.loopback import loopback_hosts
from tests.sim.conftest import LOCAL_KEY
from tests.sim.wire import WireClient


async def test_200_devices_start_answer_and_stop_within_seconds() -> None:
    started = time.perf_counter()
    fleet = SimFleet.generate(200)
    async with asyncio.timeout(10):
        await fleet.start()
        try:
            up = time.perf_counter() - started
            assert len({d.address for d in fleet}) == 200
            assert len({d.host for d in fleet}) == 200  # one address each
            for dev in list(fleet)[::20]:  # every version and kind is among these
                async with await WireClient.connect(dev) as client:
                    client.send(client.session.query())
                    assert (await client.reply()).dps == dev.dps
        finally:
            stopping = time.perf_counter()
            await fleet.stop()
    assert up < 3.0
    assert time.perf_counter() - stopping < 2.0
    assert not any(d.running for d in fleet)
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection(*next(iter(fleet)).address)


async def test_the_ports_layout_shares_one_address() -> None:
    async with SimFleet.generate(30, layout="ports", shared_host="127.0.0.61") as fleet:
        assert {d.host for d in fleet} == {"127.0.0.61"}
        assert len({d.port for d in fleet}) == 30
        dev = fleet[make_device_id(7)]
        async with await WireClient.connect(dev) as client:
            client.send(client.session.heartbeat())
            await client.reply()
        assert dev.stats.connections == 1
        assert sum(d.stats.connections for d in fleet) == 1


def test_generated_devices_cycle_versions_and_kinds() -> None:
    fleet = SimFleet.generate(10, kinds=("plug", "bulb"))
    devices = list(fleet)
    assert [d.version for d in devices[:5]] == list(VERSIONS)
    assert [d.kind for d in devices[:3]] == ["plug", "bulb", "plug"]
    assert [d.host for d in devices[:2]] == ["127.0.0.2", "127.0.0.3"]
    assert all(len(d.device_id) == 20 and len(d.local_key) == 16 for d in devices)
    assert make_local_key(3) == make_local_key(3) != make_local_key(4)


def test_addresses_go_on_past_127_0_0_254() -> None:
    hosts = loopback_hosts("127.0.0.250")
    assert [next(hosts) for _ in range(7)] == [
        "127.0.0.250",
        "127.0.0.251",
        "127.0.0.252",
        "127.0.0.253",
        "127.0.0.254",
        "127.0.1.1",
        "127.0.1.2",
    ]


async def test_from_spec_and_describe_round_trip() -> None:
    spec = [
        {"id": "bfaaaaaaaaaaaaaaaaa1", "key": LOCAL_KEY, "version": 3.3, "kind": "strip",
         "host": "127.0.0.71"},
        {"id": "bfaaaaaaaaaaaaaaaaa2", "key": LOCAL_KEY, "version": "3.5", "kind": "bulb_v1",
         "host": "127.0.0.72", "port": 0},
        {"id": "bfaaaaaaaaaaaaaaaaa3", "key": LOCAL_KEY, "kind": "raw",
         "dps": {"1": True, "101": "eco"}, "device22": True, "reply_shape": "split"},
    ]  # fmt: skip
    async with SimFleet.from_spec(spec) as fleet:
        described = fleet.describe()
        raw = fleet["bfaaaaaaaaaaaaaaaaa3"]
        assert raw.dps == {"1": True, "101": "eco"}
        assert raw.device22
        assert raw.version == "3.3"
        assert raw.reply_shape == "split"
    assert [(d["id"], d["version"], d["kind"]) for d in described] == [
        ("bfaaaaaaaaaaaaaaaaa1", "3.3", "strip"),
        ("bfaaaaaaaaaaaaaaaaa2", "3.5", "bulb_v1"),
        ("bfaaaaaaaaaaaaaaaaa3", "3.3", "raw"),
    ]
    assert described[0]["host"] == "127.0.0.71"
    assert all(d["port"] > 0 for d in described)

    assert [d["reply_shape"] for d in described] == ["push", "push", "split"]
    rebuilt = SimFleet.from_spec(described[:2])
    assert [d.address for d in rebuilt] == [(d["host"], d["port"]) for d in described[:2]]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"id": "bf1", "key": LOCAL_KEY, "colour": "red"}, "unknown key 'colour'"),
        ({"id": "bf1"}, "'key' must be"),
        ({"id": "bf1", "key": LOCAL_KEY, "version": "3.6"}, "version '3.6'"),
        ({"id": "bf1", "key": LOCAL_KEY, "kind": "kettle"}, "kind 'kettle'"),
        ({"id": "bf1", "key": LOCAL_KEY, "reply_shape": "echo"}, "reply_shape 'echo'"),
        ({"id": "bf1", "key": "short"}, "expected 16"),
        ({"id": "bf1", "key": LOCAL_KEY, "kind": "raw"}, "needs its dps"),
    ],
)
def test_from_spec_names_what_is_wrong(entry: dict[str, object], message: str) -> None:
    with pytest.raises(SimConfigError, match=message):
        SimFleet.from_spec([entry])


def test_lookup_by_id() -> None:
    fleet = SimFleet()
    dev = fleet.add("bfbbbbbbbbbbbbbbbbb1", LOCAL_KEY, "3.4", "plug")
    assert fleet["bfbbbbbbbbbbbbbbbbb1"] is dev
    assert fleet.get("nope") is None
    assert "bfbbbbbbbbbbbbbbbbb1" in fleet
    with pytest.raises(KeyError, match="nope"):
        fleet["nope"]
    with pytest.raises(SimConfigError, match="already"):
        fleet.add("bfbbbbbbbbbbbbbbbbb1", LOCAL_KEY)


async def test_a_taken_address_fails_the_start_and_stops_the_rest() -> None:
    fleet = SimFleet()
    first = fleet.add("bfccccccccccccccccc1", LOCAL_KEY, host="127.0.0.81")
    async with SimFleet() as other:
        blocker = other.add("bfccccccccccccccccc9", LOCAL_KEY, host="127.0.0.82")
        await other.start()
        fleet.add("bfccccccccccccccccc2", LOCAL_KEY, host="127.0.0.82", port=blocker.port)
        with pytest.raises(SimError, match=r"127\.0\.0\.82"):
            await fleet.start()
    assert not first.running
