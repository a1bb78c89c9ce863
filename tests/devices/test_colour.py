"""Colour DP codecs (checked against tinytuya, the reference) and HA hue/saturation."""

from __future__ import annotations

import colorsys

import pytest
import tinytuya
from hypothesis import given
from hypothesis import strategies as st

from setsmart.devices.colour import (
    ColorFormat,
    Hsv,
    decode_colour,
    encode_colour,
    hs_from_device,
    hs_to_device,
    parse_hash_rgb,
    rgb_to_hs,
)

V2 = ColorFormat.HSV12
V1 = ColorFormat.RGBHSV14

v2_colours = st.builds(Hsv, st.integers(0, 360), st.integers(0, 1000), st.integers(0, 1000))
v1_colours = st.builds(Hsv, st.integers(0, 360), st.integers(0, 255), st.integers(0, 255))


@given(colour=v2_colours)
def test_v2_colour_round_trips(colour: Hsv) -> None:
    text = encode_colour(V2, colour)
    assert len(text) == 12
    assert decode_colour(V2, text) == colour


@given(colour=v1_colours.filter(lambda c: c.v > 0))
def test_v1_colour_round_trips(colour: Hsv) -> None:
    text = encode_colour(V1, colour)
    assert len(text) == 14
    assert text[6] == "0"  # rrggbb0hhhssvv
    assert decode_colour(V1, text) == colour


@given(colour=v2_colours)
def test_v2_encoding_reads_back_in_tinytuya(colour: Hsv) -> None:
    h, s, v = tinytuya.BulbDevice.hexvalue_to_hsv(encode_colour(V2, colour), "hsv16")
    assert (round(h * 360), round(s * 1000), round(v * 1000)) == (colour.h, colour.s, colour.v)


@given(colour=v1_colours)
def test_v1_encoding_reads_back_in_tinytuya(colour: Hsv) -> None:
    text = encode_colour(V1, colour)
    h, s, v = tinytuya.BulbDevice.hexvalue_to_hsv(text, "rgb8")
    assert (round(h * 360), round(s * 255), round(v * 255)) == (colour.h, colour.s, colour.v)
    rgb = tinytuya.BulbDevice.hexvalue_to_rgb(text, "rgb8")
    expected = colorsys.hsv_to_rgb(colour.h / 360, colour.s / 255, colour.v / 255)
    assert all(abs(a - b * 255) <= 0.5 for a, b in zip(rgb, expected, strict=True))


@given(r=st.integers(0, 255), g=st.integers(0, 255), b=st.integers(0, 255))
def test_tinytuya_v1_values_decode(r: int, g: int, b: int) -> None:
    text = tinytuya.BulbDevice.rgb_to_hexvalue(r, g, b, "rgb8")
    h, s, v = tinytuya.BulbDevice.hexvalue_to_hsv(text, "rgb8")
    colour = decode_colour(V1, text)
    assert colour is not None
    assert (colour.h, colour.s, colour.v) == (round(h * 360), round(s * 255), round(v * 255))


@pytest.mark.parametrize(
    ("fmt", "text", "colour"),
    [
        (V2, "00d60000026c", Hsv(214, 0, 620)),  # tinytuya#34, TreatLife bulb
        (V2, "004b03e803e8", Hsv(75, 1000, 1000)),  # tuya-local#1169
        (V2, "004B03E803E8", Hsv(75, 1000, 1000)),
        (V2, '{"h":0,"s":1000,"v":1000}', Hsv(0, 1000, 1000)),  # the cloud's form
        (V1, "00b7ff00c5ffff", Hsv(197, 255, 255)),  # homebridge-tuya#25
        (V1, "ff000000000000", Hsv(0, 255, 255)),  # only RGB filled in: read from RGB
        (V1, "00000000000000", Hsv(0, 0, 0)),
    ],
)
def test_decodes_real_values(fmt: ColorFormat, text: str, colour: Hsv) -> None:
    assert decode_colour(fmt, text) == colour


@pytest.mark.parametrize(
    ("fmt", "value"),
    [
        (V2, None),
        (V2, 12),
        (V2, "00d60000026"),
        (V2, "00d60000026cc"),
        (V2, "00d60000026g"),
        (V2, '{"h":0,"s":1000}'),
        (V2, '{"h":true,"s":1,"v":1}'),
        (V2, "[0, 1000, 1000]"),
        (V2, "{not json"),
        (V1, "00b7ff00c5fff"),
        (V1, "00d60000026c"),
        (V1, True),
    ],
)
def test_refuses_what_is_not_a_colour(fmt: ColorFormat, value: object) -> None:
    assert decode_colour(fmt, value) is None


def test_encodes_known_colours() -> None:
    assert encode_colour(V2, Hsv(0, 1000, 1000)) == "000003e803e8"
    assert encode_colour(V1, Hsv(0, 255, 255)) == "ff00000000ffff"
    assert encode_colour(V1, Hsv(240, 255, 128)) == "00008000f0ff80"
    assert encode_colour(V2, Hsv(400, 2000, -1)) == "016803e80000"  # clamped


@pytest.mark.parametrize("fmt", [V1, V2])
@given(h=st.integers(0, 360), s=st.integers(0, 100))
def test_ha_hue_and_saturation_round_trip(fmt: ColorFormat, h: int, s: int) -> None:
    dh, ds = hs_to_device(fmt, h, s)
    assert hs_from_device(fmt, Hsv(dh, ds, 0)) == (h, s)


@given(tenths=st.integers(0, 1000))
def test_v2_keeps_a_tenth_of_a_percent_of_saturation(tenths: int) -> None:
    _, s = hs_to_device(V2, 10, tenths / 10)
    assert hs_from_device(V2, Hsv(10, s, 0))[1] == tenths / 10


def test_ha_values_are_clamped() -> None:
    assert hs_to_device(V2, 400, 150) == (360, 1000)
    assert hs_from_device(V1, Hsv(999, 999, 0)) == (360, 100)


@pytest.mark.parametrize(
    ("rgb", "hs"),
    [
        ((255, 0, 0), (0, 100)),
        ((0, 0, 255), (240, 100)),
        ((255, 255, 255), (0, 0)),
        ((0, 0, 0), (0, 0)),
        ((0, 183, 255), (196.9, 100)),
        ((255, 128, 128), (0, 49.8)),
    ],
)
def test_rgb_to_hs(rgb: tuple[int, int, int], hs: tuple[float, float]) -> None:
    assert rgb_to_hs(*rgb) == hs


@pytest.mark.parametrize(
    ("text", "rgb"),
    [("#ff8000", (255, 128, 0)), ("#FF8000", (255, 128, 0)), ("#12345", None), ("ff8000", None)],
)
def test_parse_hash_rgb(text: str, rgb: tuple[int, int, int] | None) -> None:
    assert parse_hash_rgb(text) == rgb
