"""Bulbs end to end: Kelvin, effects and kept brightness, through a real mosquitto."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from setsmart.sim import SimDevice
from tests.daemon.harness import BASE, KEY, PREFIX, Dev, config_text, daemon
from tests.support.broker import running_broker
from tests.support.mqtt_client import Received, Recorder, recorder

pytestmark = pytest.mark.timeout(90)

RAINBOW = (
    "05464601000003e803e800000000464601007803e803e80000000046460100f003e803e800000000"
    "464601003d03e803e80000000046460100ae03e803e800000000464601011303e803e800000000"
)
NIGHT = "000e0d0000000000000000c80000"


def state_of(message: Received) -> dict[str, object]:
    document = message.json()
    assert isinstance(document, dict)
    return document


async def _set(mqtt: Recorder, name: str, payload: object, reply: str) -> dict[str, object]:
    """Publish a `/set` as Home Assistant would; the daemon's answer."""
    await mqtt.publish(f"{BASE}/{name}/set", json.dumps(payload), response_topic=f"reply/{reply}")
    answer = (await mqtt.wait_for(f"reply/{reply}")).json()
    assert isinstance(answer, dict)
    return answer


async def _state(mqtt: Recorder, name: str, mark: int, **wanted: object) -> dict[str, object]:
    """The first state of `name` since `mark` that has every `wanted` key and value."""
    message = await mqtt.wait_for(
        f"{BASE}/{name}",
        lambda m: all(state_of(m).get(key) == value for key, value in wanted.items()),
        since=mark,
    )
    return state_of(message)


async def test_kelvin_effects_and_brightness_on_both_bulb_generations(tmp_path: Path) -> None:
    async with (
        SimDevice("bfe2ekelvin000000001", KEY, "3.5", "bulb", host="127.0.0.91") as bulb,
        SimDevice("bfe2ekelvin000000002", KEY, "3.3", "bulb_v1", host="127.0.0.92") as old,
        running_broker(tmp_path) as broker,
        recorder(broker.host, broker.port, f"{BASE}/#", f"{PREFIX}/#", "reply/#") as mqtt,
        daemon(tmp_path, config_text(broker, [Dev("lamp", bulb, "bulb"), Dev("old", old)])),
    ):
        for name in ("lamp", "old"):
            await mqtt.wait_for(f"{BASE}/{name}/availability", lambda m: m.payload == b"online")
        light = (await mqtt.wait_for(f"{PREFIX}/light/{bulb.device_id}/light/config")).json()
        assert light["effect"] is True
        assert light["effect_list"][:2] == ["night", "read"]
        old_light = (await mqtt.wait_for(f"{PREFIX}/light/{old.device_id}/light/config")).json()
        assert old_light["effect_list"] == ["scene_1", "scene_2", "scene_3", "scene_4"]

        # Kelvin in and out
        mark = mqtt.mark()
        assert await _set(mqtt, "lamp", {"color_temp_kelvin": 4000}, "k") == {"status": "ok"}
        state = await _state(mqtt, "lamp", mark, color_temp_kelvin=4000)
        assert (state["color_temp"], state["color_mode"]) == (250, "color_temp")
        assert (bulb.dps["21"], bulb.dps["23"]) == ("white", 553)

        # Home Assistant at half brightness, then hs_color alone: the brightness stays
        mark = mqtt.mark()
        assert await _set(mqtt, "lamp", {"state": "ON", "brightness": 128}, "b") == {"status": "ok"}
        await _state(mqtt, "lamp", mark, brightness=128)
        mark = mqtt.mark()
        blue = {"state": "ON", "color": {"h": 240.0, "s": 100.0}}
        assert await _set(mqtt, "lamp", blue, "hs") == {"status": "ok"}
        state = await _state(mqtt, "lamp", mark, color_mode="hs")
        assert (state["brightness"], state["color"]) == (128, {"h": 240, "s": 100})

        # An effect: the scene's work mode and data reach the bulb, the state names it
        mark = mqtt.mark()
        assert await _set(mqtt, "lamp", {"state": "ON", "effect": "rainbow"}, "fx") == {
            "status": "ok"
        }
        await _state(mqtt, "lamp", mark, effect="rainbow")
        assert (bulb.dps["21"], bulb.dps["25"]) == ("scene", RAINBOW)

        # The bulb's own app starts a scene: the state follows
        mark = mqtt.mark()
        await bulb.set_dps({"25": NIGHT})
        await _state(mqtt, "lamp", mark, effect="night")
        # ...and leaves it
        mark = mqtt.mark()
        await bulb.set_dps({"21": "colour"})
        await _state(mqtt, "lamp", mark, effect=None, color_mode="hs")

        # An unknown effect: one error naming the valid ones, nothing sent
        before = dict(bulb.dps)
        mark = mqtt.mark()
        answer = await _set(mqtt, "lamp", {"effect": "disco"}, "bad")
        assert answer["status"] == "error"
        log = (await mqtt.wait_for(f"{BASE}/bridge/log", since=mark)).json()
        assert log["device"] == "lamp"
        assert log["message"] == answer["error"]
        assert "'disco'" in log["message"]
        assert "night, read, meeting, leisure, soft, rainbow, shine, beautiful" in log["message"]
        assert bulb.dps == before

        # v1: scenes are work modes; Kelvin the same
        mark = mqtt.mark()
        assert await _set(mqtt, "old", {"state": "ON", "effect": "scene_2"}, "v1fx") == {
            "status": "ok"
        }
        await _state(mqtt, "old", mark, effect="scene_2")
        assert old.dps["2"] == "scene_2"
        mark = mqtt.mark()
        assert await _set(mqtt, "old", {"color_temp_kelvin": 2700}, "v1k") == {"status": "ok"}
        state = await _state(mqtt, "old", mark, color_temp=370)
        assert (state["color_temp_kelvin"], state["effect"]) == (2702, None)
        assert (old.dps["2"], old.dps["4"]) == ("white", 0)
