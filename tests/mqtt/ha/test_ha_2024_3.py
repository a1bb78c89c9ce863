"""Our discovery documents against Home Assistant 2024.3.3's own MQTT code.

Not a re-implementation: HA's discovery message handler, its platform schemas, its
entities' state callbacks and turn_on/turn_off, running in a separate interpreter
(see release.py and ha_check.py). One run answers for the whole corpus; the first run
on a machine downloads and caches HA (about 50 MB, under .cache/ha).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from setsmart.config import DeviceConfig
from setsmart.devices import device_state, parse_set, set_keys
from setsmart.devices.scenes import effect_list
from setsmart.mqtt.channels import channel_command, channel_state
from setsmart.mqtt.discovery import removed_device_topics
from setsmart.mqtt.payloads import decode_set_payload, encode_json
from tests.mqtt.ha.corpus import CASES, SEEN, TOPICS, Case, all_documents, discovery_messages
from tests.mqtt.ha.release import HA_2024_3, check

# The first test to run may build the cache: allow for a slow download.
pytestmark = pytest.mark.timeout(900)

#: Keys HA 2024.3 does not know and drops (REMOVE_EXTRA) on purpose: later releases use them.
NEWER_KEYS = {"default_entity_id", "flash", "transition", "min_kelvin", "max_kelvin"}

#: A device removed from the config (not one of the corpus, whose topics it would reuse).
REMOVED = DeviceConfig(id="bfgone0123456789", name="gone")


def _entity_probes() -> list[dict[str, Any]]:
    """What to feed each entity of the cases that carry a recorded status."""
    probes: list[dict[str, Any]] = []
    for case in CASES:
        if case.dps is None:
            continue
        for topic, document in case.documents().items():
            component = topic.split("/")[1]
            probe: dict[str, Any] = {
                "topic": topic,
                "case": case.label,
                "state_topic": document.get("state_topic", TOPICS.state(case.device.name)),
            }
            if component == "switch":
                key = _switch_key(document)
                probe["states"] = [
                    case.state_payload(),
                    case.state_payload(**{key: "ON"}),
                    case.state_payload(**{key: "OFF"}),
                    case.state_payload(**{key: None}),
                ]
                probe["calls"] = [{}, {"off": True}]
            elif component in ("sensor", "binary_sensor"):
                role = topic.split("/")[3]
                probe["states"] = [case.state_payload(), case.state_payload(**{role: None})]
                probe["calls"] = []
            elif component == "light" and probe["state_topic"] != TOPICS.state(case.device.name):
                # A dimmer's channel: its own topic, as the bridge publishes it.
                n = int(topic.split("/")[3].removeprefix("l"))
                probe["states"] = [encode_json(channel_state(case.state(), n))]
                probe["calls"] = _light_calls(document["supported_color_modes"])
            elif component == "light":
                probe["states"] = [case.state_payload(), *_scene_states(case)]
                probe["calls"] = _light_calls(document.get("supported_color_modes", ["brightness"]))
                probe["calls"] += [{"effect": name} for name in document.get("effect_list", [])]
            else:
                probe["states"] = [case.state_payload()]
                probe["calls"] = KIND_CALLS[component]
                if component == "climate":
                    # A setpoint on the device's step: HA sends whatever the user picks.
                    low, step = document["min_temp"], document["temp_step"]
                    temperature = {"temperature": low + 4 * step}
                    probe["calls"] = [
                        {"method": "async_set_temperature", "kwargs": temperature},
                        *KIND_CALLS["climate"][1:],
                    ]
            probes.append(probe)
    return probes


#: What Home Assistant's cover, fan and climate entities are asked to do.
KIND_CALLS: dict[str, list[dict[str, Any]]] = {
    "cover": [
        {"method": "async_open_cover"},
        {"method": "async_close_cover"},
        {"method": "async_stop_cover"},
        {"method": "async_set_cover_position", "kwargs": {"position": 30}},
    ],
    "fan": [
        {"method": "async_turn_on"},
        {"method": "async_turn_off"},
        {"method": "async_set_percentage", "kwargs": {"percentage": 50}},
    ],
    "climate": [
        {"method": "async_set_temperature", "kwargs": {"temperature": 21.5}},
        {"method": "async_set_hvac_mode", "kwargs": {"hvac_mode": "off"}},
        {"method": "async_set_hvac_mode", "kwargs": {"hvac_mode": "heat"}},
    ],
}


def _switch_key(document: dict[str, Any]) -> str:
    """The state key a switch document reads: `state` or `state_lN`."""
    template = str(document["value_template"])
    return template.split("value_json.")[1].split(maxsplit=1)[0]


def _light_calls(modes: list[str]) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = [{}, {"off": True}]
    if modes != ["onoff"]:
        calls.append({"brightness": 128})
    if "hs" in modes:
        calls += [{"hs_color": [120, 80]}, {"hs_color": [30, 50], "brightness": 200}]
    if "color_temp" in modes:
        calls.append({"color_temp": 250})
    if "white" in modes:
        calls.append({"white": 100})
    return calls


def _scene_states(case: Case) -> list[str]:
    """The state payloads of `case` running each of its effects (as the bulb reports it),
    then, after the last, as it reports leaving it: `effect` null."""
    payloads = []
    for name in effect_list(case.profile):
        command = parse_set(case.profile, {"effect": name}, case.dps or {})
        dps = {**(case.dps or {}), **command.dps}
        state = device_state(case.profile, dps, energy_kwh=None, source="lan", last_seen=SEEN)
        payloads.append(encode_json({k: v for k, v in state.items() if v is not None}))
    if payloads:
        payloads.append(encode_json({**json.loads(case.state_payload()), "effect": None}))
    return payloads


def _attribute_renders() -> list[dict[str, Any]]:
    renders = []
    for case in CASES:
        if case.dps is None:
            continue
        for document in case.documents().values():
            if "json_attributes_template" in document:
                renders.append(
                    {
                        "template": document["json_attributes_template"],
                        "payload": case.state_payload(),
                    }
                )
    return renders


PROBES = _entity_probes()
RENDERS = _attribute_renders()


@pytest.fixture(scope="module")
def answer() -> dict[str, Any]:
    removals = [
        {"topic": topic, "payload": ""}
        for topic in removed_device_topics(REMOVED, TOPICS)
        if topic.startswith(f"{TOPICS.ha_prefix}/")
    ]
    request = {
        "prefix": TOPICS.ha_prefix,
        "documents": discovery_messages() + removals,
        "renders": RENDERS,
        "entities": [{k: v for k, v in probe.items() if k != "case"} for probe in PROBES],
    }
    result = check(HA_2024_3, request)
    assert result["version"] == "2024.3.3"
    return result


def _case(label: str) -> Case:
    return next(case for case in CASES if case.label == label)


DOCUMENTS = all_documents()


@pytest.mark.parametrize("topic", sorted(DOCUMENTS))
def test_home_assistant_accepts_the_document_without_a_warning(
    answer: dict[str, Any], topic: str
) -> None:
    result = answer["documents"][topic]
    assert result["error"] is None
    assert result["warnings"] == []
    _, component, node_id, object_id, _ = topic.split("/")
    assert result["component"] == component
    assert result["discovery_id"] == f"{node_id} {object_id}"


def _kept(sent: Any, validated: Any, key: str) -> bool:
    """Whether HA kept what we sent (it may add defaults, e.g. to availability entries)."""
    if isinstance(sent, dict):
        return isinstance(validated, dict) and all(
            k in validated and _kept(v, validated[k], k) for k, v in sent.items()
        )
    if key == "supported_color_modes":  # HA keeps it as a set
        return bool(sorted(sent) == validated)
    if key == "temperature_unit":  # HA takes C or F and keeps °C or °F
        return bool(validated == f"°{sent}")
    if isinstance(sent, list):
        return (
            isinstance(validated, list)
            and len(sent) == len(validated)
            and all(_kept(s, v, key) for s, v in zip(sent, validated, strict=True))
        )
    return bool(sent == validated)


@pytest.mark.parametrize("topic", sorted(DOCUMENTS))
def test_home_assistant_keeps_every_key_we_send(answer: dict[str, Any], topic: str) -> None:
    """A key HA does not know is dropped silently: that must never be one that matters."""
    config = answer["documents"][topic]["config"]
    for key, value in DOCUMENTS[topic].items():
        if key in NEWER_KEYS:
            assert key not in config
        else:
            assert key in config, key
            assert _kept(value, config[key], key), key


def test_sensor_units_and_state_classes_fit_their_device_class(answer: dict[str, Any]) -> None:
    sensors = [topic for topic in DOCUMENTS if topic.split("/")[1] == "sensor"]
    assert sensors
    for topic in sensors:
        assert answer["documents"][topic]["sensor_tables"] == {
            "unit_fits": True,
            "state_class_fits": True,
        }, topic


def test_every_topic_of_a_removed_device_is_taken_as_a_removal(answer: dict[str, Any]) -> None:
    topics = [t for t in removed_device_topics(REMOVED, TOPICS) if t.startswith("home")]
    discovery = [t for t in topics if t.startswith(f"{TOPICS.ha_prefix}/")]
    assert len(discovery) == len(topics) - 2  # the rest: its state and availability
    for topic in discovery:
        assert answer["documents"][topic]["removal"] is True, topic


def _results(answer: dict[str, Any], component: str) -> list[tuple[dict[str, Any], Any]]:
    pairs = [
        (probe, result)
        for probe, result in zip(PROBES, answer["entities"], strict=True)
        if probe["topic"].split("/")[1] == component
    ]
    assert pairs
    return pairs


def test_each_switch_shows_its_own_gang(answer: dict[str, Any]) -> None:
    for probe, result in _results(answer, "switch"):
        assert "error" not in result, result
        assert result["warnings"] == []
        case = _case(probe["case"])
        key = _switch_key(DOCUMENTS[probe["topic"]])
        now = case.state().get(key)
        expected_now = None if now is None else now == "ON"
        assert [shown["is_on"] for shown in result["shown"]] == [expected_now, True, False, None]


def test_each_switch_command_writes_only_its_own_gang(answer: dict[str, Any]) -> None:
    for probe, result in _results(answer, "switch"):
        case = _case(probe["case"])
        key = _switch_key(DOCUMENTS[probe["topic"]])
        gang = 0 if key == "state" else int(key.removeprefix("state_l")) - 1
        dp = case.profile.switch_dps[gang]
        turned = []
        for published in result["published"]:
            (message,) = published
            assert message["topic"] == TOPICS.set(case.device.name)
            command = parse_set(case.profile, decode_set_payload(message["payload"].encode()), {})
            assert command.restore_after is None
            turned.append(command.dps)
        assert turned == [{dp: True}, {dp: False}]


def test_each_sensor_shows_the_reading_and_unknown_without_one(answer: dict[str, Any]) -> None:
    for probe, result in _results(answer, "sensor"):
        assert "error" not in result, result
        assert result["warnings"] == []
        role = probe["topic"].split("/")[3]
        reading = _case(probe["case"]).state().get(role)
        expected = None if reading is None else str(reading)
        assert [shown["native_value"] for shown in result["shown"]] == [expected, None]


def _light_keys(topic: str) -> tuple[str, str]:
    """The state keys a light shows: a dimmer channel's own (`l2`), else the device's."""
    object_id = topic.split("/")[3]
    if object_id.startswith("l") and object_id[1:].isdigit():
        return f"state_{object_id}", f"brightness_{object_id}"
    return "state", "brightness"


def test_each_light_shows_our_state(answer: dict[str, Any]) -> None:
    for probe, result in _results(answer, "light"):
        assert "error" not in result, result
        assert result["warnings"] == []
        case = _case(probe["case"])
        state = case.state()
        state_key, level_key = _light_keys(probe["topic"])
        shown, *in_scenes = result["shown"]
        assert shown.get("effect") == state.get("effect")
        effects = list(effect_list(case.profile))
        assert [scene["effect"] for scene in in_scenes] == ([*effects, None] if effects else [])
        assert shown["is_on"] == (state[state_key] == "ON")
        if level_key in state:
            assert shown["brightness"] == state[level_key]
        if state.get("color_mode") == "hs":
            color = state["color"]
            assert isinstance(color, dict)
            assert shown["color_mode"] == "hs"
            assert shown["hs_color"] == [color["h"], color["s"]]
        if state.get("color_mode") == "color_temp":
            assert shown["color_mode"] == "color_temp"
            assert shown["color_temp"] == state["color_temp"]


def test_every_light_command_is_one_we_carry_out(answer: dict[str, Any]) -> None:
    for probe, result in _results(answer, "light"):
        case = _case(probe["case"])
        channel = _light_keys(probe["topic"])[0].removeprefix("state_l").removeprefix("state")
        profile = case.profile
        switch = profile.dp("state") or profile.dp(f"switch_led_{channel or 1}")
        assert len(result["published"]) == len(probe["calls"])
        for call, published in zip(probe["calls"], result["published"], strict=True):
            (message,) = published
            payload = decode_set_payload(message["payload"].encode())
            channel_topic = TOPICS.parse_channel_command(message["topic"])
            if channel_topic is not None:
                assert channel_topic == (case.device.name, int(channel))
                payload = channel_command(payload, int(channel), set_keys(profile))
            else:
                assert message["topic"] == TOPICS.set(case.device.name)
            command = parse_set(profile, payload, case.dps or {})
            assert switch is not None
            assert command.dps[switch] is (not call.get("off", False)), (call, payload)
            # A colour carries its own brightness (its V); so does a colour bulb in colour
            # mode, which brightness alone keeps (parse_set's tests cover which DP).
            if "hs_color" in call:
                assert profile.roles["color"] in command.dps, (call, payload)
            elif "brightness" in call:
                level_dps = {
                    profile.dp("brightness"),
                    profile.dp("color"),
                    profile.dp(f"bright_value_{channel or 1}"),
                }
                assert level_dps & set(command.dps), (call, payload)
            if "color_temp" in call:
                assert profile.roles["color_temp"] in command.dps, (call, payload)
            if "white" in call:
                assert profile.roles["brightness"] in command.dps, (call, payload)
            if "effect" in call:
                assert payload == {"state": "ON", "effect": call["effect"]}
                assert profile.roles["color_mode"] in command.dps, (call, payload)
            # A colour or a colour temperature without brightness: the brightness shown stays.
            if {"hs_color", "color_temp"} & call.keys() and "brightness" not in call:
                dps = {**(case.dps or {}), **command.dps}
                after = device_state(profile, dps, energy_kwh=None, source="lan", last_seen=SEEN)
                assert after["brightness"] == case.state()["brightness"], (call, payload)


def test_attributes_show_where_and_when_the_state_was_read(answer: dict[str, Any]) -> None:
    assert len(answer["renders"]) == len(RENDERS) > 0
    for rendered in answer["renders"]:
        assert rendered["warnings"] == []
        assert json.loads(rendered["value"]) == {
            "source": "lan",
            "last_seen": "2024-03-01T12:00:00Z",
        }


def _commands(probe: dict[str, Any], result: dict[str, Any]) -> list[dict[str, object]]:
    """What each published command makes the device write, by our own /set parsing."""
    case = _case(probe["case"])
    writes: list[dict[str, object]] = []
    for published in result["published"]:
        (message,) = published
        assert message["topic"] == TOPICS.set(case.device.name)
        payload = decode_set_payload(message["payload"].encode())
        writes.append(dict(parse_set(case.profile, payload, case.dps or {}).dps))
    return writes


def test_each_binary_sensor_shows_the_reading_and_unknown_without_one(
    answer: dict[str, Any],
) -> None:
    for probe, result in _results(answer, "binary_sensor"):
        assert "error" not in result, result
        assert result["warnings"] == []
        key = probe["topic"].split("/")[3]
        reading = _case(probe["case"]).state().get(key)
        # HA's door is on when open; our contact is true when closed.
        expected = None if reading is None else (not reading if key == "contact" else reading)
        assert [shown["is_on"] for shown in result["shown"]] == [expected, None], key


def test_a_cover_shows_its_position_and_its_commands_are_ours(answer: dict[str, Any]) -> None:
    for probe, result in _results(answer, "cover"):
        assert "error" not in result, result
        assert result["warnings"] == []
        case = _case(probe["case"])
        (shown,) = result["shown"]
        assert shown["current_cover_position"] == case.state().get("position")
        control, percent = case.profile.roles["control"], case.profile.roles["percent_control"]
        assert _commands(probe, result) == [
            {control: "open"},
            {control: "close"},
            {control: "stop"},
            {percent: 30},
        ]


def test_a_fan_shows_our_state_and_its_commands_are_ours(answer: dict[str, Any]) -> None:
    for probe, result in _results(answer, "fan"):
        assert "error" not in result, result
        assert result["warnings"] == []
        case = _case(probe["case"])
        state = case.state()
        (shown,) = result["shown"]
        assert shown["is_on"] == (state["state"] == "ON")
        assert shown["percentage"] == state.get("percentage")
        assert shown["preset_mode"] == state.get("preset_mode")
        assert shown["oscillating"] == state.get("oscillation")
        assert shown["current_direction"] == state.get("direction")
        switch = case.profile.roles["switch"]
        on, off, half = _commands(probe, result)
        assert on == {switch: True}
        assert off == {switch: False}
        assert half[switch] is True
        assert len(half) == 2


def test_a_climate_shows_our_state_and_its_commands_are_ours(answer: dict[str, Any]) -> None:
    for probe, result in _results(answer, "climate"):
        assert "error" not in result, result
        assert result["warnings"] == []
        case = _case(probe["case"])
        state = case.state()
        (shown,) = result["shown"]
        assert shown["current_temperature"] == state.get("local_temperature")
        assert shown["target_temperature"] == state.get("current_heating_setpoint")
        assert shown["hvac_mode"] == state.get("system_mode")
        action = {"heat": "heating", "cool": "cooling", "idle": "idle"}
        assert shown["hvac_action"] == action.get(str(state.get("running_state")))
        assert shown["preset_mode"] == state.get("preset")
        roles = case.profile.roles
        setpoint, off, heat = _commands(probe, result)
        assert set(setpoint) == {roles["temp_set"]}
        assert off == {roles["switch"]: False}
        assert heat[roles["switch"]] is True
