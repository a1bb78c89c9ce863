"""Number conversions between device units and Home Assistant units.

All scaling is integer arithmetic with round-half-up, so the round trips are exact:
- brightness: HA 1-255 <-> device lo-hi. With more device steps than HA steps (10-1000),
  HA -> device -> HA gives back every HA value; with fewer (25-255), device -> HA -> device
  gives back every device value.
- colour temperature: mireds 153 (6500 K, coolest) to 370 (2700 K, warmest), linear in
  mireds, device lo = warmest. Both device ranges (0-1000, 0-255) have more steps than
  the 218 mireds, so mireds -> device -> mireds is exact.
- Kelvin: 1e6 / mireds rounded down both ways, as Home Assistant converts them
  (homeassistant/util/color.py), so our `color_temp` and `color_temp_kelvin` agree with
  what it shows. Every mired value of the range survives mireds -> K -> mireds, so a
  `color_temp_kelvin` read from the state can be sent back unchanged.
"""

from __future__ import annotations

from typing import Final

from setsmart.devices.types import clamp, is_number

HA_BRIGHTNESS_MAX: Final = 255
MIRED_MIN: Final = 153  # 6500 K, coolest
MIRED_MAX: Final = 370  # 2700 K, warmest
_MIRED_SPAN: Final = MIRED_MAX - MIRED_MIN
_MEGA: Final = 1_000_000
#: The Kelvin values whose mireds (rounded down) are within MIRED_MIN..MIRED_MAX.
KELVIN_MIN: Final = _MEGA // (MIRED_MAX + 1) + 1  # 2696
KELVIN_MAX: Final = _MEGA // MIRED_MIN  # 6535


def _div_round(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, for a non-negative numerator."""
    return (2 * numerator + denominator) // (2 * denominator)


def brightness_to_ha(value: int, low: int, high: int) -> int:
    """Device brightness (clamped to low..high) to Home Assistant 1-255."""
    steps = clamp(value, low, high) - low
    return 1 + _div_round(steps * (HA_BRIGHTNESS_MAX - 1), high - low)


def brightness_from_ha(value: int, low: int, high: int) -> int:
    """Home Assistant brightness (clamped to 1-255) to device low..high."""
    steps = clamp(value, 1, HA_BRIGHTNESS_MAX) - 1
    return low + _div_round(steps * (high - low), HA_BRIGHTNESS_MAX - 1)


def mireds_to_device(mireds: int, low: int, high: int) -> int:
    """Colour temperature in mireds (clamped to 153-370) to device low (warm)..high (cool)."""
    steps = MIRED_MAX - clamp(mireds, MIRED_MIN, MIRED_MAX)
    return low + _div_round(steps * (high - low), _MIRED_SPAN)


def mireds_from_device(value: int, low: int, high: int) -> int:
    """Device colour temperature (clamped to low..high) to mireds 153-370."""
    steps = clamp(value, low, high) - low
    return MIRED_MAX - _div_round(steps * _MIRED_SPAN, high - low)


def kelvin_from_mireds(mireds: int) -> int:
    """Colour temperature in mireds (positive) to Kelvin, rounded down."""
    return _MEGA // mireds


def mireds_from_kelvin(kelvin: int) -> int:
    """Colour temperature in Kelvin (positive) to mireds, rounded down."""
    return _MEGA // kelvin


def scale_reading(value: object, divisor: int, decimals: int) -> float | None:
    """A sensor DP in physical units (value / divisor, rounded), or None if not a number."""
    if not is_number(value):
        return None
    return round(value / divisor, decimals)
