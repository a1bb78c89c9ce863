"""Parsing a `/set` payload into the DPs to write (CONTRACT.md "Set keys").

Every problem raises SetError with a message for the user; nothing is half-applied
because the command is only built once the whole payload has been checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from setsmart.devices.colour import (
    Hsv,
    decode_colour,
    encode_colour,
    hs_to_device,
    parse_hash_rgb,
    rgb_to_hs,
)
from setsmart.devices.convert import (
    HA_BRIGHTNESS_MAX,
    KELVIN_MAX,
    KELVIN_MIN,
    MIRED_MAX,
    MIRED_MIN,
    brightness_from_ha,
    mireds_from_kelvin,
    mireds_to_device,
)
from setsmart.devices.errors import SetError
from setsmart.devices.kinds.behaviour import KindModule, module_of
from setsmart.devices.profile import DeviceProfile
from setsmart.devices.roles import gang_role, parse_gang_role
from setsmart.devices.scenes import effect_list, effect_writes
from setsmart.devices.setvalues import Writes as _Writes
from setsmart.devices.setvalues import in_range as _in_range
from setsmart.devices.setvalues import number as _number
from setsmart.devices.setvalues import show as _show
from setsmart.devices.setvalues import switch_value as _switch_value
from setsmart.devices.state import light_level
from setsmart.devices.types import DpValue, is_dp_id

#: Longest `power_cycle`, in seconds (the range of a Tuya countdown DP).
POWER_CYCLE_MAX: Final = 86400
_PLAIN_WORDS: Final = ("ON", "OFF", "TOGGLE")
_ALL_KEYS: Final = (
    *("state", "brightness", "color_temp", "color_temp_kelvin", "color", "white", "effect"),
    *("dps", "power_cycle"),
)
#: Keys that each pick a colour mode (or a scene): at most one of these groups at a time.
_MODE_KEYS: Final = (("color",), ("color_temp", "color_temp_kelvin"), ("white",), ("effect",))
_ANY_MODE_KEY: Final = frozenset(key for group in _MODE_KEYS for key in group)
_COLOUR_HELP: Final = '(use {"h","s"}, {"r","g","b"} or "#rrggbb")'


@dataclass(frozen=True, slots=True)
class SetCommand:
    """What to send: `dps` now, and `restore_after` = (seconds, dps) later, if anything.

    `restore_after` is set by `power_cycle` for gangs without a countdown DP: the daemon
    sends those DPs once the delay has passed.
    """

    dps: dict[str, DpValue]
    restore_after: tuple[float, dict[str, DpValue]] | None = None


@dataclass(frozen=True, slots=True)
class SetRules:
    """What `/set` takes for one profile, worked out once (`set_rules`)."""

    keys: tuple[str, ...]
    """The `/set` keys, in the order error messages list them."""
    accepted: frozenset[str]
    """`keys` and the keys accepted and ignored (Home Assistant's `transition`...)."""
    kind: KindModule | None
    """`module_of(profile)`."""
    gangs: tuple[tuple[str, str], ...]
    """(`state_lN`, its switch DP) of each gang of a strip; none for other devices."""


def set_keys(profile: DeviceProfile) -> tuple[str, ...]:
    """The `/set` keys this device accepts, in the order error messages list them."""
    return set_rules(profile).keys


def set_rules(profile: DeviceProfile) -> SetRules:
    """The profile's SetRules, worked out the first time it is asked."""
    rules = profile.set_rules_memo
    if rules is None:
        rules = _work_out_set_rules(profile)
        object.__setattr__(profile, "set_rules_memo", rules)  # a frozen profile's memo
    return rules


def _work_out_set_rules(profile: DeviceProfile) -> SetRules:
    kind = module_of(profile)
    keys = _work_out_set_keys(profile, kind)
    ignored = kind.IGNORED if kind is not None else HA_LIGHT_EXTRAS if profile.is_light else ()
    gangs = enumerate(profile.switch_dps, start=1) if profile.is_strip else ()
    return SetRules(
        keys=keys,
        accepted=frozenset((*keys, *ignored)),
        kind=kind,
        gangs=tuple((gang_role("state", gang), dp) for gang, dp in gangs),
    )


def _work_out_set_keys(profile: DeviceProfile, kind: KindModule | None) -> tuple[str, ...]:
    if kind is not None:
        return tuple(sorted(("dps", *kind.set_keys(profile)), key=_natural))
    keys = ["dps"]
    if profile.gangs:
        keys += ["state", "power_cycle"]
    if profile.is_strip:
        keys += [gang_role("state", n) for n in range(1, profile.gangs + 1)]
    if profile.dp("brightness") or profile.dp("color"):
        keys.append("brightness")
    if profile.dp("color_temp"):
        keys += ["color_temp", "color_temp_kelvin"]
    if profile.dp("color"):
        keys.append("color")
    if "white" in profile.color_modes:
        keys.append("white")
    if effect_list(profile):
        keys.append("effect")
    return tuple(sorted(keys, key=_natural))


def parse_set(
    profile: DeviceProfile, payload: object, current_dps: Mapping[str, object]
) -> SetCommand:
    """The command for a `/set` payload: a decoded JSON value, or plain ON/OFF/TOGGLE.

    `current_dps` is the device's last known state; TOGGLE, and a colour or brightness
    that keeps the other half of the colour (the brightness shown, or the hue and
    saturation), read it.
    """
    rules = set_rules(profile)
    fields: Mapping[str, object]
    if type(payload) is dict and payload and payload.keys() <= rules.accepted:
        fields = payload  # the common case: str keys (JSON's), each one the device takes
    else:
        fields = _fields(payload)
        if not fields.keys() <= rules.accepted:
            _refuse_keys(profile, rules, fields)
    kind = rules.kind
    writes = _Writes()
    if "dps" in fields:
        _apply_raw(writes, fields["dps"])
    if kind is not None:
        kind.apply(profile, fields, current_dps, writes)
        if not writes.dps:
            raise SetError("nothing to set (the payload names no data point)")
        return SetCommand(dps=writes.dps)
    _apply_switches(profile, rules, fields, current_dps, writes)
    restore = None
    if "power_cycle" in fields:
        restore = _apply_power_cycle(profile, fields["power_cycle"], writes)
    if profile.is_light:  # the keys let no light key through for another device
        _apply_light(profile, fields, current_dps, writes)
    if not writes.dps and restore is None:
        raise SetError("nothing to set (the payload names no data point)")
    return SetCommand(dps=writes.dps, restore_after=restore)


def _natural(key: str) -> tuple[str, int]:
    gang = parse_gang_role(key)
    return (f"{gang[0]}_l", gang[1]) if gang else (key, 0)


def _fields(payload: object) -> dict[str, object]:
    if isinstance(payload, str) and payload.strip().upper() in _PLAIN_WORDS:
        return {"state": payload}
    if isinstance(payload, dict):
        if not payload:
            raise SetError("nothing to set (the payload is an empty object)")
        return {str(key): value for key, value in payload.items()}
    if isinstance(payload, str):
        got = _show(payload)
    elif isinstance(payload, list | tuple):
        got = "a JSON array"
    elif isinstance(payload, bool) or payload is None:
        got = f"JSON {_show(payload)}"
    elif isinstance(payload, int | float):
        got = "a JSON number"
    else:
        got = f"a {type(payload).__name__}"
    raise SetError(f"payload must be a JSON object or ON/OFF/TOGGLE, got {got}")


# Keys Home Assistant's JSON light sends with its commands (it offers transition and flash
# on every light in 2024.3) that a Tuya bulb has no way to honour: accepted and ignored.
HA_LIGHT_EXTRAS: frozenset[str] = frozenset({"transition", "flash"})


def _refuse_keys(profile: DeviceProfile, rules: SetRules, fields: Mapping[str, object]) -> None:
    """Raise SetError for the first key of `fields` the device does not take."""
    valid = rules.keys
    for key in fields:
        if key in rules.accepted:
            continue
        gang = parse_gang_role(key)
        if rules.kind is None and gang is not None and gang[0] == "state":
            if profile.is_strip:
                raise SetError(f"{key}: this {profile.type.value} has {profile.gangs} gangs")
            single = "has a single switch (use state)" if profile.gangs else "has no switch"
            raise SetError(f"{key}: this device {single}")
        if key in _ALL_KEYS:
            raise SetError(f"{key}: not supported by this device (valid: {', '.join(valid)})")
        raise SetError(f"unknown key {key!r} (valid: {', '.join(valid)})")


def _apply_raw(writes: _Writes, value: object) -> None:
    if not isinstance(value, dict):
        raise SetError(f"dps: must be an object of DP id to value, got {_show(value)}")
    for dp, item in value.items():
        if not is_dp_id(dp):
            raise SetError(f"dps: {_show(dp)} is not a DP id (a number from 1 to 255, as a string)")
        if item is not None and (isinstance(item, float) or not isinstance(item, bool | int | str)):
            raise SetError(
                f"dps.{dp}: {_show(item)} is not a DP value "
                "(true/false, an integer, a string or null)"
            )
        writes.put(dp, item, f"dps.{dp}")


def _apply_switches(
    profile: DeviceProfile,
    rules: SetRules,
    fields: Mapping[str, object],
    current: Mapping[str, object],
    writes: _Writes,
) -> None:
    switches = profile.switch_dps
    if "state" in fields:
        shown: bool | None = None  # on if any switch is known to be on; None if none is known
        for dp in switches:
            now = current.get(dp)
            if isinstance(now, bool):
                shown = shown or now
        on = _switch_value("state", fields["state"], shown)
        for dp in switches:
            writes.put(dp, on, "state")
    for key, dp in rules.gangs:  # a strip's; the keys let no `state_lN` through for others
        if key in fields:
            now = current.get(dp)
            writes.put(
                dp, _switch_value(key, fields[key], now if isinstance(now, bool) else None), key
            )


def _apply_power_cycle(
    profile: DeviceProfile, value: object, writes: _Writes
) -> tuple[float, dict[str, DpValue]] | None:
    seconds = _number("power_cycle", value)
    if not 0 < seconds <= POWER_CYCLE_MAX:
        raise SetError(
            f"power_cycle: {_show(value)} is out of range "
            f"(seconds, more than 0 and at most {POWER_CYCLE_MAX})"
        )
    restore: dict[str, DpValue] = {}
    for gang, dp in enumerate(profile.switch_dps, start=1):
        writes.put(dp, False, "power_cycle")
        countdown = profile.countdown_dp(gang)
        if countdown is None:
            restore[dp] = True
        else:
            # Tuya countdowns flip the switch when they run out: off now, on after N s.
            writes.put(countdown, max(1, round(seconds)), "power_cycle")
    return (float(seconds), restore) if restore else None


def _level(key: str, value: object) -> int:
    """HA brightness 0-255 as an int; a positive value never rounds down to 0 (off)."""
    number = _in_range(key, value, 0, HA_BRIGHTNESS_MAX)
    return max(1, round(number)) if number > 0 else 0


def _colour_hs(value: object) -> tuple[float, float]:
    """Home Assistant (h, s) from {"h","s"}, {"r","g","b"} or "#rrggbb"."""
    if isinstance(value, str) and (rgb := parse_hash_rgb(value.strip())) is not None:
        return rgb_to_hs(*rgb)
    if isinstance(value, dict) and set(value) == {"h", "s"}:
        return _in_range("color.h", value["h"], 0, 360), _in_range("color.s", value["s"], 0, 100)
    if isinstance(value, dict) and set(value) == {"r", "g", "b"}:
        r, g, b = (_in_range(f"color.{c}", value[c], 0, 255) for c in "rgb")
        return rgb_to_hs(r, g, b)
    raise SetError(f"color: {_show(value)} is not a colour {_COLOUR_HELP}")


def _check_one_mode(fields: Mapping[str, object]) -> None:
    """Refuse keys that pick two colour modes (or a scene and anything of a colour)."""
    if len(fields.keys() & _ANY_MODE_KEY) > 1:  # else one mode at most, with no search
        given = [[key for key in group if key in fields] for group in _MODE_KEYS]
        chosen = [keys for keys in given if keys]
        if len(chosen) > 1:
            first, other = chosen[0][0], chosen[1][0]
            raise SetError(
                f"{first}: cannot be set together with {other} (one colour mode at a time)"
            )
    if "effect" in fields and "brightness" in fields:
        raise SetError("effect: cannot be set together with brightness (a scene sets its own)")


def _mireds(fields: Mapping[str, object]) -> tuple[str, int] | None:
    """(key, mireds) of `color_temp` or `color_temp_kelvin`; both must agree if both given."""
    found: list[tuple[str, int]] = []
    if "color_temp" in fields:
        value = _in_range("color_temp", fields["color_temp"], MIRED_MIN, MIRED_MAX, " (mireds)")
        found.append(("color_temp", round(value)))
    if "color_temp_kelvin" in fields:
        kelvin = _in_range(
            "color_temp_kelvin", fields["color_temp_kelvin"], KELVIN_MIN, KELVIN_MAX, " (K)"
        )
        found.append(("color_temp_kelvin", mireds_from_kelvin(round(kelvin))))
    if len(found) == 2 and found[0][1] != found[1][1]:
        raise SetError("color_temp_kelvin: conflicts with color_temp (they name two temperatures)")
    return found[0] if found else None


def _apply_light(
    profile: DeviceProfile,
    fields: Mapping[str, object],
    current: Mapping[str, object],
    writes: _Writes,
) -> None:
    _check_one_mode(fields)
    temperature = _mireds(fields)
    level_key = "white" if "white" in fields else "brightness"
    level = _level(level_key, fields[level_key]) if level_key in fields else None
    if (
        level_key == "white"
        and "brightness" in fields
        and _level("brightness", fields["brightness"]) != level
    ):
        raise SetError("white: conflicts with brightness (both set the white level)")
    mode_dp = profile.dp("color_mode")
    switch = profile.dp("state")
    in_colour = mode_dp is not None and current.get(mode_dp) == "colour"
    if level == 0 and switch is not None:
        writes.put(switch, False, level_key)
    if "effect" in fields:
        _apply_effect(profile, fields["effect"], writes)
    if "color" in fields:
        _set_colour(profile, _colour_hs(fields["color"]), level, current, writes)
    elif level:
        _set_level(
            profile,
            level_key,
            level,
            current,
            writes,
            in_colour=in_colour and level_key == "brightness" and temperature is None,
        )
    elif temperature is not None and in_colour:
        # Leaving colour mode: white takes the brightness the bulb shows (the colour's V).
        _keep_level_in_white(profile, current, writes, temperature[0])
    if temperature is not None:
        key, mireds = temperature
        if mode_dp is not None:
            writes.put(mode_dp, "white", key)
        writes.put(
            profile.roles["color_temp"], mireds_to_device(mireds, *profile.color_temp_range), key
        )
    if "white" in fields and mode_dp is not None:
        writes.put(mode_dp, "white", "white")
    if level and switch is not None and switch not in writes.dps:
        writes.put(switch, True, level_key)


def _apply_effect(profile: DeviceProfile, value: object, writes: _Writes) -> None:
    started = effect_writes(profile, value) if isinstance(value, str) else None
    if started is None:
        valid = ", ".join(effect_list(profile))
        raise SetError(f"effect: {_show(value)} is not an effect of this bulb (valid: {valid})")
    for dp, dp_value in started.items():
        writes.put(dp, dp_value, "effect")


def _current_colour(profile: DeviceProfile, current: Mapping[str, object]) -> Hsv | None:
    return decode_colour(profile.color_format, current.get(profile.roles["color"]))


def _set_colour(
    profile: DeviceProfile,
    hs: tuple[float, float],
    level: int | None,
    current: Mapping[str, object],
    writes: _Writes,
) -> None:
    """Write the colour; V comes from `level` if given, else is the brightness shown now
    (full when not known)."""
    h, s = hs_to_device(profile.color_format, *hs)
    if level:
        v = brightness_from_ha(level, *profile.brightness_range)
    else:
        shown = light_level(profile, current)
        v = profile.color_format.sv_max if shown is None else shown
    mode_dp = profile.dp("color_mode")
    if mode_dp is not None:
        writes.put(mode_dp, "colour", "color")
    writes.put(profile.roles["color"], encode_colour(profile.color_format, Hsv(h, s, v)), "color")


def _keep_level_in_white(
    profile: DeviceProfile, current: Mapping[str, object], writes: _Writes, key: str
) -> None:
    brightness_dp = profile.dp("brightness")
    shown = light_level(profile, current)
    if brightness_dp is not None and shown is not None and current.get(brightness_dp) != shown:
        writes.put(brightness_dp, shown, key)


def _set_level(
    profile: DeviceProfile,
    key: str,
    level: int,
    current: Mapping[str, object],
    writes: _Writes,
    *,
    in_colour: bool,
) -> None:
    """Brightness: the white DP, or in colour mode the colour's V (H and S kept)."""
    brightness_dp = profile.dp("brightness")
    if in_colour or brightness_dp is None:
        colour = _current_colour(profile, current)
        if colour is not None:
            v = brightness_from_ha(level, *profile.brightness_range)
            encoded = encode_colour(profile.color_format, Hsv(colour.h, colour.s, v))
            writes.put(profile.roles["color"], encoded, key)
            return
        if brightness_dp is None:
            raise SetError(f"{key}: the current colour is not known yet; set color with it")
    writes.put(brightness_dp, brightness_from_ha(level, *profile.brightness_range), key)
