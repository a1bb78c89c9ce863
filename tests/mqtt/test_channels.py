"""A channel's own topics: its state taken from the device's, its commands made the device's."""

from __future__ import annotations

import pytest

from setsmart.devices import profile_for, set_keys
from setsmart.mqtt.channels import channel_command, channel_state, published_channels
from setsmart.mqtt.payloads import CommandPayloadError

TWO_CHANNELS = profile_for("dimmer", {"switch_led_1": 1, "switch_led_2": 7})
DIMMER_KEYS = set_keys(TWO_CHANNELS)
STRIP_KEYS = set_keys(profile_for("strip"))


def test_only_a_dimmer_with_several_channels_publishes_channel_topics() -> None:
    assert published_channels(TWO_CHANNELS) == (1, 2)
    assert published_channels(profile_for("dimmer")) == ()
    assert published_channels(profile_for("strip")) == ()
    assert published_channels(None) == ()


def test_a_channels_state_is_its_own_keys_without_the_suffix() -> None:
    document = {"state": "ON", "state_l1": "ON", "brightness_l1": 40, "state_l2": "OFF"}
    assert channel_state(document, 1) == {"state": "ON", "brightness": 40}
    assert channel_state(document, 2) == {"state": "OFF"}
    assert channel_state({"dps": {}}, 1) == {"state": None}  # HA's JSON light reads it always


@pytest.mark.parametrize(
    ("payload", "channel", "keys", "expected"),
    [
        (
            {"state": "ON", "brightness": 128},
            2,
            DIMMER_KEYS,
            {"state_l2": "ON", "brightness_l2": 128},
        ),
        ("TOGGLE", 1, DIMMER_KEYS, {"state_l1": "TOGGLE"}),
        ({"state": "OFF"}, 3, STRIP_KEYS, {"state_l3": "OFF"}),
    ],
)
def test_a_channels_command_becomes_the_devices(
    payload: object, channel: int, keys: tuple[str, ...], expected: dict[str, object]
) -> None:
    assert channel_command(payload, channel, keys) == expected


@pytest.mark.parametrize(
    ("payload", "channel", "keys", "message"),
    [
        ({"state": "ON"}, 3, DIMMER_KEYS, "the device has no channel l3"),
        (
            {"color_temp": 300},
            1,
            DIMMER_KEYS,
            "channel l1 takes state and brightness, not 'color_temp'",
        ),
        ({"brightness": 9}, 1, STRIP_KEYS, "channel l1 takes state, not 'brightness'"),
        ([1, 2], 1, DIMMER_KEYS, "must be a JSON object, or ON, OFF or TOGGLE"),
        ({"state": "ON"}, 1, (), "the device has no channel l1"),
    ],
)
def test_a_command_a_channel_cannot_take_says_why(
    payload: object, channel: int, keys: tuple[str, ...], message: str
) -> None:
    with pytest.raises(CommandPayloadError, match=message):
        channel_command(payload, channel, keys)
