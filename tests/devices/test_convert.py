"""Brightness, colour temperature and sensor scaling."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from setsmart.devices.convert import (
    brightness_from_ha,
    brightness_to_ha,
    mireds_from_device,
    mireds_to_device,
    scale_reading,
)

V2_BRIGHTNESS = (10, 1000)
V1_BRIGHTNESS = (25, 255)
TEMP_RANGES = [(0, 1000), (0, 255)]


@given(level=st.integers(1, 255))
def test_v2_brightness_round_trips_every_ha_value(level: int) -> None:
    device = brightness_from_ha(level, *V2_BRIGHTNESS)
    assert 10 <= device <= 1000
    assert brightness_to_ha(device, *V2_BRIGHTNESS) == level


@given(device=st.integers(25, 255))
def test_v1_brightness_round_trips_every_device_value(device: int) -> None:
    level = brightness_to_ha(device, *V1_BRIGHTNESS)
    assert 1 <= level <= 255
    assert brightness_from_ha(level, *V1_BRIGHTNESS) == device


@given(level=st.integers(1, 255))
def test_v1_brightness_comes_back_within_one_step(level: int) -> None:
    device = brightness_from_ha(level, *V1_BRIGHTNESS)
    assert 25 <= device <= 255
    assert abs(brightness_to_ha(device, *V1_BRIGHTNESS) - level) <= 1


@pytest.mark.parametrize(
    ("device_range", "level", "device"),
    [
        (V2_BRIGHTNESS, 1, 10),
        (V2_BRIGHTNESS, 255, 1000),
        (V1_BRIGHTNESS, 1, 25),
        (V1_BRIGHTNESS, 255, 255),
    ],
)
def test_brightness_ends_meet(device_range: tuple[int, int], level: int, device: int) -> None:
    assert brightness_from_ha(level, *device_range) == device
    assert brightness_to_ha(device, *device_range) == level


@given(device=st.integers(-5000, 5000), ha=st.integers(-500, 500))
def test_out_of_range_values_are_clamped(device: int, ha: int) -> None:
    assert 1 <= brightness_to_ha(device, *V2_BRIGHTNESS) <= 255
    assert 10 <= brightness_from_ha(ha, *V2_BRIGHTNESS) <= 1000
    assert 153 <= mireds_from_device(device, 0, 1000) <= 370
    assert 0 <= mireds_to_device(ha, 0, 255) <= 255


@pytest.mark.parametrize("device_range", TEMP_RANGES)
@given(mireds=st.integers(153, 370))
def test_colour_temperature_round_trips_every_mired(
    device_range: tuple[int, int], mireds: int
) -> None:
    device = mireds_to_device(mireds, *device_range)
    assert device_range[0] <= device <= device_range[1]
    assert mireds_from_device(device, *device_range) == mireds


@pytest.mark.parametrize("device_range", TEMP_RANGES)
def test_colour_temperature_zero_is_warmest(device_range: tuple[int, int]) -> None:
    low, high = device_range
    assert mireds_from_device(low, low, high) == 370  # 2700 K
    assert mireds_from_device(high, low, high) == 153  # 6500 K
    assert mireds_to_device(370, low, high) == low
    assert mireds_to_device(153, low, high) == high


@given(a=st.integers(0, 1000), b=st.integers(0, 1000))
def test_colour_temperature_is_monotonic(a: int, b: int) -> None:
    if a <= b:
        assert mireds_from_device(a, 0, 1000) >= mireds_from_device(b, 0, 1000)


def test_colour_temperature_is_linear_in_mireds() -> None:
    assert mireds_from_device(500, 0, 1000) == 261  # 370 - 108.5 rounded half up
    assert mireds_to_device(261, 0, 1000) == 502  # 109 * 1000 / 217 = 502.3


@pytest.mark.parametrize(
    ("raw", "divisor", "decimals", "expected"),
    [
        (423, 10, 1, 42.3),  # cur_power W x10
        (2305, 10, 1, 230.5),  # cur_voltage V x10
        (222, 1000, 3, 0.222),  # cur_current mA
        (1, 1000, 3, 0.001),
        (0, 10, 1, 0.0),
        (12.5, 10, 1, 1.2),  # odd firmware sends floats; half to even
    ],
)
def test_scale_reading(raw: object, divisor: int, decimals: int, expected: float) -> None:
    assert scale_reading(raw, divisor, decimals) == expected


@pytest.mark.parametrize("raw", [True, None, "423", float("nan"), float("inf"), [1]])
def test_scale_reading_refuses_what_is_not_a_number(raw: object) -> None:
    assert scale_reading(raw, 10, 1) is None
