"""Fans (`fs`): `state`, `percentage` over numeric or enum speeds, `preset_mode`,
`oscillation` and `direction`.

A numeric speed `low..high` maps onto 1-100 in equal parts (speeds 1-100 as is; 1-6 as
17, 33, ... 100); an enum speed's values likewise, in the order the specification lists
them. `percentage: 0` turns the fan off; any other turns it on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

from setsmart.devices.errors import SetError
from setsmart.devices.layout import DpLayout
from setsmart.devices.profile import DeviceProfile
from setsmart.devices.setvalues import Writes, choice, in_range, show, switch_value
from setsmart.devices.types import is_int

IGNORED: Final = frozenset[str]()
_KEYS: Final = (
    ("state", "switch"),
    ("percentage", "fan_speed_percent"),
    ("percentage", "fan_speed"),
    ("preset_mode", "mode"),
    ("oscillation", "switch_horizontal"),
    ("direction", "fan_direction"),
)


def _speeds(layout: DpLayout) -> int:
    if layout.is_enum:
        return len(layout.range)
    return (layout.max or 100) - (layout.min or 1) + 1


def _speed_layout(profile: DeviceProfile) -> tuple[str, DpLayout] | None:
    for role in ("fan_speed_percent", "fan_speed"):
        layout = profile.layout(role)
        if layout is not None and layout.id is not None:
            return layout.id, layout
    return None


def _percentage(layout: DpLayout, raw: object) -> int | None:
    if layout.is_enum:
        if not isinstance(raw, str) or raw not in layout.range:
            return None
        step = layout.range.index(raw) + 1
    elif is_int(raw):
        step = raw - (layout.min or 1) + 1
    else:
        return None
    return min(max(round(step * 100 / _speeds(layout)), 0), 100)


def state(profile: DeviceProfile, dps: Mapping[str, object]) -> dict[str, object]:
    """The fan's state keys from its DPs."""
    result: dict[str, object] = {}
    on = dps.get(profile.roles.get("switch", ""))
    if isinstance(on, bool):
        result["state"] = "ON" if on else "OFF"
    speed = _speed_layout(profile)
    if speed is not None:
        percentage = _percentage(speed[1], dps.get(speed[0]))
        if percentage is not None:
            result["percentage"] = percentage
    for key, role, kind in (
        ("preset_mode", "mode", str),
        ("oscillation", "switch_horizontal", bool),
        ("direction", "fan_direction", str),
    ):
        value = dps.get(profile.roles.get(role, ""))
        if isinstance(value, kind):
            result[key] = value
    return result


def set_keys(profile: DeviceProfile) -> tuple[str, ...]:
    """The `/set` keys of this fan (besides `dps`)."""
    return tuple(dict.fromkeys(key for key, role in _KEYS if role in profile.roles))


def apply(
    profile: DeviceProfile,
    fields: Mapping[str, object],
    current: Mapping[str, object],
    writes: Writes,
) -> None:
    """Write what the payload names; a percentage also switches the fan."""
    switch = profile.dp("switch")
    if "state" in fields and switch is not None:
        now = current.get(switch)
        writes.put(
            switch,
            switch_value("state", fields["state"], now if isinstance(now, bool) else None),
            "state",
        )
    if "percentage" in fields:
        _apply_percentage(profile, fields, writes)
    for key, role in (("preset_mode", "mode"), ("direction", "fan_direction")):
        if key in fields:
            layout = profile.layouts[role]
            value = fields[key]
            if layout.range:
                value = choice(key, value, layout.range)
            elif not isinstance(value, str):
                raise SetError(f"{key}: {show(value)} is not a string")
            writes.put(profile.roles[role], value, key)
    if "oscillation" in fields:
        value = fields["oscillation"]
        if not isinstance(value, bool):
            raise SetError(f"oscillation: {show(value)} is not true or false")
        writes.put(profile.roles["switch_horizontal"], value, "oscillation")


def _apply_percentage(profile: DeviceProfile, fields: Mapping[str, object], writes: Writes) -> None:
    percentage = in_range("percentage", fields["percentage"], 0, 100)
    switch = profile.dp("switch")
    if percentage == 0:
        if switch is None:
            raise SetError("percentage: 0 would turn the fan off, but it has no switch DP")
        writes.put(switch, False, "percentage")
        return
    speed = _speed_layout(profile)
    if speed is None:
        raise SetError("percentage: this fan has no speed DP")
    dp, layout = speed
    step = min(max(math.ceil(percentage * _speeds(layout) / 100), 1), _speeds(layout))
    value = layout.range[step - 1] if layout.is_enum else (layout.min or 1) + step - 1
    writes.put(dp, value, "percentage")
    if switch is not None and "state" not in fields:
        writes.put(switch, True, "percentage")
