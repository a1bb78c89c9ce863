"""Thermostats and radiator valves (`wk`, `wkf`).

`system_mode` is `off` while the switch is off, else the device's mode: `manual`/`hot`
-> `heat`, `auto`/`program` -> `auto`, `cold` -> `cool` (a mode outside these reads
`heat`); `preset` is the device's mode as it names it. `running_state` comes from
`work_state` (or `valve_state`): heating or an open valve -> `heat`, cooling -> `cool`,
else `idle`. Temperatures are in °C, scaled by the layout; a setpoint must be on the
specification's step and within its range.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from setsmart.devices.errors import SetError
from setsmart.devices.profile import DeviceProfile
from setsmart.devices.setvalues import Writes, choice, scaled, show

IGNORED: Final = frozenset[str]()
#: Device modes per system mode, the first the device has being the one written.
SYSTEM_MODES: Final = {"heat": ("manual", "hot"), "auto": ("auto", "program"), "cool": ("cold",)}
_SET_KEYS: Final = (
    ("current_heating_setpoint", "temp_set"),
    ("system_mode", "switch"),
    ("preset", "mode"),
    ("child_lock", "child_lock"),
)
_LOCK: Final = {"LOCK": True, "UNLOCK": False}


def _mode_of(device_mode: str) -> str:
    for system, names in SYSTEM_MODES.items():
        if device_mode in names:
            return system
    return "heat"


def system_modes(profile: DeviceProfile) -> tuple[str, ...]:
    """`off` and the system modes the device's mode DP can express (`heat` without one)."""
    layout = profile.layout("mode")
    if layout is None or not layout.range:
        return ("off", "heat")
    found = [s for s, names in SYSTEM_MODES.items() if any(n in layout.range for n in names)]
    return ("off", *(found or ["heat"]))


def presets(profile: DeviceProfile) -> tuple[str, ...]:
    """The device's own mode names (its `preset` values)."""
    layout = profile.layout("mode")
    return () if layout is None else layout.range


def _running(value: object) -> str:
    if value is True or (isinstance(value, str) and ("heat" in value or value in ("hot", "open"))):
        return "heat"
    if isinstance(value, str) and ("cool" in value or value == "cold"):
        return "cool"
    return "idle"


def state(profile: DeviceProfile, dps: Mapping[str, object]) -> dict[str, object]:
    """The thermostat's state keys from its DPs."""
    result: dict[str, object] = {}
    for key, role in (
        ("local_temperature", "temp_current"),
        ("current_heating_setpoint", "temp_set"),
    ):
        layout = profile.layout(role)
        value = None if layout is None or layout.id is None else layout.real(dps.get(layout.id))
        if value is not None:
            result[key] = value
    on = dps.get(profile.roles.get("switch", ""))
    mode = dps.get(profile.roles.get("mode", ""))
    if on is False:
        result["system_mode"] = "off"
    elif on is True or (on is None and "switch" not in profile.roles):
        result["system_mode"] = _mode_of(mode) if isinstance(mode, str) else "heat"
    for role in ("work_state", "valve_state"):
        if role in profile.roles and profile.roles[role] in dps:
            running = _running(dps[profile.roles[role]])
            result["running_state"] = "idle" if on is False else running
            break
    if isinstance(mode, str):
        result["preset"] = mode
    lock = dps.get(profile.roles.get("child_lock", ""))
    if isinstance(lock, bool):
        result["child_lock"] = "LOCK" if lock else "UNLOCK"
    return result


def set_keys(profile: DeviceProfile) -> tuple[str, ...]:
    """The `/set` keys of this thermostat (besides `dps`)."""
    return tuple(key for key, role in _SET_KEYS if role in profile.roles)


def apply(
    profile: DeviceProfile,
    fields: Mapping[str, object],
    current: Mapping[str, object],
    writes: Writes,
) -> None:
    """Write the setpoint, mode, preset and child lock the payload names."""
    del current  # nothing here depends on the current state
    if "current_heating_setpoint" in fields:
        layout = profile.layouts["temp_set"]
        raw = scaled("current_heating_setpoint", fields["current_heating_setpoint"], layout, " °C")
        writes.put(profile.roles["temp_set"], raw, "current_heating_setpoint")
    if "system_mode" in fields:
        _apply_system_mode(profile, fields["system_mode"], writes)
    if "preset" in fields:
        layout = profile.layouts["mode"]
        if not layout.range:
            raise SetError("preset: the device's modes are not known (give mode a range in dps:)")
        writes.put(
            profile.roles["mode"], choice("preset", fields["preset"], layout.range), "preset"
        )
    if "child_lock" in fields:
        lock = fields["child_lock"]
        word = lock.strip().upper() if isinstance(lock, str) else None
        if word not in _LOCK:
            raise SetError(f"child_lock: {show(lock)} is not LOCK or UNLOCK")
        writes.put(profile.roles["child_lock"], _LOCK[word], "child_lock")


def _apply_system_mode(profile: DeviceProfile, value: object, writes: Writes) -> None:
    mode = choice("system_mode", value, system_modes(profile))
    switch = profile.roles["switch"]
    writes.put(switch, mode != "off", "system_mode")
    layout = profile.layout("mode")
    if mode == "off" or layout is None or layout.id is None or not layout.range:
        return
    device_mode = next((name for name in SYSTEM_MODES[mode] if name in layout.range), None)
    if device_mode is not None:
        writes.put(layout.id, device_mode, "system_mode")
