"""``${VAR}`` in string values."""

from __future__ import annotations

import pytest

from setsmart.config.envsubst import SubstitutionError, escape, substitute

from .conftest import Load, Problems


def test_variables_in_strings_and_typed_values(load: Load) -> None:
    config = load(
        """
        mqtt:
          host: ${BROKER}
          port: ${PORT}
          base_topic: "${SITE}/tuya"
        homeassistant:
          discovery: ${HA}
        lan:
          poll: "${POLL}"
        devices:
          - id: ${ID}
            name: plug_${N}
            local_key: ${KEY}
        """,
        {
            "BROKER": "mqtt.lan",
            "PORT": "8883",
            "SITE": "home",
            "HA": "false",
            "POLL": "2.5",
            "ID": "bf01",
            "N": "7",
            "KEY": "0123456789abcdef",
        },
    )
    assert (config.mqtt.host, config.mqtt.port, config.mqtt.base_topic) == (
        "mqtt.lan",
        8883,
        "home/tuya",
    )
    assert config.homeassistant.discovery is False
    assert config.lan.poll == 2.5
    device = config.devices[0]
    assert (device.id, device.name) == ("bf01", "plug_7")
    assert device.local_key is not None
    assert device.local_key.reveal() == "0123456789abcdef"


def test_escaped_dollar_stays_literal(load: Load) -> None:
    config = load("mqtt: {base_topic: 'a$${B}c$d'}\n", {"B": "nope"})
    assert config.mqtt.base_topic == "a${B}c$d"


def test_dollar_without_variable_in_typed_value(problems: Problems) -> None:
    assert problems("mqtt: {port: '$$1'}") == [
        "config.yaml:1: mqtt.port: must be an integer, got a string"
    ]


def test_substituted_typed_value_is_checked(problems: Problems) -> None:
    assert problems("mqtt: {port: '${PORT}'}", {"PORT": "true"}) == [
        "config.yaml:1: mqtt.port: must be an integer, got a boolean"
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("${MISSING}", "environment variable MISSING is not set"),
        ("a${1X}", "'${1X}' is not a valid environment variable name"),
        ("a${B", "unterminated '${' (write '$${' for a literal '${')"),
    ],
)
def test_bad_references_name_the_problem(problems: Problems, value: str, message: str) -> None:
    assert problems(f"mqtt: {{host: '{value}'}}") == [f"config.yaml:1: mqtt.host: {message}"]


def test_substitute_and_escape_are_inverse() -> None:
    for text in ("", "plain", "${A}", "$${A}", "$$${", "a$b${c}d", "${", "$"):
        assert substitute(escape(text), {}) == text
    assert substitute("${A}${B}", {"A": "1", "B": "$"}) == "1$"
    with pytest.raises(SubstitutionError):
        substitute("${A", {})
