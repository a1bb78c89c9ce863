"""Our discovery documents against Home Assistant 2026.11.0's rules, as transcribed.

Current releases cannot run here (Python 3.14.2 needed, 3.11 available), so this is
current_rules.py, HA's schema rules copied with their source lines, not HA's code; the
rules it shares with 2024.3 are cross-checked below against 2024.3's real code, so a
mistake in copying them shows up as a disagreement.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from setsmart.mqtt.discovery import encode_discovery
from tests.mqtt.ha import current_rules
from tests.mqtt.ha.corpus import TOPICS, all_documents
from tests.mqtt.ha.release import HA_2024_3, check

pytestmark = pytest.mark.timeout(900)  # the cross-check may build the 2024.3 cache

DOCUMENTS = all_documents()

#: Keys 2026.11.0 no longer knows and drops on purpose: 2024.3 needs them.
OLDER_KEYS = {
    "object_id",  # replaced by default_entity_id (2025.10), gone in 2026.4
    "color_mode",  # JSON light, required beside supported_color_modes up to 2025.2
}


@pytest.mark.parametrize("topic", sorted(DOCUMENTS))
def test_current_home_assistant_accepts_the_document(topic: str) -> None:
    document = DOCUMENTS[topic]
    verdict = current_rules.check(TOPICS.ha_prefix, topic, encode_discovery(document))
    assert verdict.error is None
    assert verdict.warnings == []
    _, component, node_id, object_id, _ = topic.split("/")
    assert verdict.component == component
    assert verdict.discovery_id == f"{node_id} {object_id}"
    assert set(verdict.dropped) <= OLDER_KEYS
    json_light = component == "light" and document.get("schema") == "json"
    assert ("color_mode" in verdict.dropped) == json_light
    kept = {key: value for key, value in document.items() if key not in OLDER_KEYS}
    # What HA rewrites on the way: C as °C, the micro sign as the Greek mu.
    if "temperature_unit" in kept:
        kept["temperature_unit"] = f"°{kept['temperature_unit']}"
    unit = kept.get("unit_of_measurement")
    if isinstance(unit, str):
        kept["unit_of_measurement"] = current_rules.AMBIGUOUS_UNITS.get(unit, unit)
    assert verdict.config == kept


def test_no_key_we_send_is_an_abbreviation_of_another() -> None:
    """HA expands abbreviated keys: none of ours may be one that expands to another."""
    tables = current_rules.ABBREVIATIONS_TABLES

    def renamed(keys: Any, table: dict[str, str]) -> set[str]:
        return {key for key in keys if table.get(key, key) != key}

    for document in DOCUMENTS.values():
        assert not renamed(document, tables["ABBREVIATIONS"])
        assert not renamed(document["device"], tables["DEVICE_ABBREVIATIONS"])
        assert not renamed(document["origin"], tables["ORIGIN_ABBREVIATIONS"])
        for entry in document["availability"]:
            assert not renamed(entry, tables["ABBREVIATIONS"])


def _variant(topic: str, **changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(DOCUMENTS[topic])
    for key, value in changes.items():
        if value is None:
            del document[key]
        else:
            document[key] = value
    return document


LIGHT = "homeassistant/light/cclight_hs_white/light/config"
SWITCH = "homeassistant/switch/ebplug/switch/config"
POWER = "homeassistant/sensor/ebplug/power/config"
COVER = "homeassistant/cover/ebcover/cover/config"
FAN = "homeassistant/fan/ddfan_all/fan/config"
CLIMATE = "homeassistant/climate/ebclimate/climate/config"
CHANNEL = "homeassistant/light/dddimmer_2ch/l1/config"
CONTACT = "homeassistant/binary_sensor/ddsensor_all/contact/config"

#: Documents each rule must refuse, in both releases where the rule is in both.
SHARED_RULES: dict[str, tuple[str, dict[str, Any]]] = {
    "white needs a colour mode": (LIGHT, {"supported_color_modes": ["white"]}),
    "onoff stands alone": (LIGHT, {"supported_color_modes": ["onoff", "hs"]}),
    "unknown colour mode": (LIGHT, {"supported_color_modes": ["hsv"]}),
    "a device needs an identifier": (SWITCH, {"device": {"name": "x"}}),
    "no unknown device keys": (SWITCH, {"device": {"identifiers": ["a"], "colour": "red"}}),
    "commands go to a topic, not a filter": (SWITCH, {"command_topic": "home/+/set"}),
    "a switch needs a command topic": (SWITCH, {"command_topic": None}),
    "a sensor needs a state topic": (POWER, {"state_topic": None}),
    "a sensor's state class is one HA knows": (POWER, {"state_class": "sometimes"}),
    "availability entries need a topic": (SWITCH, {"availability": [{"payload": "up"}]}),
    "availability mode is all, any or latest": (SWITCH, {"availability_mode": "most"}),
    "an origin has a name": (SWITCH, {"origin": {"sw_version": "1"}}),
    "a cover sets a position it reads": (COVER, {"position_topic": None}),
    "a fan's presets need their topic": (FAN, {"preset_mode_command_topic": None}),
    "a fan needs a command topic": (FAN, {"command_topic": None}),
    "a climate's precision is 0.1, 0.5 or 1": (CLIMATE, {"precision": 0.25}),
    "a temperature is in C or F": (CLIMATE, {"temperature_unit": "K"}),
    "a channel's light needs its command topic": (CHANNEL, {"command_topic": None}),
    "a binary sensor's class is one HA knows": (CONTACT, {"device_class": "doorbell"}),
}


@pytest.mark.parametrize("rule", sorted(SHARED_RULES))
def test_a_transcribed_rule_refuses_what_it_should(rule: str) -> None:
    topic, changes = SHARED_RULES[rule]
    verdict = current_rules.check(TOPICS.ha_prefix, topic, json.dumps(_variant(topic, **changes)))
    assert verdict.error is not None or verdict.component is None


@pytest.fixture(scope="module")
def real_2024_3() -> dict[str, Any]:
    documents = [
        {"topic": f"{topic}#{rule}", "payload": json.dumps(_variant(topic, **changes))}
        for rule, (topic, changes) in SHARED_RULES.items()
    ]
    # One topic per message: tell them apart by a distinct object id.
    messages = []
    for index, item in enumerate(documents):
        topic = item["topic"].split("#")[0].replace("/config", f"_{index}/config")
        messages.append({"topic": topic, "payload": item["payload"]})
    answer = check(HA_2024_3, {"prefix": TOPICS.ha_prefix, "documents": messages})
    return {
        rule: answer["documents"][message["topic"]]
        for rule, message in zip(SHARED_RULES, messages, strict=True)
    }


@pytest.mark.parametrize("rule", sorted(SHARED_RULES))
def test_home_assistant_2024_3_refuses_it_too(real_2024_3: dict[str, Any], rule: str) -> None:
    """HA 2024.3's own code agrees with the transcription on every shared rule."""
    result = real_2024_3[rule]
    assert result["error"] is not None or result["config"] is None


def test_current_rules_refuse_a_unit_that_does_not_fit_the_device_class() -> None:
    """New since 2024.3 (mqtt/sensor.py:148-158 at 2026.11.0): kWh is no power."""
    verdict = current_rules.check(
        TOPICS.ha_prefix, POWER, json.dumps(_variant(POWER, unit_of_measurement="kWh"))
    )
    assert verdict.error == (
        "The unit of measurement `kWh` is not valid together with device class `power`"
    )


def test_current_rules_warn_of_a_state_class_the_device_class_cannot_have() -> None:
    verdict = current_rules.check(
        TOPICS.ha_prefix, POWER, json.dumps(_variant(POWER, state_class="total_increasing"))
    )
    assert verdict.error is None
    assert verdict.warnings == ["state class 'total_increasing' is impossible for power"]


def test_current_rules_refuse_a_template_filter_home_assistant_lacks() -> None:
    verdict = current_rules.check(
        TOPICS.ha_prefix, POWER, json.dumps(_variant(POWER, value_template="{{ x | tojsn }}"))
    )
    assert verdict.error is not None
    assert "no filter named 'tojsn'" in verdict.error


def test_current_rules_drop_what_they_do_not_know() -> None:
    verdict = current_rules.check(
        TOPICS.ha_prefix, SWITCH, json.dumps(_variant(SWITCH, frobnicate=True))
    )
    assert verdict.error is None
    assert "frobnicate" in verdict.dropped


def test_current_rules_refuse_an_illegal_discovery_topic() -> None:
    payload = encode_discovery(DOCUMENTS[SWITCH])
    verdict = current_rules.check(TOPICS.ha_prefix, "homeassistant/switch/a.b/x/config", payload)
    assert verdict.error == "illegal discovery topic"
