"""What the page's controls are told they can take, per kind."""

from __future__ import annotations

from setsmart.devices import profile_for
from setsmart.devices.capabilities import capabilities


def test_bulbs_name_their_scenes_and_kelvin_range() -> None:
    assert capabilities(profile_for("bulb")) == {
        "effects": ["night", "read", "meeting", "leisure", "soft", "rainbow", "shine", "beautiful"],
        "color_temp_kelvin": [2696, 6535],
    }
    assert capabilities(profile_for("bulb_v1"))["effects"] == [
        "scene_1",
        "scene_2",
        "scene_3",
        "scene_4",
    ]


def test_a_thermostat_gives_its_setpoint_range_step_and_modes_in_real_units() -> None:
    assert capabilities(profile_for("climate")) == {
        "current_heating_setpoint": {"min": 5.0, "max": 35.0, "step": 0.5},
        "system_modes": ["off", "heat", "auto"],
        "presets": ["manual", "program"],
    }
    narrow = profile_for("climate", {"temp_set": {"id": 16, "scale": 0, "min": 10, "max": 30}})
    assert capabilities(narrow)["current_heating_setpoint"] == {"min": 10, "max": 30, "step": 1}


def test_a_fan_lists_its_preset_modes_and_a_plug_has_nothing_to_add() -> None:
    fan = profile_for("fan", {"mode": {"id": 2, "range": ["sleep", "nature"]}})
    assert capabilities(fan) == {"preset_modes": ["sleep", "nature"]}
    assert capabilities(profile_for("plug")) == {}
