"""A gateway and its sub-devices through the daemon: a simulated gateway of each version,
a real mosquitto, what a user sees on MQTT (CONTRACT.md "Gateways")."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from setsmart.config import ConfigError, load_config
from setsmart.daemon.supervisor import Supervisor
from setsmart.protocol import Command, Version
from setsmart.sim import SimGateway
from tests.daemon.harness import BASE, KEY, PREFIX, daemon
from tests.lan.helpers import wait_until
from tests.support.broker import Broker, running_broker
from tests.support.mqtt_client import Received, Recorder, recorder

pytestmark = pytest.mark.timeout(60)

GATEWAY_ID = "bfgateway00000000001"
PLUG, THERMO, DOOR = "a4c1380000000001", "a4c1380000000002", "a4c1380000000003"
STRANGER = "a4c13800000000ff"  # paired with the gateway, not configured
HOSTS: dict[Version, str] = {"3.3": "127.0.0.61", "3.4": "127.0.0.62", "3.5": "127.0.0.63"}
VERSIONS = list(HOSTS)
CHILDREN = ("porch_plug", "hall_climate", "back_door")

#: The children, listed before their gateway: the order of the file must not matter.
CHILDREN_YAML = f"""\
  - id: bfzbplug000000000001
    name: porch_plug
    type: plug
    gateway: hub
    node_id: '{PLUG}'
  - id: bfzbclimate000000001
    name: hall_climate
    type: sensor
    gateway: hub
    node_id: '{THERMO}'
  - id: bfzbdoor000000000001
    name: back_door
    type: sensor
    gateway: hub
    node_id: '{DOOR}'
    dps: {{doorcontact_state: 1, battery_percentage: 2, va_temperature: null,
           va_humidity: null, battery_state: null}}
"""


def gateway_yaml(sim: SimGateway, extra: str = "") -> str:
    return (
        f"  - id: {sim.device_id}\n    name: hub\n    local_key: '{KEY}'\n"
        f"    host: {sim.host}\n    port: {sim.port}\n    version: '{sim.version}'\n" + extra
    )


def config_text(broker: Broker, devices: str, *, poll: float = 0) -> str:
    return (
        f"mqtt:\n  host: {broker.host}\n  port: {broker.port}\n  base_topic: {BASE}\n"
        f"homeassistant:\n  prefix: {PREFIX}\n"
        # A timeout that leaves room for a reconnect on a loaded machine.
        f"lan:\n  discovery: false\n  heartbeat: 1\n  timeout: 2\n  poll: {poll:g}\n"
        "  energy_poll: 0\n"
        "devices:\n" + devices
    )


def new_gateway(version: Version) -> SimGateway:
    children = {PLUG: "plug", THERMO: "temperature", DOOR: "door", STRANGER: "door"}
    return SimGateway(GATEWAY_ID, KEY, version, children=children, host=HOSTS[version])


def doc(message: Received) -> dict[str, object]:
    document = message.json()
    assert isinstance(document, dict)
    return document


def logs(mqtt: Recorder, since: int) -> list[dict[str, object]]:
    return [doc(m) for m in mqtt.messages[since:] if m.topic == f"{BASE}/bridge/log"]


def availability(mqtt: Recorder, name: str, since: int = 0) -> list[bytes]:
    return [m.payload for m in mqtt.on(f"{BASE}/{name}/availability")[since:]]


async def online(
    mqtt: Recorder, name: str, value: bytes = b"online", since: int = 0, within: float = 10.0
) -> None:
    await mqtt.wait_for(
        f"{BASE}/{name}/availability", lambda m: m.payload == value, since=since, within=within
    )


@contextlib.asynccontextmanager
async def served(
    tmp_path: Path, version: Version, *, door_online: bool = True
) -> AsyncIterator[tuple[SimGateway, Recorder, Supervisor, Path]]:
    sim = new_gateway(version)
    sim.child(DOOR).online = door_online
    async with (
        running_broker(tmp_path) as broker,
        sim,
        recorder(broker.host, broker.port, f"{BASE}/#", f"{PREFIX}/#", "reply/#") as mqtt,
        daemon(tmp_path, config_text(broker, CHILDREN_YAML + gateway_yaml(sim))) as supervisor,
    ):
        yield sim, mqtt, supervisor, tmp_path / "config.yaml"


@pytest.mark.parametrize("version", VERSIONS)
async def test_each_child_has_its_own_state_and_commands_and_pushes_reach_only_it(
    tmp_path: Path, version: Version
) -> None:
    async with served(tmp_path, version) as (sim, mqtt, _, _):
        plug = await mqtt.wait_for(f"{BASE}/porch_plug", lambda m: "state" in doc(m))
        climate = await mqtt.wait_for(f"{BASE}/hall_climate")
        door = await mqtt.wait_for(f"{BASE}/back_door")
        assert doc(plug)["source"] == "lan"
        assert doc(plug)["state"] == ("ON" if sim.child(PLUG).dps["1"] else "OFF")
        assert {k: doc(climate)[k] for k in ("temperature", "humidity", "battery")} == {
            "temperature": 21.5,
            "humidity": 48,
            "battery": 100,
        }
        assert doc(door)["contact"] is True  # closed
        for name in ("hub", *CHILDREN):
            await online(mqtt, name)

        # A command to one child: carried out by that child only, published on its topic.
        before = {cid: dict(sim.child(cid).dps) for cid in (THERMO, DOOR)}
        mark = mqtt.mark()
        await mqtt.publish(
            f"{BASE}/porch_plug/set", json.dumps({"state": "ON"}), response_topic="reply/set"
        )
        assert (await mqtt.wait_for("reply/set", since=mark)).json() == {"status": "ok"}
        assert sim.child(PLUG).dps["1"] is True
        assert {cid: dict(sim.child(cid).dps) for cid in (THERMO, DOOR)} == before
        await mqtt.wait_for(f"{BASE}/porch_plug", lambda m: doc(m)["state"] == "ON", since=mark)

        # A push of one child (the door opens): its topic only.
        mark = mqtt.mark()
        await sim.set_child_dps(DOOR, {"1": True})
        await mqtt.wait_for(f"{BASE}/back_door", lambda m: doc(m)["contact"] is False, since=mark)
        await sim.set_child_dps(THERMO, {"1": 230})
        await mqtt.wait_for(
            f"{BASE}/hall_climate", lambda m: doc(m)["temperature"] == 23.0, since=mark
        )
        states = [m.topic for m in mqtt.messages[mark:] if m.topic.count("/") == 1]
        assert set(states) == {f"{BASE}/back_door", f"{BASE}/hall_climate"}
        assert all(e["level"] != "error" for e in logs(mqtt, 0))

        # Home Assistant: each child's device names the gateway's; the gateway shows its
        # connection.
        via = f"setsmart_{GATEWAY_ID}"
        for topic in (
            f"{PREFIX}/switch/bfzbplug000000000001/switch/config",
            f"{PREFIX}/sensor/bfzbclimate000000001/temperature/config",
            f"{PREFIX}/binary_sensor/bfzbdoor000000000001/contact/config",
        ):
            config = doc(await mqtt.wait_for(topic))
            assert config["device"]["via_device"] == via  # type: ignore[index]
        gateway = doc(
            await mqtt.wait_for(f"{PREFIX}/binary_sensor/{GATEWAY_ID}/connectivity/config")
        )
        assert gateway["state_topic"] == f"{BASE}/hub/availability"
        assert gateway["device_class"] == "connectivity"
        assert gateway["device"]["identifiers"] == [via]  # type: ignore[index]

        def all_on_lan(message: Received) -> bool:
            return {(d["name"], d["connection"]) for d in message.json()} == {
                (name, "lan") for name in ("hub", *CHILDREN)
            }

        await mqtt.wait_for(f"{BASE}/bridge/devices", all_on_lan)


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_child_the_gateway_reports_offline_is_offline_alone_with_one_line(
    tmp_path: Path, version: Version
) -> None:
    async with served(tmp_path, version, door_online=False) as (sim, mqtt, _, _):
        # Offline from the start: the online query on connecting says so.
        await mqtt.wait_for(f"{BASE}/porch_plug")
        await mqtt.wait_for(f"{BASE}/hall_climate")
        for name in ("hub", "porch_plug", "hall_climate"):
            await online(mqtt, name)
        assert b"online" not in availability(mqtt, "back_door")
        # (Logged maybe before the daemon's MQTT session was up: it comes after the
        # retained states, from the backlog.)
        line = await mqtt.wait_for(
            f"{BASE}/bridge/log", lambda m: "back_door" in m.payload.decode()
        )
        assert doc(line) == {
            "level": "error",
            "message": (
                "back_door (via gateway hub): the gateway reports it offline (out of its reach)"
            ),
            "device": "back_door",
        }

        # Back in reach: online, and read then.
        sim.set_online(DOOR, True)
        await online(mqtt, "back_door")
        door = await mqtt.wait_for(f"{BASE}/back_door")
        assert doc(door)["contact"] is True
        # Out of it again while the others carry on.
        mark = mqtt.mark()
        plug_before = sim.child(PLUG).dps["1"]
        sim.set_online(PLUG, False)
        await online(mqtt, "porch_plug", b"offline", since=mark)
        await mqtt.publish(f"{BASE}/porch_plug/set", "ON", response_topic="reply/set")
        answer = (await mqtt.wait_for("reply/set", since=mark)).json()
        assert answer["status"] == "error"
        assert "porch_plug (via gateway hub)" in answer["error"]
        assert "offline" in answer["error"]
        await sim.set_child_dps(THERMO, {"2": 55})
        await mqtt.wait_for(f"{BASE}/hall_climate", lambda m: doc(m)["humidity"] == 55, since=mark)
        for name in ("hub", "hall_climate", "back_door"):
            assert b"offline" not in availability(mqtt, name)[-1:]
        assert sim.child(PLUG).dps["1"] == plug_before
        assert len([e for e in logs(mqtt, 0) if e.get("device") == "back_door"]) == 1
        plug_lines = [e for e in logs(mqtt, mark) if e.get("device") == "porch_plug"]
        assert [e["message"] for e in plug_lines][:1] == [
            "porch_plug (via gateway hub): the gateway reports it offline (out of its reach)"
        ]


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_report_for_an_unknown_node_id_is_one_line_naming_it_and_the_gateway(
    tmp_path: Path, version: Version
) -> None:
    async with served(tmp_path, version) as (sim, mqtt, _, _):
        await mqtt.wait_for(f"{BASE}/back_door")
        mark = mqtt.mark()
        await sim.set_child_dps(STRANGER, {"1": True})
        await sim.set_child_dps(STRANGER, {"1": False})
        await sim.set_child_dps(DOOR, {"1": True})  # the configured ones carry on
        await mqtt.wait_for(f"{BASE}/back_door", lambda m: doc(m)["contact"] is False, since=mark)
        (line,) = [e for e in logs(mqtt, mark) if STRANGER in str(e["message"])]
        assert line["device"] == "hub"
        assert line["message"] == (
            f"hub: a report for node_id '{STRANGER}', which is not configured as a"
            " sub-device of this gateway"
        )
        assert all(m.payload == b"online" for m in mqtt.messages[mark:] if "availab" in m.topic)


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_gateway_down_takes_every_child_offline_with_lines_only_about_it(
    tmp_path: Path, version: Version
) -> None:
    async with served(tmp_path, version) as (sim, mqtt, _, _):
        for name in ("hub", *CHILDREN):
            await online(mqtt, name)
        mark = mqtt.mark()
        plug_before = sim.child(PLUG).dps["1"]
        sim.refuse = True
        sim.drop_clients()
        for name in ("hub", *CHILDREN):
            await online(mqtt, name, b"offline", since=mark)
        lines = logs(mqtt, mark)
        assert lines
        assert {e.get("device") for e in lines} == {"hub"}
        assert not [e for e in lines if any(c in str(e["message"]) for c in CHILDREN)]

        # A command meanwhile: refused, naming the child and its gateway.
        command = mqtt.mark()
        await mqtt.publish(f"{BASE}/porch_plug/set", "ON", response_topic="reply/set")
        answer = (await mqtt.wait_for("reply/set", since=command)).json()
        assert answer["status"] == "error"
        assert answer["error"].startswith("porch_plug (via gateway hub): ")

        back = mqtt.mark()
        sim.refuse = False
        for name in ("hub", *CHILDREN):
            await online(mqtt, name, since=back)
        assert sim.child(PLUG).dps["1"] == plug_before  # the refused command never went out


async def test_a_reload_starts_stops_and_restarts_children_with_their_gateway(
    tmp_path: Path,
) -> None:
    async with served(tmp_path, "3.4") as (sim, mqtt, supervisor, path):
        await online(mqtt, "back_door")
        broker_part = path.read_text().split("devices:\n")[0]
        plug, climate, _ = CHILDREN_YAML.split("  - id: ")[1:]

        # One child removed: its topics are cleared, the others and the gateway untouched.
        mark = mqtt.mark()
        path.write_text(
            broker_part
            + "devices:\n"
            + gateway_yaml(sim)
            + "  - id: "
            + plug
            + "  - id: "
            + climate
        )
        supervisor.reload(load_config(path))
        await mqtt.wait_for(
            f"{BASE}/back_door/availability", lambda m: m.payload == b"", since=mark
        )
        assert not [
            m
            for m in mqtt.messages[mark:]
            if m.topic.endswith("/availability") and m.payload == b"offline"
        ]

        # Added back (before the gateway in the file) while out of the gateway's reach:
        # the gateway is asked at once through its running session (no poll here).
        sim.child(DOOR).online = False
        mark = mqtt.mark()
        path.write_text(broker_part + "devices:\n" + CHILDREN_YAML + gateway_yaml(sim))
        supervisor.reload(load_config(path))
        await mqtt.wait_for(
            f"{BASE}/bridge/log",
            lambda m: (
                doc(m).get("device") == "back_door" and "out of its reach" in m.payload.decode()
            ),
            since=mark,
        )
        sim.set_online(DOOR, True)
        await online(mqtt, "back_door", since=mark)
        await mqtt.wait_for(f"{BASE}/back_door", since=mark)

        # The gateway changed: its children restart with it and come back.
        mark = mqtt.mark()
        path.write_text(
            broker_part + "devices:\n" + CHILDREN_YAML + gateway_yaml(sim, "    cloud: false\n")
        )
        supervisor.reload(load_config(path))
        await mqtt.wait_for(
            f"{BASE}/bridge/log", lambda m: "reloaded" in str(doc(m)["message"]), since=mark
        )
        for name in ("hub", *CHILDREN):
            await online(mqtt, name, since=mark)
        mark = mqtt.mark()
        await mqtt.publish(f"{BASE}/porch_plug/set", "OFF", response_topic="reply/set")
        assert (await mqtt.wait_for("reply/set", since=mark)).json() == {"status": "ok"}
        assert sim.child(PLUG).dps["1"] is False

        # The gateway removed while its children stay: the configuration is refused,
        # naming it, and what runs keeps running (as SIGHUP's reload does with a file
        # that does not load).
        path.write_text(broker_part + "devices:\n" + CHILDREN_YAML)
        with pytest.raises(ConfigError, match="'hub'"):
            load_config(path)
        mark = mqtt.mark()
        await mqtt.publish(f"{BASE}/porch_plug/set", "ON", response_topic="reply/set")
        assert (await mqtt.wait_for("reply/set", since=mark)).json() == {"status": "ok"}

        # Its sub-devices removed: the hub is a device like any other (this one has no DPs
        # of its own to serve), and its connection entity goes.
        mark = mqtt.mark()
        path.write_text(broker_part + "devices:\n" + gateway_yaml(sim))
        supervisor.reload(load_config(path))
        connectivity = f"{PREFIX}/binary_sensor/{GATEWAY_ID}/connectivity/config"
        await mqtt.wait_for(connectivity, lambda m: m.payload == b"", since=mark)
        for name in CHILDREN:
            await mqtt.wait_for(
                f"{BASE}/{name}/availability", lambda m: m.payload == b"", since=mark
            )


async def test_a_gateway_with_dps_of_its_own_publishes_its_state_beside_its_children(
    tmp_path: Path,
) -> None:
    sim = SimGateway(
        GATEWAY_ID, KEY, "3.3", children={PLUG: "plug"}, dps={"1": True}, host="127.0.0.64"
    )
    plug_yaml = CHILDREN_YAML.split("  - id: ")[1]
    async with (
        running_broker(tmp_path) as broker,
        sim,
        recorder(broker.host, broker.port, f"{BASE}/#") as mqtt,
        daemon(tmp_path, config_text(broker, "  - id: " + plug_yaml + gateway_yaml(sim))),
    ):
        hub = await mqtt.wait_for(f"{BASE}/hub")
        assert doc(hub)["dps"] == {"1": True}
        await mqtt.wait_for(f"{BASE}/porch_plug")
        mark = mqtt.mark()
        await sim.set_dps({"1": False})  # the hub's own change: its topic only
        hub = await mqtt.wait_for(f"{BASE}/hub", since=mark)
        assert doc(hub)["dps"] == {"1": False}
        assert not [m for m in mqtt.messages[mark:] if m.topic == f"{BASE}/porch_plug"]


# A sleeping sub-device: a Zigbee sensor asleep answers no query (the simulated child is
# `silent`, as a sleeping end device), but pushes its readings when it wakes.


@contextlib.asynccontextmanager
async def sleepy(tmp_path: Path, extra: str = "") -> AsyncIterator[tuple[SimGateway, Recorder]]:
    """The gateway with hall_climate (a temperature sensor; `extra`: more of its YAML)
    only, polled every second."""
    sim = SimGateway(GATEWAY_ID, KEY, "3.4", children={THERMO: "temperature"}, host=HOSTS["3.4"])
    climate = "  - id: " + CHILDREN_YAML.split("  - id: ")[2] + extra
    async with running_broker(tmp_path) as broker, sim:
        text = config_text(broker, climate + gateway_yaml(sim), poll=1)
        async with (
            recorder(broker.host, broker.port, f"{BASE}/#") as mqtt,
            daemon(tmp_path, text),
        ):
            await online(mqtt, "hall_climate")
            await mqtt.wait_for(f"{BASE}/hall_climate", temperature(21.5))
            yield sim, mqtt


def said_about(mqtt: Recorder, name: str, since: int = 0) -> list[str]:
    """The warnings and errors on bridge/log about `name` since `since`."""
    return [
        str(e["message"])
        for e in logs(mqtt, since)
        if e.get("device") == name and e["level"] in ("warning", "error")
    ]


def temperature(value: float) -> Callable[[Received], bool]:
    return lambda m: doc(m).get("temperature") == value


async def polls_of(sim: SimGateway, count: int) -> None:
    """Until `count` more polls have begun (each asks the gateway which children it
    reaches, then reads each but a sleeper asleep)."""
    requests = sim.stats.requests
    asked = requests[Command.LAN_EXT_STREAM]
    await wait_until(lambda: requests[Command.LAN_EXT_STREAM] >= asked + count, within=5.0 * count)


async def test_a_sleeping_child_stays_online_across_polls_it_does_not_answer(
    tmp_path: Path,
) -> None:
    async with sleepy(tmp_path) as (sim, mqtt):  # a sensor: a day's window
        mark, seen = mqtt.mark(), len(availability(mqtt, "hall_climate"))
        sim.child(THERMO).silent = True  # asleep
        asked = sim.child(THERMO).queries
        await polls_of(sim, 3)
        assert sim.child(THERMO).queries == asked + 1  # asleep: not asked at every poll
        await sim.set_child_dps(THERMO, {"1": 230})  # it wakes and reports
        await mqtt.wait_for(f"{BASE}/hall_climate", temperature(23.0), since=mark)
        await polls_of(sim, 2)
        assert b"offline" not in availability(mqtt, "hall_climate", since=seen)
        assert availability(mqtt, "hall_climate")[-1] == b"online"
        assert said_about(mqtt, "hall_climate") == []


async def test_a_sleeping_child_past_its_window_is_offline_once_until_it_reports(
    tmp_path: Path,
) -> None:
    async with sleepy(tmp_path, "    sleep: 4\n") as (sim, mqtt):
        mark = mqtt.mark()
        sim.child(THERMO).silent = True
        await online(mqtt, "hall_climate", b"offline", since=mark)
        await polls_of(sim, 2)  # silent for a while more: still one line
        assert said_about(mqtt, "hall_climate", mark) == [
            "hall_climate (via gateway hub): not heard from for 4 s (its sleep:), so offline "
            "until it reports again"
        ]
        back = mqtt.mark()
        await sim.set_child_dps(THERMO, {"1": 190})
        await mqtt.wait_for(f"{BASE}/hall_climate", temperature(19.0), since=back)
        await online(mqtt, "hall_climate", since=back)

        # Asleep again (the read on its report unanswered after `timeout`), within its
        # window: the gateway losing it takes it offline at once.
        await asyncio.sleep(2.5)
        lost = mqtt.mark()
        sim.set_online(THERMO, False)
        await online(mqtt, "hall_climate", b"offline", since=lost, within=1.5)
        assert said_about(mqtt, "hall_climate", lost) == [
            "hall_climate (via gateway hub): the gateway reports it offline (out of its reach)"
        ]


async def test_a_sleeping_child_goes_down_with_its_gateway(tmp_path: Path) -> None:
    async with sleepy(tmp_path) as (sim, mqtt):  # a day's window: not what keeps it
        sim.child(THERMO).silent = True
        await polls_of(sim, 2)  # the first one unanswered: asleep
        mark = mqtt.mark()
        sim.refuse = True
        sim.drop_clients()
        await online(mqtt, "hub", b"offline", since=mark)
        await online(mqtt, "hall_climate", b"offline", since=mark)
        assert said_about(mqtt, "hall_climate", mark) == []  # the gateway's lines tell
