"""A watchdog's discovery documents against Home Assistant 2024.3.3's own MQTT code."""

from __future__ import annotations

from typing import Any

import pytest

from setsmart.config import WatchdogConfig
from setsmart.daemon.watchdog_rule import Memory, Now, WatchdogRule
from setsmart.mqtt.discovery import encode_discovery
from setsmart.mqtt.payloads import encode_json
from setsmart.mqtt.watchdog import watchdog_discovery
from tests.mqtt.ha.corpus import SEEN, TOPICS
from tests.mqtt.ha.release import HA_2024_3, check

pytestmark = pytest.mark.timeout(900)

CONFIG = WatchdogConfig(name="Router-1", device="router_plug", target="1.1.1.1:53")
DOCUMENTS = watchdog_discovery(CONFIG, "bfplug0123456789", TOPICS)
TARGET, CYCLES = DOCUMENTS


def _state(target_up: bool | None, cycles: int) -> str:
    rule = WatchdogRule(CONFIG, Now(0.0, SEEN), Memory(SEEN.date(), cycles, None))
    rule.target_up = target_up
    return encode_json(rule.document())


STATE_TOPIC = "home/setsmart/watchdog/Router-1"


@pytest.fixture(scope="module")
def answer() -> dict[str, Any]:
    request = {
        "prefix": TOPICS.ha_prefix,
        "documents": [
            {"topic": topic, "payload": encode_discovery(document)}
            for topic, document in DOCUMENTS.items()
        ],
        "entities": [
            {
                "topic": TARGET,
                "state_topic": STATE_TOPIC,
                "states": [_state(True, 0), _state(False, 1), _state(None, 1)],
                "calls": [],
            },
            {
                "topic": CYCLES,
                "state_topic": STATE_TOPIC,
                "states": [_state(True, 0), _state(False, 3)],
                "calls": [],
            },
        ],
    }
    return check(HA_2024_3, request)


@pytest.mark.parametrize("topic", sorted(DOCUMENTS))
def test_home_assistant_accepts_the_document_without_a_warning(
    answer: dict[str, Any], topic: str
) -> None:
    result = answer["documents"][topic]
    assert result["error"] is None
    assert result["warnings"] == []
    config = result["config"]
    # Every key kept, but the one only later releases know (2024.3 drops it on purpose).
    assert set(DOCUMENTS[topic]) - set(config) == {"default_entity_id"}
    assert config["device"]["via_device"] == "setsmart_bfplug0123456789"
    assert config["state_topic"] == STATE_TOPIC


def test_the_target_shows_connected_disconnected_and_unknown(answer: dict[str, Any]) -> None:
    result = answer["entities"][0]
    assert "error" not in result, result
    assert result["warnings"] == []
    assert [shown["is_on"] for shown in result["shown"]] == [True, False, None]
    assert answer["documents"][TARGET]["config"]["device_class"] == "connectivity"


def test_the_cycles_of_the_day_are_a_number(answer: dict[str, Any]) -> None:
    result = answer["entities"][1]
    assert "error" not in result, result
    assert result["warnings"] == []
    assert [shown["native_value"] for shown in result["shown"]] == ["0", "3"]
    # A plain count: no device class (so no unit table applies), and a daily total that
    # drops to 0 at midnight, which total_increasing takes as a new cycle of the meter.
    config = answer["documents"][CYCLES]["config"]
    assert "device_class" not in config
    assert config["state_class"] == "total_increasing"
