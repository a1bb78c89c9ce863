"""Who holds a base topic, from its retained `bridge/state` and `bridge/info`."""

from __future__ import annotations

import pytest

from setsmart.config import Config, MqttConfig
from setsmart.daemon.instance import refusal
from setsmart.mqtt.instance import UNKNOWN, holder

INFO = b'{"version":"0.1.0","instance":"setsmart-kitchen","devices":3,"config":{}}'


@pytest.mark.parametrize(
    ("state", "info", "expected"),
    [
        (None, None, None),  # never published: free
        (None, INFO, None),
        (b"offline", INFO, None),  # stopped, or its will fired when it crashed: free
        (b"offline", None, None),
        (b"online", INFO, "setsmart-kitchen"),
        (b" online\n", INFO, "setsmart-kitchen"),
        (b"online", None, UNKNOWN),  # an older daemon, without bridge/info
        (b"online", b"not json", UNKNOWN),
        (b"online", b'{"instance": 7}', UNKNOWN),
        (b"online", b'["setsmart-kitchen"]', UNKNOWN),
    ],
)
def test_holder(state: bytes | None, info: bytes | None, expected: str | None) -> None:
    assert holder(state, info) == expected


def test_the_refusal_names_the_other_instance_and_the_way_out() -> None:
    config = Config(mqtt=MqttConfig(host="broker.lan", base_topic="home", client_id="pi-2"))
    assert refusal(config, "pi-1") == (
        "base topic 'home' on broker.lan:1883 is held by another instance, pi-1 "
        "(home/bridge/state is online): give this daemon its own mqtt.base_topic, "
        "or stop the other; not starting"
    )


def test_the_refusal_for_its_own_client_id_says_what_that_means() -> None:
    config = Config(mqtt=MqttConfig(base_topic="home", client_id="pi"))
    message = refusal(config, "pi")
    assert "this daemon's own client id 'pi'" in message
    assert "same mqtt.client_id" in message
