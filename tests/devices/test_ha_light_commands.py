"""What Home Assistant's JSON light really sends and reads (checked with HA 2024.3's code)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from setsmart.devices import SetError, device_state, parse_set, profile_for

BULB = profile_for("bulb")
PLUG = profile_for("plug")


@pytest.mark.parametrize("extra", [{"transition": 2}, {"flash": "short"}])
def test_light_commands_with_transition_or_flash_are_carried_out(extra: dict[str, object]) -> None:
    command = parse_set(BULB, {"state": "ON", **extra}, {"20": False})
    assert command.dps == {"20": True}


def test_those_keys_alone_set_nothing() -> None:
    with pytest.raises(SetError, match="nothing to set"):
        parse_set(BULB, {"transition": 2}, {"20": False})


def test_a_plug_still_refuses_them() -> None:
    with pytest.raises(SetError, match="unknown key 'transition'"):
        parse_set(PLUG, {"state": "ON", "transition": 2}, {"1": False})


def test_a_light_whose_switch_is_unknown_reports_state_null() -> None:
    state = device_state(
        BULB, {"22": 500}, energy_kwh=None, source="lan", last_seen=datetime.now(UTC)
    )
    assert state["state"] is None


def test_a_plug_whose_switch_is_unknown_has_no_state_key() -> None:
    state = device_state(
        PLUG, {"19": 10}, energy_kwh=None, source="lan", last_seen=datetime.now(UTC)
    )
    assert "state" not in state
