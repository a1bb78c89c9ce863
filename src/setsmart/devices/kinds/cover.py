"""Covers (`cl`, `clkg`): `state` OPEN/CLOSE/STOP on `control`, `position` 0-100.

`position` is written to `percent_control` and read from `percent_state` (else from
`percent_control`) as is, 100 = open, unless the device's `invert: true` (motors that
report the reverse).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from setsmart.devices.errors import SetError
from setsmart.devices.profile import DeviceProfile
from setsmart.devices.setvalues import Writes, show
from setsmart.devices.types import is_number

IGNORED: Final = frozenset[str]()
_WORDS: Final = {"OPEN": "open", "CLOSE": "close", "STOP": "stop"}
_MOVING: Final = {"opening": "OPEN", "closing": "CLOSE"}


def _position(profile: DeviceProfile, raw: object) -> int | None:
    if not is_number(raw):
        return None
    value = min(max(round(raw), 0), 100)
    return 100 - value if profile.invert else value


def state(profile: DeviceProfile, dps: Mapping[str, object]) -> dict[str, object]:
    """`state` (the last command, or the motor's direction) and `position`."""
    result: dict[str, object] = {}
    control = dps.get(profile.roles.get("control", ""))
    if isinstance(control, str) and control.upper() in _WORDS:
        result["state"] = control.upper()
    else:
        moving = dps.get(profile.roles.get("work_state", ""))
        if isinstance(moving, str) and moving in _MOVING:
            result["state"] = _MOVING[moving]
    for role in ("percent_state", "percent_control"):
        dp = profile.dp(role)
        position = None if dp is None else _position(profile, dps.get(dp))
        if position is not None:
            result["position"] = position
            break
    return result


def set_keys(profile: DeviceProfile) -> tuple[str, ...]:
    """`state` with a control DP, `position` with a percent_control DP."""
    return tuple(
        key
        for key, role in (("state", "control"), ("position", "percent_control"))
        if role in profile.roles
    )


def apply(
    profile: DeviceProfile,
    fields: Mapping[str, object],
    current: Mapping[str, object],
    writes: Writes,
) -> None:
    """OPEN/CLOSE/STOP to `control`; a position to `percent_control`."""
    del current  # a cover's command does not depend on its state
    if "state" in fields:
        layout = profile.layouts["control"]
        valid = [word for word, value in _WORDS.items() if value in layout.range] or list(_WORDS)
        value = fields["state"]
        word = value.strip().upper() if isinstance(value, str) else None
        if word not in valid:
            raise SetError(f"state: {show(value)} is not one of {', '.join(valid)}")
        writes.put(profile.roles["control"], _WORDS[word], "state")
    if "position" in fields:
        value = fields["position"]
        if not is_number(value) or value != round(value) or not 0 <= value <= 100:
            raise SetError(f"position: {show(value)} is not a whole number from 0 to 100")
        position = round(value)
        writes.put(
            profile.roles["percent_control"],
            100 - position if profile.invert else position,
            "position",
        )
