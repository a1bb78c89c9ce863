"""The newer kinds end to end: simulated devices, a real mosquitto, the daemon.

Each kind's state is published and its Home Assistant entity announced, a `/set` is
carried out by the device, and a bad value is answered on bridge/log with nothing sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from setsmart.protocol import Command, DpValue
from setsmart.sim import SimDevice
from tests.daemon.harness import BASE, KEY, PREFIX, Dev, config_text, daemon
from tests.support.broker import running_broker
from tests.support.mqtt_client import Received, recorder

pytestmark = pytest.mark.timeout(90)


def _has(expected: Mapping[str, object]) -> Callable[[Received], bool]:
    def check(message: Received) -> bool:
        state = message.json()
        return isinstance(state, dict) and all(state.get(k) == v for k, v in expected.items())

    return check


def _writes(sim: SimDevice) -> int:
    return sim.stats.requests[Command.CONTROL] + sim.stats.requests[Command.CONTROL_NEW]


#: For each device: a bad `/set`, and what bridge/log must say of it.
BAD = (
    ("thermostat", '{"current_heating_setpoint": 23.3}', "not on the device's step of 0.5 °C"),
    ("thermostat", '{"current_heating_setpoint": 40}', "out of range 5-35 °C"),
    ("thermostat", '{"system_mode": "cool"}', "not one of off, heat, auto"),
    ("curtain", '{"position": 101}', "not a whole number from 0 to 100"),
    ("fan", '{"preset_mode": "turbo"}', "not one of normal, nature, sleep"),
    ("dimmer", '{"brightness": 300}', "out of range 0-255"),
    ("sensor", '{"temperature": 5}', "unknown key 'temperature' (valid: dps)"),
    ("wall", '{"state_l3": "ON"}', "this switch has 2 gangs"),
)


async def test_every_new_kind_end_to_end(tmp_path: Path) -> None:
    async with (
        running_broker(tmp_path) as broker,
        SimDevice("bfe2ewall00000000001", KEY, "3.3", "switch", host="127.0.0.41") as wall,
        SimDevice("bfe2edimmer000000001", KEY, "3.4", "dimmer", host="127.0.0.42") as dimmer,
        SimDevice("bfe2ecover0000000001", KEY, "3.3", "cover", host="127.0.0.43") as cover,
        SimDevice("bfe2efan000000000001", KEY, "3.4", "fan", host="127.0.0.44") as fan,
        SimDevice("bfe2eclimate00000001", KEY, "3.3", "climate", host="127.0.0.45") as climate,
        SimDevice("bfe2esensor00000001", KEY, "3.4", "sensor", host="127.0.0.46") as sensor,
    ):
        sims = {
            "wall": wall,
            "dimmer": dimmer,
            "curtain": cover,
            "fan": fan,
            "thermostat": climate,
            "sensor": sensor,
        }
        devices = [
            Dev("wall", wall, "switch"),
            Dev("dimmer", dimmer, "dimmer"),
            Dev("curtain", cover, "cover"),
            Dev("fan", fan, "fan", dps="{fan_direction: 8}"),
            Dev("thermostat", climate, "climate"),
            Dev("sensor", sensor, "sensor"),
        ]
        async with (
            daemon(tmp_path, config_text(broker, devices)),
            recorder(broker.host, broker.port, f"{BASE}/#", f"{PREFIX}/#") as mqtt,
        ):
            for name in sims:
                await mqtt.wait_for(f"{BASE}/{name}/availability", lambda m: m.payload == b"online")
            # Each kind's state, as the CONTRACT names its keys.
            await mqtt.wait_for(f"{BASE}/wall", _has({"state_l1": "OFF", "state_l2": "OFF"}))
            await mqtt.wait_for(f"{BASE}/dimmer", _has({"state": "ON", "brightness": 142}))
            await mqtt.wait_for(f"{BASE}/curtain", _has({"state": "STOP", "position": 100}))
            await mqtt.wait_for(
                f"{BASE}/fan",
                _has(
                    {
                        "state": "OFF",
                        "percentage": 40,
                        "preset_mode": "normal",
                        "oscillation": False,
                        "direction": "forward",
                    }
                ),
            )
            await mqtt.wait_for(
                f"{BASE}/thermostat",
                _has(
                    {
                        "current_heating_setpoint": 21.0,
                        "system_mode": "heat",
                        "preset": "manual",
                        "child_lock": "UNLOCK",
                    }
                ),
            )
            # The room warms toward the setpoint, and says so.
            await mqtt.wait_for(f"{BASE}/thermostat", _has({"running_state": "heat"}))
            await mqtt.wait_for(
                f"{BASE}/sensor", _has({"temperature": 21.5, "humidity": 48, "battery": 87})
            )
            for component, sim, obj in (
                ("switch", wall, "l2"),
                ("light", dimmer, "light"),
                ("cover", cover, "cover"),
                ("fan", fan, "fan"),
                ("climate", climate, "climate"),
                ("sensor", sensor, "temperature"),
                ("binary_sensor", sensor, "battery_low"),
            ):
                await mqtt.wait_for(f"{PREFIX}/{component}/{sim.device_id}/{obj}/config")

            # A /set of each kind, carried out by the device.
            await mqtt.publish(f"{BASE}/dimmer/set", '{"brightness": 255}')
            await mqtt.wait_for(f"{BASE}/dimmer", _has({"brightness": 255}))
            assert dimmer.dps["2"] == 1000
            await mqtt.publish(f"{BASE}/curtain/set", '{"position": 40}')
            await mqtt.wait_for(f"{BASE}/curtain", _has({"position": 40}))
            await mqtt.publish(f"{BASE}/fan/set", '{"percentage": 75, "oscillation": true}')
            await mqtt.wait_for(f"{BASE}/fan", _has({"state": "ON", "percentage": 75}))
            assert fan.dps["5"] is True
            await mqtt.publish(f"{BASE}/thermostat/set", '{"current_heating_setpoint": 22.5}')
            await mqtt.wait_for(f"{BASE}/thermostat", _has({"current_heating_setpoint": 22.5}))
            assert climate.dps["16"] == 225
            await mqtt.publish(f"{BASE}/wall/set", '{"state_l2": "ON"}')
            await mqtt.wait_for(f"{BASE}/wall", _has({"state": "ON", "state_l2": "ON"}))

            # A bad value: one line on bridge/log naming the device and the key, nothing sent.
            for name, payload, reason in BAD:
                sim = sims[name]
                sent = _writes(sim)
                mark = mqtt.mark()
                await mqtt.publish(f"{BASE}/{name}/set", payload)
                entry = (await mqtt.wait_for(f"{BASE}/bridge/log", since=mark)).json()
                assert isinstance(entry, dict)
                assert entry["level"] == "error"
                assert entry["device"] == name
                assert reason in entry["message"], entry
                assert payload.split('"')[1] in entry["message"], entry
                assert _writes(sim) == sent, name


async def test_each_channel_of_a_dimmer_is_a_json_light_on_topics_of_its_own(
    tmp_path: Path,
) -> None:
    # Two channels on DPs 1-3 and 7-9, as a two-gang Tuya dimmer reports them
    # (tests/devices/reported/dimmer_moes_tuyalocal4280.json has the same layout).
    reported: dict[str, DpValue] = {"1": True, "2": 500, "3": 10, "7": False, "8": 1000, "9": 10}
    async with (
        running_broker(tmp_path) as broker,
        SimDevice(
            "bfe2edimmer2ch000001", KEY, "3.4", "raw", dps=reported, host="127.0.0.46"
        ) as sim,
    ):
        text = config_text(broker, [Dev("hall", sim, "dimmer")])
        async with (
            daemon(tmp_path, text),
            recorder(broker.host, broker.port, f"{BASE}/#", f"{PREFIX}/#") as mqtt,
        ):
            await mqtt.wait_for(f"{BASE}/hall/l1", _has({"state": "ON", "brightness": 127}))
            await mqtt.wait_for(f"{BASE}/hall/l2", _has({"state": "OFF", "brightness": 255}))
            for n in (1, 2):
                config = (await mqtt.wait_for(f"{PREFIX}/light/{sim.device_id}/l{n}/config")).json()
                assert isinstance(config, dict)
                assert config["schema"] == "json"
                assert config["state_topic"] == f"{BASE}/hall/l{n}"
                assert config["command_topic"] == f"{BASE}/hall/l{n}/set"

            # What Home Assistant's JSON light sends for channel 2, then a plain OFF.
            await mqtt.publish(f"{BASE}/hall/l2/set", '{"state": "ON", "brightness": 128}')
            await mqtt.wait_for(f"{BASE}/hall/l2", _has({"state": "ON", "brightness": 128}))
            await mqtt.wait_for(f"{BASE}/hall", _has({"state_l2": "ON", "brightness_l2": 128}))
            assert (sim.dps["7"], sim.dps["1"]) == (True, True)  # channel 1 untouched
            await mqtt.publish(f"{BASE}/hall/l1/set", "OFF")
            await mqtt.wait_for(f"{BASE}/hall/l1", _has({"state": "OFF"}))
            assert sim.dps["1"] is False

            # A channel the dimmer lacks, and a key a channel does not take.
            for topic, payload, reason in (
                ("l3", '{"state": "ON"}', "the device has no channel l3"),
                ("l1", '{"color_temp": 300}', "channel l1 takes state and brightness"),
            ):
                sent = _writes(sim)
                mark = mqtt.mark()
                await mqtt.publish(f"{BASE}/hall/{topic}/set", payload)
                entry = (await mqtt.wait_for(f"{BASE}/bridge/log", since=mark)).json()
                assert isinstance(entry, dict)
                assert entry["device"] == "hall"
                assert reason in entry["message"], entry
                assert _writes(sim) == sent
