"""What a device's controls can take, for a user interface (the page's `capabilities`).

Only what the state keys do not say already: the effects a bulb runs, a thermostat's
setpoint range and step and its modes, a fan's preset modes, a bulb's Kelvin range.
"""

from __future__ import annotations

from setsmart.devices.convert import KELVIN_MAX, KELVIN_MIN
from setsmart.devices.kinds.climate import presets, system_modes
from setsmart.devices.profile import DeviceProfile
from setsmart.devices.scenes import effect_list
from setsmart.devices.types import DeviceType


def capabilities(profile: DeviceProfile) -> dict[str, object]:
    result: dict[str, object] = {}
    effects = effect_list(profile)
    if effects:
        result["effects"] = list(effects)
    if profile.dp("color_temp") is not None:
        result["color_temp_kelvin"] = [KELVIN_MIN, KELVIN_MAX]
    if profile.type is DeviceType.CLIMATE:
        setpoint = profile.layout("temp_set")
        if setpoint is not None and setpoint.min is not None and setpoint.max is not None:
            result["current_heating_setpoint"] = {
                "min": setpoint.real(setpoint.min),
                "max": setpoint.real(setpoint.max),
                "step": setpoint.real(setpoint.step),
            }
        result["system_modes"] = list(system_modes(profile))
        if presets(profile):
            result["presets"] = list(presets(profile))
    if profile.type is DeviceType.FAN:
        modes = profile.layout("mode")
        if modes is not None and modes.range:
            result["preset_modes"] = list(modes.range)
    return result
