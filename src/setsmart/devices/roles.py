"""Role names: what a DP means to us, named after the state keys users already know.

A DP map assigns roles to DP ids. The YAML `dps:` key overrides that assignment, so the
config package validates it here with `validate_overrides`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from setsmart.devices.errors import DpMapError
from setsmart.devices.types import is_dp_id, is_int

#: Highest gang number a `state_lN` / `countdown_lN` role may carry.
MAX_GANGS: Final = 16

SENSOR_ROLES: Final = ("power", "voltage", "current", "energy")
#: `effect` is a v2 bulb's scene data (DP 25); v1 bulbs run scenes as work modes.
LIGHT_ROLES: Final = ("brightness", "color_temp", "color", "color_mode", "effect")
_PLAIN_ROLES: Final = ("state", "countdown", *SENSOR_ROLES, *LIGHT_ROLES)
_GANG_BASES: Final = ("state", "countdown")
_GANG_ROLE = re.compile(r"(state|countdown)_l([1-9][0-9]?)")

#: Decimals a sensor is reported with, after scaling.
SENSOR_DECIMALS: Final = {"power": 1, "voltage": 1, "current": 3, "energy": 3}


def gang_role(base: str, gang: int) -> str:
    """The role of gang `gang` (1-based): `gang_role("state", 2) == "state_l2"`."""
    return f"{base}_l{gang}"


def parse_gang_role(name: str) -> tuple[str, int] | None:
    """`("state", 2)` for `"state_l2"`; None when `name` is not a gang role within range."""
    match = _GANG_ROLE.fullmatch(name)
    if match is None or int(match[2]) > MAX_GANGS:
        return None
    return match[1], int(match[2])


#: Every role name a DP map or a `dps:` override may use.
ROLE_NAMES: Final = frozenset(
    (*_PLAIN_ROLES, *(gang_role(b, n) for b in _GANG_BASES for n in range(1, MAX_GANGS + 1)))
)


def valid_roles_text() -> str:
    """The valid role names, compactly, for error messages."""
    names = [*_PLAIN_ROLES, *(f"{gang_role(b, 1)}..{gang_role(b, MAX_GANGS)}" for b in _GANG_BASES)]
    return ", ".join(sorted(names))


def check_role(name: object, where: str = "dps") -> str:
    """Return `name` if it is a role name, else raise DpMapError listing the valid ones."""
    if not isinstance(name, str) or name not in ROLE_NAMES:
        raise DpMapError(f"{where}: unknown role {name!r} (valid: {valid_roles_text()})")
    return name


def check_dp_id(value: object, where: str) -> str:
    """Normalise a DP id given as an int or a digit string to its wire form ("19")."""
    text = str(value) if is_int(value) else value
    if not is_dp_id(text):
        raise DpMapError(f"{where}: {value!r} is not a DP id (a number from 1 to 255)")
    return text


def validate_overrides(overrides: Mapping[Any, object]) -> dict[str, str | None]:
    """Check a YAML `dps:` mapping of role -> DP id (int or digit string, or null to drop).

    Keys may be of any type, as YAML gives them; anything but a role name is rejected.

    Returns the normalised mapping (DP ids as strings). Raises DpMapError naming the key.
    """
    result: dict[str, str | None] = {}
    for name, value in overrides.items():
        role = check_role(name)
        result[role] = None if value is None else check_dp_id(value, f"dps.{role}")
    return result
