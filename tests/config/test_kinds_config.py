"""`dps:` with layouts and per-kind role names, and the `invert` and `sleep` keys."""

from __future__ import annotations

import pytest

from setsmart.config import dump_config
from setsmart.devices import DpLayout, profile_for

from .conftest import Load, Problems


def test_a_layout_and_a_bare_id_load_side_by_side(load: Load) -> None:
    config = load(
        """
        devices:
          - id: bf01
            name: radiator
            type: climate
            invert: true
            sleep: 3600
            dps:
              temp_set: {id: 2, scale: 1, min: 50, max: 350, step: 5, unit: "℃"}
              mode: {id: 4, range: [auto, manual]}
              child_lock: 6
        """
    )
    (device,) = config.devices
    assert device.dps == {
        "temp_set": DpLayout("2", scale=1, min=50, max=350, step=5, unit="℃"),
        "mode": DpLayout("4", range=("auto", "manual")),
        "child_lock": 6,
    }
    assert device.invert is True
    assert device.sleep == 3600.0
    assert device.dp_ids == (2, 4, 6)
    profile = profile_for(device.type, device.dps)
    assert profile.roles["temp_set"] == "2"
    assert profile.layouts["child_lock"] == DpLayout("6")


def test_the_contract_names_stand_for_tuya_codes(load: Load) -> None:
    config = load(
        """
        devices:
          - id: bf01
            name: valve
            type: climate
            dps: {local_temperature: 5, current_heating_setpoint: 4}
        """
    )
    profile = profile_for("climate", config.devices[0].dps)
    assert profile.roles["temp_current"] == "5"
    assert profile.roles["temp_set"] == "4"


def test_a_config_with_layouts_dumps_and_loads_back(load: Load) -> None:
    text = """
        devices:
          - id: bf01
            name: fan
            type: fan
            dps:
              fan_speed: {id: 62, min: 1, max: 6}
              fan_direction: {id: 63, range: [forward, reverse]}
        """
    config = load(text)
    assert load(dump_config(config)).devices == config.devices


def test_null_says_the_device_has_no_such_dp_and_survives_a_dump(load: Load) -> None:
    # As the README's example: a thermostat without one of the kind's DPs (here its mode).
    text = """
        devices:
          - id: bf01
            name: hall_thermostat
            type: climate
            dps:
              child_lock: 6
              mode: null
        """
    (device,) = load(text).devices
    assert device.dps == {"child_lock": 6, "mode": None}
    assert device.dp_ids == (6,)
    assert "mode" in profile_for("climate").roles
    assert "mode" not in profile_for(device.type, device.dps).roles
    assert "mode: null" in dump_config(load(text))
    assert load(dump_config(load(text))).devices == (device,)


@pytest.mark.parametrize(
    ("dps", "expected"),
    [
        pytest.param(
            "{temp_sett: 2}",
            "devices[0].dps.temp_sett: unknown role (did you mean 'temp_set'?)",
            id="typo",
        ),
        pytest.param(
            "{brightness_l9: 2}",
            "devices[0].dps.brightness_l9: unknown role (valid: child_lock, mode, switch, "
            "temp_current, temp_set, valve_state, work_state)",
            id="other-kind",
        ),
        pytest.param(
            "{temp_set: {id: 2, scale: 9}}",
            "devices[0].dps.temp_set.scale: must be an integer from 0 to 6, got 9",
            id="scale",
        ),
        pytest.param(
            "{temp_set: {scale: 1}}",
            "devices[0].dps.temp_set: a layout needs its DP id (id: N)",
            id="no-id",
        ),
        pytest.param(
            "{temp_set: {id: 2, min: 50}}",
            "devices[0].dps.temp_set: min and max go together",
            id="half-range",
        ),
        pytest.param(
            "{mode: {id: 4, range: []}}",
            "devices[0].dps.mode.range: must be a non-empty list of the enum's values",
            id="empty-range",
        ),
        pytest.param(
            "{mode: {id: 4, rnage: [a]}}",
            "devices[0].dps.mode.rnage: unknown key (valid: id, scale, min, max, step, unit, "
            "range)",
            id="layout-key",
        ),
        pytest.param(
            "{mode: {id: 4}, switch: {id: 4}}",
            "devices[0].dps.switch: DP 4 is already mapped to mode",
            id="shared-dp",
        ),
    ],
)
def test_a_bad_dps_entry_is_named_precisely(problems: Problems, dps: str, expected: str) -> None:
    text = f"devices: [{{id: a, name: b, type: climate, dps: {dps}}}]\n"
    assert [line.split(": ", 1)[1] for line in problems(text)] == [expected]


def test_sleep_must_be_positive_seconds(problems: Problems) -> None:
    assert problems("devices: [{id: a, name: b, sleep: 0, invert: maybe}]\n") == [
        "config.yaml:1: devices[0].invert: must be true or false, got a string",
        "config.yaml:1: devices[0].sleep: must be more than 0, got 0",
    ]
