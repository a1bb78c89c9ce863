"""Bulb effects: the built-in scenes of Tuya bulbs, by the names the Tuya app shows.

v2 bulbs run a scene in work mode `scene` (DP 21) from the scene data on DP 25
(`scene_data_v2`): two hex digits of scene number, then per unit (1 to 8) two digits
each of switching interval, change time and change mode (0 static, 1 jump, 2 gradual),
then four each of H (0-360), S, V, white brightness and colour temperature (0-1000).
Source of the layout: Tuya's lighting (dj) standard instruction set, `scene_data_v2`
(developer.tuya.com/en/docs/iot/dj?id=K9i5ql3v98hn3) and its "General - Scene" panel
page. The eight scenes below are the app's defaults, numbers 0-7, written here as units:
0-3 (white) and 4 and 6 as in Tuya's own light panel template (`defaultScenesRGBCW`);
5 and 7 (six hues, jumping and fading) as in localtuya's `SCENE_LIST_RGB_1000`, whose
RGBW list also gives 5 with three hues only (the bulb plays the units it is sent; the
scene number names the scene). The names are localtuya's English ones, which CONTRACT.md
uses, for Tuya's soft, colourful, dazzling and gorgeous modes (`flash_scene_1..4`).

v1 bulbs have four built-in scenes as work modes `scene_1`..`scene_4` on DP 2 (the
same dj instruction set, `work_mode`; tinytuya's BulbDevice type A).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from setsmart.devices.profile import DeviceProfile
from setsmart.devices.types import DeviceType, DpValue

#: The work mode (DP 21) in which a v2 bulb runs the scene on its scene DP.
SCENE_MODE: Final = "scene"


class Change(IntEnum):
    """How a scene moves from one unit to the next."""

    STATIC = 0
    JUMP = 1
    GRADUAL = 2


@dataclass(frozen=True, slots=True)
class Scene:
    """A v2 scene: its number, its timing (0-100 each) and its units.

    Each unit is (h, s, v, white brightness, colour temperature) in device units; a
    white unit has h = s = v = 0, a colour unit brightness = temperature = 0.
    """

    number: int
    interval: int
    change_time: int
    change: Change
    units: tuple[tuple[int, int, int, int, int], ...]

    def encode(self) -> str:
        """The DP 25 string of this scene."""
        timing = f"{self.interval:02x}{self.change_time:02x}{self.change:02x}"
        return f"{self.number:02x}" + "".join(
            timing + "".join(f"{part:04x}" for part in unit) for unit in self.units
        )


def _white(brightness: int, temperature: int) -> tuple[int, int, int, int, int]:
    return (0, 0, 0, brightness, temperature)


def _colours(*hues: int) -> tuple[tuple[int, int, int, int, int], ...]:
    return tuple((hue, 1000, 1000, 0, 0) for hue in hues)


_SIX_HUES: Final = (0, 120, 240, 61, 174, 275)

#: The v2 scenes by name, in the order the Tuya app lists them.
V2_SCENES: Final[Mapping[str, Scene]] = {
    "night": Scene(0, 14, 13, Change.STATIC, (_white(200, 0),)),
    "read": Scene(1, 14, 13, Change.STATIC, (_white(1000, 500),)),
    "meeting": Scene(2, 14, 13, Change.STATIC, (_white(1000, 1000),)),
    "leisure": Scene(3, 14, 13, Change.STATIC, (_white(500, 500),)),
    "soft": Scene(4, 70, 70, Change.GRADUAL, ((120, 1000, 1000, 0, 0), (120, 1000, 10, 0, 0))),
    "rainbow": Scene(5, 70, 70, Change.JUMP, _colours(*_SIX_HUES)),
    "shine": Scene(6, 70, 70, Change.JUMP, _colours(0, 120, 240)),
    "beautiful": Scene(7, 70, 70, Change.GRADUAL, _colours(*_SIX_HUES)),
}
_V2_BY_NUMBER: Final = {scene.number: name for name, scene in V2_SCENES.items()}

#: The v1 scenes: work modes of their own.
V1_SCENES: Final = ("scene_1", "scene_2", "scene_3", "scene_4")


def effect_list(profile: DeviceProfile) -> tuple[str, ...]:
    """The effects a light runs: v2 scenes with a scene DP, v1 scenes with a mode DP."""
    if profile.dp("color_mode") is None:
        return ()
    if profile.dp("effect") is not None:
        return tuple(V2_SCENES)
    if profile.type is DeviceType.BULB_V1:
        return V1_SCENES
    return ()


def current_effect(profile: DeviceProfile, dps: Mapping[str, object]) -> str | None:
    """The effect running now, or None (no scene, or one we have no name for)."""
    mode_dp = profile.dp("color_mode")
    mode = None if mode_dp is None else dps.get(mode_dp)
    if not isinstance(mode, str):
        return None
    scene_dp = profile.dp("effect")
    if scene_dp is not None:
        data = dps.get(scene_dp)
        if mode != SCENE_MODE or not isinstance(data, str):
            return None
        try:
            return _V2_BY_NUMBER.get(int(data[:2], 16))
        except ValueError:
            return None
    return mode if mode in effect_list(profile) else None


def effect_writes(profile: DeviceProfile, name: str) -> dict[str, DpValue] | None:
    """The DPs that start effect `name`, or None when the light has no such effect."""
    mode_dp = profile.dp("color_mode")
    if name not in effect_list(profile) or mode_dp is None:
        return None
    scene_dp = profile.dp("effect")
    if scene_dp is None:
        return {mode_dp: name}
    return {mode_dp: SCENE_MODE, scene_dp: V2_SCENES[name].encode()}
