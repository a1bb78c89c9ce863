"""Recognising a device's kind and DP layout from the DPs it reports (`type: auto`). Pure.

Each rule looks at a full status (DP ids, value types, values) for one common layout and
says how sure it is; the surest rule wins, and below THRESHOLD the device stays `raw`.
The layouts, and what gives each away:
- bulb (v2): DP 20 a bool beside a work mode on 21, a brightness on 22 or a colour on 24;
  bulb_v1: DP 1 a bool with a 14-hex colour on 5, or a brightness 25-255 beside a mode;
- strip: two switches or more among DPs 1-7; plug: DP 1 a bool (the weakest rule: a door
  sensor's `{"1": false, "2": 100}` looks the same, so those need a library entry or spec);
- dimmer (tgq): DP 1 a bool, DP 2 a brightness 10-1000 and DP 3 its minimum, or an LED
  type on DP 4;
- cover (cl): DP 1 one of open/stop/close, a position 0-100 on DP 2;
- fan (fs): DP 1 a bool and a direction (forward/reverse) on another DP, a speed on DP 3;
- climate (wk): DP 1 a bool with a mode name, a setpoint and a temperature either on DPs
  2/3/4 or on 2/16/24;
- sensors: a temperature on DP 1 with a humidity 0-100 on DP 2 (wsdcg), `pir`/`none` on
  DP 1 (pir), `alarm`/`normal` on DP 1 with a battery on DP 4 (sj: smoke detectors report
  the same words, so without the battery it stays a guess).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

from setsmart.devices.dpmap import load_map
from setsmart.devices.types import DeviceType, is_int

#: Below this confidence a device's kind is not guessed.
THRESHOLD: Final = 0.6

_BULB_MODES: Final = frozenset({"white", "colour", "scene", "music"})
_COVER_COMMANDS: Final = frozenset({"open", "stop", "close", "continue"})
_LED_TYPES: Final = frozenset({"led", "incandescent", "halogen"})
_CLIMATE_MODES: Final = frozenset(
    {"auto", "manual", "program", "hot", "cold", "eco", "comfort", "holiday", "temp_auto"}
)
_BATTERY_STATES: Final = frozenset({"low", "middle", "high"})
_DIRECTIONS: Final = frozenset({"forward", "reverse"})
_DIGITS = re.compile(r"[0-9]{1,2}")
_HEX14 = re.compile(r"[0-9a-fA-F]{14}")
_LEGACY_POWER_DPS: Final = ("4", "5", "6")
_POWER_DPS: Final = ("18", "19", "20")

Dps = Mapping[str, object]


@dataclass(frozen=True, slots=True)
class Recognition:
    """A guess: the kind, the `dps:` it needs beyond the kind's defaults, how sure, why."""

    type: str
    confidence: float
    reason: str
    dps: Mapping[str, object] = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        return self.confidence >= THRESHOLD


def recognise(dps: Dps) -> Recognition:
    """The most likely kind of a device reporting `dps` (a full status, string keys)."""
    guesses = [guess for rule in _RULES if (guess := rule(dps)) is not None]
    if not guesses:
        return Recognition(DeviceType.RAW.value, 0.0, "its DPs fit no kind setsmart knows")
    return max(guesses, key=lambda guess: guess.confidence)


def detect_type(dps: Dps) -> DeviceType:
    """The kind of a device reporting `dps`, or raw when no guess is sure enough."""
    found = recognise(dps)
    return DeviceType(found.type) if found.accepted else DeviceType.RAW


def strip_switch_dps(dps: Dps) -> list[str]:
    """The strip switch DPs (1-7) that `dps` reports as bools, in gang order."""
    return [switch for switch, _ in load_map("strip").gangs if isinstance(dps.get(switch), bool)]


def is_legacy_plug(dps: Dps) -> bool:
    """Whether a plug meters on DPs 4/5/6 (old firmware) rather than 18/19/20."""
    return any(is_int(dps.get(dp)) for dp in _LEGACY_POWER_DPS) and not any(
        dp in dps for dp in _POWER_DPS
    )


def looks_like_v1_bulb(dps: Dps) -> bool:
    """A 14-hex colour on DP 5, or a brightness 25-255 on DP 3 beside a mode on DP 2."""
    colour = dps.get("5")
    if isinstance(colour, str) and _HEX14.fullmatch(colour):
        return True
    brightness = dps.get("3")
    return isinstance(dps.get("2"), str) and is_int(brightness) and 25 <= brightness <= 255


def _int_in(value: object, low: int, high: int) -> bool:
    return is_int(value) and low <= value <= high


def _bulb(dps: Dps) -> Recognition | None:
    if not isinstance(dps.get("20"), bool):
        return None
    if dps.get("21") in _BULB_MODES or is_int(dps.get("22")) or isinstance(dps.get("24"), str):
        return Recognition("bulb", 0.9, "DP 20 is a switch beside a light's mode or brightness")
    return None


def _bulb_v1(dps: Dps) -> Recognition | None:
    if isinstance(dps.get("1"), bool) and looks_like_v1_bulb(dps):
        return Recognition("bulb_v1", 0.8, "DP 1 is a switch beside a v1 light's DPs 2-5")
    return None


def _strip(dps: Dps) -> Recognition | None:
    gangs = len(strip_switch_dps(dps))
    if gangs >= 2:
        return Recognition("strip", 0.85, f"{gangs} switches among DPs 1-7")
    return None


def _plug(dps: Dps) -> Recognition | None:
    if isinstance(dps.get("1"), bool):
        meters = is_int(dps.get("19")) or all(is_int(dps.get(dp)) for dp in ("4", "5", "6"))
        sure = 0.8 if meters else 0.65
        return Recognition("plug", sure, "DP 1 is a switch")
    return None


def _dimmer(dps: Dps) -> Recognition | None:
    if not (isinstance(dps.get("1"), bool) and _int_in(dps.get("2"), 10, 1000)):
        return None
    led_type = str(dps.get("4", "")).lower() in _LED_TYPES
    if led_type or _int_in(dps.get("3"), 10, 1000):
        sure = 0.9 if led_type else 0.7
        if isinstance(dps.get("7"), bool) and _int_in(dps.get("8"), 10, 1000):
            return Recognition("dimmer", sure, "two dimmer channels on DPs 1-3 and 7-9")
        return Recognition("dimmer", sure, "DP 1 a switch, DP 2 a brightness 10-1000")
    return None


def _cover(dps: Dps) -> Recognition | None:
    if dps.get("1") not in _COVER_COMMANDS:
        return None
    if _int_in(dps.get("2"), 0, 100):
        return Recognition("cover", 0.9, "DP 1 a motor command, DP 2 a position 0-100")
    return Recognition("cover", 0.65, "DP 1 a motor command (open/stop/close)")


def _fan(dps: Dps) -> Recognition | None:
    if not isinstance(dps.get("1"), bool):
        return None
    direction = next((dp for dp, value in dps.items() if value in _DIRECTIONS), None)
    if direction is None:
        return None
    out: dict[str, object] = {"fan_direction": int(direction)}
    speed = dps.get("3")
    if isinstance(speed, str) and _DIGITS.fullmatch(speed):
        out["fan_speed"] = {"id": 3, "range": [str(n) for n in range(1, max(int(speed), 3) + 1)]}
        out["fan_speed_percent"] = None
        return Recognition("fan", 0.7, "DP 1 a switch, a direction DP, DP 3 a speed step", out)
    if _int_in(speed, 1, 100):
        return Recognition("fan", 0.75, "DP 1 a switch, a direction DP, DP 3 a speed", out)
    return Recognition("fan", 0.6, "DP 1 a switch beside a direction DP", out)


def _climate(dps: Dps) -> Recognition | None:
    if not isinstance(dps.get("1"), bool):
        return None
    if (
        str(dps.get("4")).lower() in _CLIMATE_MODES
        and is_int(dps.get("2"))
        and is_int(dps.get("3"))
    ):
        reason = "DP 1 a switch, DPs 2/3 temperatures, DP 4 a mode"
        out = _temperatures(dps, setpoint="2", current="3", mode="4")
        if isinstance(dps.get("6"), bool):
            out["child_lock"] = 6
        return Recognition("climate", 0.8, reason, out)
    if (
        str(dps.get("2")).lower() in _CLIMATE_MODES
        and is_int(dps.get("16"))
        and is_int(dps.get("24"))
    ):
        reason = "DP 1 a switch, DP 2 a mode, DPs 16/24 temperatures"
        out = _temperatures(dps, setpoint="16", current="24", mode="2")
        return Recognition("climate", 0.85, reason, out)
    return None


def _temperatures(dps: Dps, *, setpoint: str, current: str, mode: str) -> dict[str, object]:
    """Tenths of a degree when the room temperature reads above 60, else whole degrees."""
    scale = 1 if abs(_number(dps.get(current))) > 60 else 0
    return {
        "mode": {"id": int(mode), "range": sorted({str(dps[mode]), "auto", "manual"})},
        "temp_set": {"id": int(setpoint), "scale": scale, "unit": "℃"},
        "temp_current": {"id": int(current), "scale": scale, "unit": "℃"},
    }


def _number(value: object) -> int:
    return value if is_int(value) else 0


def _climate_sensor(dps: Dps) -> Recognition | None:
    if not (_int_in(dps.get("1"), -400, 1000) and _int_in(dps.get("2"), 0, 100)):
        return None
    sure = 0.6
    if _int_in(dps.get("4"), 0, 100) or dps.get("3") in _BATTERY_STATES:
        sure += 0.1
    if dps.get("9") in ("c", "f"):
        sure += 0.15
    return Recognition("sensor", round(sure, 2), "DP 1 a temperature, DP 2 a humidity 0-100")


def _motion(dps: Dps) -> Recognition | None:
    if dps.get("1") in ("pir", "none"):
        return Recognition("sensor", 0.85, "DP 1 reports pir/none", {"pir": 1})
    return None


def _leak(dps: Dps) -> Recognition | None:
    if dps.get("1") not in ("alarm", "normal"):
        return None
    if _int_in(dps.get("4"), 0, 100):
        return Recognition(
            "sensor", 0.7, "DP 1 reports alarm/normal, DP 4 a battery", {"watersensor_state": 1}
        )
    return Recognition(
        "sensor",
        0.45,
        "DP 1 reports alarm/normal (a leak, smoke or gas alarm: which one is not told)",
        {"watersensor_state": 1},
    )


_RULES: Final[tuple[Callable[[Dps], Recognition | None], ...]] = (
    _bulb,
    _bulb_v1,
    _strip,
    _plug,
    _dimmer,
    _cover,
    _fan,
    _climate,
    _climate_sensor,
    _motion,
    _leak,
)
