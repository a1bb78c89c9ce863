"""Which names may appear as keys of ``devices[].dps`` (role -> DP id or layout).

The authority is ``setsmart.devices.kinds`` (each kind's role names and their aliases).
Only checks that hold whatever the device later reports are made here; how overrides
combine with a type's map (gang numbering, a DP in two roles) depends on the DPs the
device reports, so ``setsmart.devices.profile_for`` checks that at run time.
"""

from __future__ import annotations

from setsmart.devices import AUTO, TYPE_CHOICES, kind_roles_text, role_names
from setsmart.suggest import closest

DP_ID_MAX = 255


def role_problem(name: str, kind: str = AUTO) -> str | None:
    """Why ``name`` cannot be a DP role of a device of type ``kind``, or ``None``.

    An invalid ``kind`` (reported on its own) is taken as ``auto``: every kind's names.
    """
    if kind not in TYPE_CHOICES:
        kind = AUTO
    valid = role_names(kind)
    if name in valid:
        return None
    close = closest(name, sorted(valid))
    if close:
        return f"unknown role (did you mean '{close}'?)"
    return f"unknown role (valid: {kind_roles_text(kind)})"
