"""Colour codecs of Tuya bulbs and the conversions to Home Assistant's hue/saturation.

v2 bulbs (DP 24) use 12 hex digits `hhhhssssvvvv`: h 0-360, s and v 0-1000.
v1 bulbs (DP 5) use 14 hex digits `rrggbb0hhhssvv`: the RGB colour, then h 0-360 in
4 digits, s and v 0-255 in 2 digits each (the layout tinytuya calls "rgb8").
Home Assistant speaks h 0-360 and s 0-100.
"""

from __future__ import annotations

import colorsys
import json
import re
from dataclasses import dataclass
from enum import StrEnum

from setsmart.devices.types import clamp, is_int

_HEX12 = re.compile(r"[0-9a-fA-F]{12}")
_HEX14 = re.compile(r"[0-9a-fA-F]{14}")
_HASH_RGB = re.compile(r"#([0-9a-fA-F]{2})([0-9a-fA-F]{2})([0-9a-fA-F]{2})")


class ColorFormat(StrEnum):
    """How a bulb encodes its colour DP."""

    HSV12 = "hsv12"
    RGBHSV14 = "rgbhsv14"

    @property
    def sv_max(self) -> int:
        """Full scale of saturation and value on the device."""
        return 1000 if self is ColorFormat.HSV12 else 255


@dataclass(frozen=True, slots=True)
class Hsv:
    """A colour in device units: h 0-360, s and v 0 to the format's `sv_max`."""

    h: int
    s: int
    v: int


def encode_colour(fmt: ColorFormat, colour: Hsv) -> str:
    """The colour DP string for `colour` (components are clamped to their ranges)."""
    top = fmt.sv_max
    h, s, v = clamp(colour.h, 0, 360), clamp(colour.s, 0, top), clamp(colour.v, 0, top)
    if fmt is ColorFormat.HSV12:
        return f"{h:04x}{s:04x}{v:04x}"
    r, g, b = (round(c * 255) for c in colorsys.hsv_to_rgb(h / 360, s / top, v / top))
    return f"{r:02x}{g:02x}{b:02x}{h:04x}{s:02x}{v:02x}"


def decode_colour(fmt: ColorFormat, value: object) -> Hsv | None:
    """The colour a DP value holds, or None when it is not in the format's shape.

    v2 also accepts the cloud's JSON form `{"h":..,"s":..,"v":..}`. A v1 value whose HSV
    part is all zero (some firmware fills only RGB) is read from its RGB part.
    """
    if not isinstance(value, str):
        return None
    if fmt is ColorFormat.HSV12:
        if _HEX12.fullmatch(value):
            return Hsv(int(value[0:4], 16), int(value[4:8], 16), int(value[8:12], 16))
        return _decode_json_hsv(value)
    if not _HEX14.fullmatch(value):
        return None
    colour = Hsv(int(value[6:10], 16), int(value[10:12], 16), int(value[12:14], 16))
    rgb = int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)
    if colour == Hsv(0, 0, 0) and any(rgb):
        h, s, v = colorsys.rgb_to_hsv(*(c / 255 for c in rgb))
        colour = Hsv(round(h * 360), round(s * 255), round(v * 255))
    return colour


def _decode_json_hsv(value: str) -> Hsv | None:
    try:
        data = json.loads(value)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    parts = [data.get(k) for k in ("h", "s", "v")]
    ints = [p for p in parts if is_int(p)]
    if len(ints) != 3:
        return None
    return Hsv(*ints)


def hs_to_device(fmt: ColorFormat, h: float, s: float) -> tuple[int, int]:
    """Home Assistant hue 0-360 and saturation 0-100 to device hue and saturation."""
    return clamp(round(h), 0, 360), clamp(round(s * fmt.sv_max / 100), 0, fmt.sv_max)


def hs_from_device(fmt: ColorFormat, colour: Hsv) -> tuple[int, int | float]:
    """Device colour to Home Assistant `(h, s)`, s to the precision the device has.

    v2 saturation has 0.1 % steps and is reported to one decimal; v1 steps are coarser
    than 1 % and are reported as whole numbers, so a whole HA value survives a round trip.
    """
    top = fmt.sv_max
    saturation = clamp(colour.s, 0, top) * 100 / top
    s = round(saturation, 1) if top >= 1000 else round(saturation)
    return clamp(colour.h, 0, 360), tidy_number(s)


def rgb_to_hs(r: float, g: float, b: float) -> tuple[float, float]:
    """RGB 0-255 to Home Assistant hue 0-360 and saturation 0-100 (brightness dropped)."""
    h, s, _ = colorsys.rgb_to_hsv(r / 255, g / 255, b / 255)
    return round(h * 360, 1), round(s * 100, 1)


def parse_hash_rgb(text: str) -> tuple[int, int, int] | None:
    """`(r, g, b)` from "#rrggbb", or None when `text` is not in that form."""
    match = _HASH_RGB.fullmatch(text)
    if match is None:
        return None
    return int(match[1], 16), int(match[2], 16), int(match[3], 16)


def tidy_number(value: float) -> int | float:
    """A whole float as an int (JSON `100` rather than `100.0`), others unchanged."""
    return int(value) if float(value).is_integer() else value
