"""What each simulated device kind has: its data points, their limits and initial values.

Defined here rather than taken from `setsmart.devices`, so the simulator stays an
independent model of real firmware that the daemon's own maps are tested against.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, Literal, get_args

from setsmart.devices.scenes import V2_SCENES
from setsmart.protocol import Dps, DpValue
from setsmart.sim.errors import SimConfigError
from setsmart.sim.motion import ClimateSensor, Cover, Motion, Thermostat

Kind = Literal[
    "plug",
    "plug_legacy",
    "strip",
    "switch",
    "dimmer",
    "bulb",
    "bulb_v1",
    "cover",
    "fan",
    "climate",
    "sensor",
    "raw",
]
KINDS: Final[tuple[Kind, ...]] = get_args(Kind)

DpType = Literal["bool", "int", "enum", "str", "any"]

_COUNTDOWN_MAX = 86400
_MODES = ("white", "colour", "scene", "music")
# v1 firmware runs its four built-in scenes as work modes of their own (Tuya dj `work_mode`).
_V1_MODES = (*_MODES, "scene_1", "scene_2", "scene_3", "scene_4")


@dataclass(frozen=True, slots=True)
class DpSpec:
    """One data point: its type, its limits, and whether a client may write it."""

    type: DpType
    low: int = 0
    high: int = 0
    choices: tuple[str, ...] = ()
    pattern: re.Pattern[str] | None = None
    writable: bool = True

    def accepts(self, value: DpValue) -> bool:
        """Whether a firmware with this DP would take `value` (it ignores anything else)."""
        if not self.writable:
            return False
        if self.type == "bool":
            return isinstance(value, bool)
        if self.type == "int":
            return (
                isinstance(value, int)
                and not isinstance(value, bool)
                and self.low <= value <= self.high
            )
        if self.type == "any":
            return True
        if not isinstance(value, str):
            return False
        if self.type == "enum":
            return value in self.choices
        return self.pattern is None or self.pattern.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class MeterDps:
    """Where a metering device reports its readings (power W x10, voltage V x10, mA, Wh)."""

    current: str
    power: str
    voltage: str
    energy: str | None = None
    relay: str = "1"  # the switch whose state decides whether current flows


@dataclass(frozen=True, slots=True)
class KindSpec:
    """A device kind: its DPs with initial values, its countdowns and its meter."""

    specs: Mapping[str, DpSpec]
    initial: Mapping[str, DpValue]
    countdowns: Mapping[str, str]  # countdown DP -> the switch DP it flips when it ends
    meter: MeterDps | None = None
    product_key: str = "simrawdevice0000"
    motion: Callable[[], Motion] | None = None  # what moves by itself, made per device


_SWITCH = DpSpec("bool")
_COUNTDOWN = DpSpec("int", 0, _COUNTDOWN_MAX)
_READING = DpSpec("int", 0, 1 << 31, writable=False)
_HEX12 = re.compile(r"[0-9a-fA-F]{12}")
_HEX14 = re.compile(r"[0-9a-fA-F]{14}")
# Tuya dj `scene_data_v2`: a scene number, then 1 to 8 units of 26 hex digits each.
_SCENE_DATA = re.compile(r"[0-9a-fA-F]{2}(?:[0-9a-fA-F]{26}){1,8}")

_PLUG = KindSpec(
    specs={"1": _SWITCH, "9": _COUNTDOWN, "17": _READING, "18": _READING, "19": _READING,
           "20": _READING},
    initial={"1": False, "9": 0, "17": 0, "18": 0, "19": 0, "20": 2300},
    countdowns={"9": "1"},
    meter=MeterDps(current="18", power="19", voltage="20", energy="17"),
    product_key="simplugmeter0017",
)  # fmt: skip

_PLUG_LEGACY = KindSpec(
    specs={"1": _SWITCH, "2": DpSpec("int", 0, _COUNTDOWN_MAX), "4": _READING, "5": _READING,
           "6": _READING},
    initial={"1": False, "2": 0, "4": 0, "5": 0, "6": 2300},
    countdowns={},
    meter=MeterDps(current="4", power="5", voltage="6"),
    product_key="simpluglegacy031",
)  # fmt: skip

_STRIP = KindSpec(
    specs={
        **{str(n): _SWITCH for n in (1, 2, 3, 4, 7)},
        **{str(n): _COUNTDOWN for n in (9, 10, 11, 12, 15)},
    },
    initial={
        **{str(n): False for n in (1, 2, 3, 4, 7)},
        **{str(n): 0 for n in (9, 10, 11, 12, 15)},
    },
    countdowns={"9": "1", "10": "2", "11": "3", "12": "4", "15": "7"},
    product_key="simstrip4usb0007",
)

_BULB = KindSpec(
    specs={
        "20": _SWITCH,
        "21": DpSpec("enum", choices=_MODES),
        "22": DpSpec("int", 10, 1000),
        "23": DpSpec("int", 0, 1000),
        "24": DpSpec("str", pattern=_HEX12),
        "25": DpSpec("str", pattern=_SCENE_DATA),
        "26": _COUNTDOWN,
    },
    initial={
        "20": True,
        "21": "white",
        "22": 1000,
        "23": 500,
        "24": "000003e803e8",
        "25": "000e0d0000000000000000c80000",
        "26": 0,
    },
    countdowns={"26": "20"},
    product_key="simbulbv2dps2026",
)

_BULB_V1 = KindSpec(
    specs={
        "1": _SWITCH,
        "2": DpSpec("enum", choices=_V1_MODES),
        "3": DpSpec("int", 25, 255),
        "4": DpSpec("int", 0, 255),
        "5": DpSpec("str", pattern=_HEX14),
    },
    initial={"1": True, "2": "white", "3": 255, "4": 255, "5": "ffffff0000ffff"},
    countdowns={},
    product_key="simbulbv1dps0105",
)

_WALL_SWITCH = KindSpec(
    specs={"1": _SWITCH, "2": _SWITCH, "7": _COUNTDOWN, "8": _COUNTDOWN},
    initial={"1": False, "2": False, "7": 0, "8": 0},
    countdowns={"7": "1", "8": "2"},
    product_key="simwallswitch002",
)

_DIMMER = KindSpec(
    specs={
        "1": _SWITCH,
        "2": DpSpec("int", 10, 1000),
        "3": DpSpec("int", 10, 1000),
        "5": DpSpec("int", 10, 1000),
        "6": _COUNTDOWN,
    },
    initial={"1": True, "2": 600, "3": 100, "5": 1000, "6": 0},
    countdowns={"6": "1"},
    product_key="simdimmertgq0001",
)

_COVER = KindSpec(
    specs={
        "1": DpSpec("enum", choices=("open", "stop", "close", "continue")),
        "2": DpSpec("int", 0, 100),
        "3": DpSpec("int", 0, 100, writable=False),
        "5": DpSpec("enum", choices=("forward", "back")),
        "7": DpSpec("enum", choices=("opening", "closing"), writable=False),
    },
    initial={"1": "stop", "2": 100, "3": 100, "5": "forward", "7": "opening"},
    countdowns={},
    product_key="simcurtaincl0001",
    motion=Cover,
)

_FAN = KindSpec(
    specs={
        "1": _SWITCH,
        "2": DpSpec("enum", choices=("normal", "nature", "sleep")),
        "3": DpSpec("int", 1, 100),
        "5": _SWITCH,
        "8": DpSpec("enum", choices=("forward", "reverse")),
    },
    initial={"1": False, "2": "normal", "3": 40, "5": False, "8": "forward"},
    countdowns={},
    product_key="simstandfanfs001",
)

_CLIMATE = KindSpec(
    specs={
        "1": _SWITCH,
        "2": DpSpec("enum", choices=("manual", "program")),
        "3": DpSpec("enum", choices=("heating", "idle"), writable=False),
        "16": DpSpec("int", 50, 350),
        "24": DpSpec("int", -200, 1000, writable=False),
        "40": _SWITCH,
    },
    initial={"1": True, "2": "manual", "3": "idle", "16": 210, "24": 185, "40": False},
    countdowns={},
    product_key="simthermostatwk1",
    motion=Thermostat,
)

_SENSOR = KindSpec(
    specs={
        "1": DpSpec("int", -400, 2000, writable=False),
        "2": DpSpec("int", 0, 100, writable=False),
        "3": DpSpec("enum", choices=("low", "middle", "high"), writable=False),
        "4": DpSpec("int", 0, 100, writable=False),
    },
    initial={"1": 215, "2": 48, "3": "high", "4": 87},
    countdowns={},
    product_key="simthsensorwsdcg",
    motion=ClimateSensor,
)

_KINDS: Final[Mapping[str, KindSpec]] = {
    "plug": _PLUG,
    "plug_legacy": _PLUG_LEGACY,
    "strip": _STRIP,
    "switch": _WALL_SWITCH,
    "dimmer": _DIMMER,
    "bulb": _BULB,
    "bulb_v1": _BULB_V1,
    "cover": _COVER,
    "fan": _FAN,
    "climate": _CLIMATE,
    "sensor": _SENSOR,
}


def _loose_spec(value: DpValue) -> DpSpec:
    """A raw device's DP takes any value of the type it started with."""
    if isinstance(value, bool):
        return DpSpec("bool")
    if isinstance(value, int):
        return DpSpec("int", -(1 << 31), (1 << 31) - 1)
    if isinstance(value, str):
        return DpSpec("str")
    return DpSpec("any")


def kind_spec(kind: str, dps: Mapping[str, DpValue] | None = None) -> KindSpec:
    """The spec of `kind`; `raw` devices are built from `dps` (their only source of DPs)."""
    if kind == "raw":
        if not dps:
            raise SimConfigError("a raw simulated device needs its dps")
        initial: Dps = {str(k): v for k, v in dps.items()}
        return KindSpec(
            specs={k: _loose_spec(v) for k, v in initial.items()}, initial=initial, countdowns={}
        )
    try:
        return _KINDS[kind]
    except KeyError:
        raise SimConfigError(
            f"unknown simulated device kind {kind!r} (one of {', '.join(KINDS)})"
        ) from None


def running_scene(kind: str, name: str) -> dict[str, DpValue]:
    """The DPs of a bulb of `kind` (bulb or bulb_v1) running its built-in scene `name`."""
    if kind == "bulb_v1":
        return {"2": name}
    return {"21": "scene", "25": V2_SCENES[name].encode()}
