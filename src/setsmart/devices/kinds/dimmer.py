"""Dimmers (`tgq`): one or more channels, each a switch and a brightness.

One channel reads and writes `state` and `brightness` (Home Assistant 0-255); several
read `state_lN`/`brightness_lN` each (and `state`, ON while any is on), and `state` or
`brightness` without a channel sets them all. Brightness 0-255 spans the channel's
`brightness_min_N`..`brightness_max_N` when the device reports them (so 1 is the lowest
level the installer set), else the layout's min..max.
"""

from __future__ import annotations

from collections.abc import Mapping

from setsmart.devices.convert import HA_BRIGHTNESS_MAX, brightness_from_ha, brightness_to_ha
from setsmart.devices.profile import DeviceProfile
from setsmart.devices.roles import gang_role
from setsmart.devices.setvalues import Writes, in_range, switch_value
from setsmart.devices.types import is_int

#: Keys Home Assistant's JSON light may send that a dimmer cannot honour: ignored.
IGNORED = frozenset({"transition", "flash"})


def channels(profile: DeviceProfile) -> tuple[int, ...]:
    """The channel numbers the dimmer has, in order."""
    return tuple(n for n in range(1, len(profile.roles) + 1) if f"switch_led_{n}" in profile.roles)


def is_multi(profile: DeviceProfile) -> bool:
    """Whether the channels have keys of their own (`state_lN`)."""
    return channels(profile) != (1,)


def _span(profile: DeviceProfile, n: int, dps: Mapping[str, object]) -> tuple[int, int]:
    """The raw brightness that HA's 1..255 spans on channel `n`."""
    layout = profile.layout(f"bright_value_{n}")
    low, high = (10, 1000)
    if layout is not None and layout.min is not None and layout.max is not None:
        low, high = layout.min, layout.max
    floor = _reported(profile, f"brightness_min_{n}", dps)
    if floor is not None and low <= floor < high:
        low = floor
    ceiling = _reported(profile, f"brightness_max_{n}", dps)
    if ceiling is not None and low < ceiling <= high:
        high = ceiling
    return low, high


def _reported(profile: DeviceProfile, role: str, dps: Mapping[str, object]) -> int | None:
    dp = profile.dp(role)
    value = None if dp is None else dps.get(dp)
    return value if is_int(value) else None


def _keys(profile: DeviceProfile, n: int) -> tuple[str, str]:
    if is_multi(profile):
        return gang_role("state", n), gang_role("brightness", n)
    return "state", "brightness"


def state(profile: DeviceProfile, dps: Mapping[str, object]) -> dict[str, object]:
    """`state`/`brightness`, or per channel `state_lN`/`brightness_lN` (and `state`)."""
    result: dict[str, object] = {}
    ons: list[bool] = []
    for n in channels(profile):
        state_key, level_key = _keys(profile, n)
        on = dps.get(profile.roles[f"switch_led_{n}"])
        if isinstance(on, bool):
            ons.append(on)
            result[state_key] = "ON" if on else "OFF"
        elif not is_multi(profile):
            result[state_key] = None  # HA's JSON light reads `state` unconditionally
        level = _reported(profile, f"bright_value_{n}", dps)
        if level is not None:
            result[level_key] = brightness_to_ha(level, *_span(profile, n, dps))
    if is_multi(profile) and ons:
        result = {"state": "ON" if any(ons) else "OFF", **result}
    return result


def set_keys(profile: DeviceProfile) -> tuple[str, ...]:
    """The `/set` keys of this dimmer (besides `dps`)."""
    keys = ["state", "brightness"]
    if is_multi(profile):
        for n in channels(profile):
            keys += _keys(profile, n)
    return tuple(keys)


def apply(
    profile: DeviceProfile,
    fields: Mapping[str, object],
    current: Mapping[str, object],
    writes: Writes,
) -> None:
    """Write the switches and brightness the payload names."""
    for n in channels(profile):
        state_key, level_key = _keys(profile, n)
        for keys in dict.fromkeys([(state_key, level_key), ("state", "brightness")]):
            _apply_channel(profile, n, keys, fields, current=current, writes=writes)


def _apply_channel(
    profile: DeviceProfile,
    n: int,
    keys: tuple[str, str],
    fields: Mapping[str, object],
    *,
    current: Mapping[str, object],
    writes: Writes,
) -> None:
    state_key, level_key = keys
    switch = profile.roles[f"switch_led_{n}"]
    now = current.get(switch)
    if state_key in fields:
        on = switch_value(state_key, fields[state_key], now if isinstance(now, bool) else None)
        writes.put(switch, on, state_key)
    if level_key not in fields:
        return
    number = in_range(level_key, fields[level_key], 0, HA_BRIGHTNESS_MAX)
    level = max(1, round(number)) if number > 0 else 0
    if level == 0:
        writes.put(switch, False, level_key)
        return
    dp = profile.dp(f"bright_value_{n}")
    if dp is not None:
        writes.put(dp, brightness_from_ha(level, *_span(profile, n, current)), level_key)
    if state_key not in fields:
        writes.put(switch, True, level_key)
