"""The JSON state a device publishes (CONTRACT.md "State keys")."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from setsmart.devices.colour import Hsv, decode_colour, hs_from_device
from setsmart.devices.convert import (
    brightness_to_ha,
    kelvin_from_mireds,
    mireds_from_device,
    scale_reading,
)
from setsmart.devices.kinds.behaviour import module_of
from setsmart.devices.profile import DeviceProfile
from setsmart.devices.roles import gang_role
from setsmart.devices.scenes import current_effect, effect_list
from setsmart.devices.types import clamp, is_int

#: Tuya work modes (DP 21 / DP 2) shown as Home Assistant's "hs" colour mode.
_COLOUR_MODES = ("colour", "scene", "music")
_ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def device_state(
    profile: DeviceProfile,
    dps: Mapping[str, object],
    *,
    energy_kwh: float | None,
    source: str,
    last_seen: datetime | None,
    share_dps: bool = False,
) -> dict[str, object]:
    """The state document of a device from its DPs (merge partial pushes before calling).

    `energy_kwh` is the running total kept by an EnergyMeter; `last_seen` is aware, or
    naive UTC, or None for a document without it (the daemon adds it only when something
    else changed). Keys appear only where the device has them and the DP holds a usable
    value. `share_dps`: the document's `dps` is `dps` itself rather than a copy, for a
    caller whose DP ids are strings and who never changes that mapping afterwards.
    """
    state = _switch_state(profile, dps)
    for role, dp, divisor, decimals in profile.meters:
        if role == "energy":
            if energy_kwh is not None:
                state["energy"] = round(energy_kwh, decimals)
            continue
        reading = scale_reading(dps.get(dp), divisor, decimals)
        if reading is not None:
            state[role] = reading
    if profile.is_light:  # only a light has the roles `_light_state` reads
        state.update(_light_state(profile, dps))
    kind = module_of(profile)
    if kind is not None:
        state.update(kind.state(profile, dps))
    state["dps"] = dps if share_dps else {str(dp): value for dp, value in dps.items()}
    state["source"] = source
    if last_seen is not None:
        state["last_seen"] = iso_utc(last_seen)
    return state


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a "Z", to the second; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(_ISO_FORMAT)


def _on_off(value: bool) -> str:
    return "ON" if value else "OFF"


def _switch_state(profile: DeviceProfile, dps: Mapping[str, object]) -> dict[str, object]:
    """`state` (on a strip: ON when any gang is on) and, on a strip, `state_lN` per gang."""
    values = [dps.get(dp) for dp in profile.switch_dps]
    known = [v for v in values if isinstance(v, bool)]
    result: dict[str, object] = {}
    if known:
        result["state"] = _on_off(any(known))
    elif profile.is_light:
        result["state"] = None  # Home Assistant's JSON light reads `state` unconditionally
    if profile.is_strip:
        for gang, value in enumerate(values, start=1):
            if isinstance(value, bool):
                result[gang_role("state", gang)] = _on_off(value)
    return result


def _int_dp(dps: Mapping[str, object], dp: str | None) -> int | None:
    value = None if dp is None else dps.get(dp)
    return value if is_int(value) else None


def light_level(profile: DeviceProfile, dps: Mapping[str, object]) -> int | None:
    """The brightness a light shows, in device units (`brightness_range`), or None.

    In colour mode the bulb shines at the colour's V (the white brightness DP is idle);
    in any other mode at the white brightness DP. The colour DP's V and the white DP use
    the same scale on both bulb generations (0-1000 / 10-1000, 0-255 / 25-255).
    """
    low, high = profile.brightness_range
    mode_dp = profile.dp("color_mode")
    colour = _colour(profile, dps)
    if mode_dp is not None and dps.get(mode_dp) == "colour" and colour is not None:
        return clamp(colour.v, low, high)
    brightness = _int_dp(dps, profile.dp("brightness"))
    return None if brightness is None else clamp(brightness, low, high)


def _colour(profile: DeviceProfile, dps: Mapping[str, object]) -> Hsv | None:
    color_dp = profile.dp("color")
    return None if color_dp is None else decode_colour(profile.color_format, dps.get(color_dp))


def _light_state(profile: DeviceProfile, dps: Mapping[str, object]) -> dict[str, object]:
    result: dict[str, object] = {}
    colour = _colour(profile, dps)
    mode_dp = profile.dp("color_mode")
    work_mode = None if mode_dp is None else dps.get(mode_dp)
    level = light_level(profile, dps)
    if level is not None:
        result["brightness"] = brightness_to_ha(level, *profile.brightness_range)
    temp = _int_dp(dps, profile.dp("color_temp"))
    if temp is not None:
        mireds = mireds_from_device(temp, *profile.color_temp_range)
        result["color_temp"] = mireds
        result["color_temp_kelvin"] = kelvin_from_mireds(mireds)
    mode = _ha_colour_mode(profile, work_mode)
    if mode is not None:
        result["color_mode"] = mode
    if colour is not None:
        h, s = hs_from_device(profile.color_format, colour)
        result["color"] = {"h": h, "s": s}
    if effect_list(profile):
        result["effect"] = current_effect(profile, dps)
    return result


def _ha_colour_mode(profile: DeviceProfile, work_mode: object) -> str | None:
    """HA's colour mode for a Tuya work mode, when the light supports it."""
    if not isinstance(work_mode, str):
        return None
    if work_mode.startswith(_COLOUR_MODES):
        wanted = "hs"
    elif work_mode == "white":
        wanted = "color_temp" if "color_temp" in profile.color_modes else "white"
    else:
        return None
    return wanted if wanted in profile.color_modes else None
