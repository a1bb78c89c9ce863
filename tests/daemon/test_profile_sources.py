"""A `type: auto` device with a cloud configured: its specification fetched once from the
(fake, signature-checking) cloud, cached in the state directory, and used by later starts
without the cloud; a malformed specification is one line on `bridge/log`. End to end:
the daemon, mosquitto and a simulated device on 127.0.0.x."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from setsmart.daemon.specs import SPECIFICATIONS, SpecCache, load_specs
from setsmart.daemon.store import StateStore
from setsmart.devices.spec import SpecError
from setsmart.sim import SimDevice
from tests.daemon.harness import BASE, KEY, Dev, config_text
from tests.daemon.test_cloud_e2e import FAST, cloud_section, daemon
from tests.support.broker import Broker, running_broker
from tests.support.fake_cloud import FakeCloud, FakeDevice, FakeDp, Fault
from tests.support.mqtt_client import Received, recorder

pytestmark = pytest.mark.timeout(60)

DOOR_ID = "bfdoorsensor00000001"


def door(device_id: str = DOOR_ID) -> FakeDevice:
    """make-all/tuya-local#538: a Wi-Fi door sensor (mcs), door on DP 1, battery on DP 2.
    On the LAN its `{"1": false, "2": 100}` looks like a plug's: only the spec tells."""
    return FakeDevice(
        device_id,
        KEY,
        "front door",
        category="mcs",
        product_id="0mjj67aaztcfmc3i",
        dps=[
            FakeDp("doorcontact_state", 1, "Boolean", writable=False),
            FakeDp("battery_percentage", 2, "Integer", {"min": 0, "max": 100}, writable=False),
        ],
        status={"doorcontact_state": False, "battery_percentage": 100},
    )


def config(broker: Broker, sim: SimDevice, cloud: FakeCloud) -> str:
    # Home Assistant discovery of the new kinds is not this test's subject.
    text = config_text(broker, [Dev("front_door", sim)]) + cloud_section(cloud)
    return text.replace("homeassistant:\n", "homeassistant:\n  discovery: false\n")


def listed_as(name: str, kind: str) -> Callable[[Received], bool]:
    """`B/bridge/devices` lists `name` as `kind` ("online": with a live connection)."""

    def check(message: Received) -> bool:
        return any(
            row["name"] == name
            and (row["connection"] != "offline" if kind == "online" else row["type"] == kind)
            for row in message.json()
        )

    return check


async def test_the_specification_is_fetched_once_and_later_starts_use_the_cache(
    tmp_path: Path,
) -> None:
    sim = SimDevice(DOOR_ID, KEY, "3.4", "plug", host="127.0.0.61", dps={"1": False, "2": 100})
    await sim.start()
    try:
        async with running_broker(tmp_path) as broker, FakeCloud() as cloud:
            cloud.add_device(door())
            text = config(broker, sim, cloud)
            async with (
                recorder(broker.host, broker.port, f"{BASE}/#") as mqtt,
                daemon(tmp_path, text, FAST),
            ):
                await mqtt.wait_for(f"{BASE}/bridge/devices", listed_as("front_door", "sensor"))
            assert cloud.count("/specifications") == 1
            cached = load_specs(StateStore(tmp_path / "state")).value[DOOR_ID]
            assert cached.category == "mcs"
            assert cached.code("doorcontact_state") is not None

            cloud.inject(Fault.HTTP_500, path="/specifications", times=100)
            calls = len(cloud.calls)
            async with (
                recorder(broker.host, broker.port, f"{BASE}/#") as mqtt,
                daemon(tmp_path, text, FAST),
            ):
                await mqtt.wait_for(f"{BASE}/bridge/devices", listed_as("front_door", "online"))
                await mqtt.wait_for(f"{BASE}/bridge/devices", listed_as("front_door", "sensor"))
                rows = [row for m in mqtt.on(f"{BASE}/bridge/devices") for row in m.json()]
                # From its first report on, a sensor: never the plug its DPs suggest (a row
                # published between its connection and that report still says auto).
                types = [row["type"] for row in rows if row["name"] == "front_door"]
                assert "plug" not in types
                assert set(types) <= {"auto", "sensor"}
            assert len(cloud.calls) == calls  # not one call: the cache was enough
    finally:
        await sim.stop()


async def test_a_malformed_specification_leaves_the_device_to_its_dps_with_one_line(
    tmp_path: Path,
) -> None:
    sim = SimDevice(DOOR_ID, KEY, "3.4", "plug", host="127.0.0.62", dps={"1": False, "2": 100})
    await sim.start()
    try:
        async with running_broker(tmp_path) as broker, FakeCloud() as cloud:
            broken = door()
            broken.dps.append(FakeDp("mode", 3, "Enum", {}))  # an enum without values
            cloud.add_device(broken)
            text = config(broker, sim, cloud)
            async with (
                recorder(broker.host, broker.port, f"{BASE}/#") as mqtt,
                daemon(tmp_path, text, FAST),
            ):
                line = await mqtt.wait_for(
                    f"{BASE}/bridge/log", lambda m: "specification" in m.json()["message"]
                )
                assert line.json() == {
                    "level": "warning",
                    "device": "front_door",
                    "message": "front_door: the Tuya cloud's specification is malformed "
                    "(functions[0] (mode): an Enum needs a non-empty range); the product "
                    "library or its DPs decide its kind",
                }
                # The broadcast product key is not heard here: recognition says plug.
                await mqtt.wait_for(f"{BASE}/bridge/devices", listed_as("front_door", "plug"))
            assert load_specs(StateStore(tmp_path / "state")).value == {}
    finally:
        await sim.stop()


async def test_the_cache_survives_a_corrupt_entry_and_names_it(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    store.save(SPECIFICATIONS, {"format": 1, "devices": {"bfa": {"status": "x"}, "bfb": {}}})
    loaded = load_specs(store)
    assert loaded.value == {}
    assert [str(p).split(": entry ")[1] for p in loaded.problems] == [
        "'bfa' ignored (status must be a list, got a str)",
        "'bfb' ignored (the specification lists no DPs)",
    ]


async def test_the_cache_asks_the_thing_model_when_the_specification_is_refused(
    tmp_path: Path,
) -> None:
    class Client:
        def __init__(self) -> None:
            self.asked: list[str] = []

        async def specifications(self, device_id: str) -> object:
            self.asked.append("specifications")
            raise SpecError("refused")

        async def device(self, device_id: str) -> object:
            raise AssertionError("the category was given")

        async def thing_model(self, device_id: str) -> dict[str, object]:
            self.asked.append("model")
            props = [{"abilityId": 1, "code": "pir_state", "typeSpec": {"type": "enum"}}]
            props[0]["typeSpec"] = {"type": "enum", "range": ["pir", "none"]}
            return {"model": json.dumps({"services": [{"properties": props}]})}

    client = Client()
    cache = SpecCache(StateStore(tmp_path), {})
    spec = await cache.fetch(client, "bfpir", category="pir")
    assert (spec.category, [dp.code for dp in spec.dps]) == ("pir", ["pir_state"])
    assert await cache.fetch(client, "bfpir") == spec
    assert client.asked == ["specifications", "model"]
    assert load_specs(StateStore(tmp_path)).value == {"bfpir": spec}
