"""Which names may appear as keys of ``devices[].dps`` (role -> DP id overrides).

The authority is ``setsmart.devices`` (the DP maps and their role names). Only checks
that hold whatever the device later reports are made here; how overrides combine with
a type's map (gang numbering, a DP in two roles) depends on the DPs the device reports,
so ``setsmart.devices.profile_for`` checks that at run time.
"""

from __future__ import annotations

import difflib

from setsmart.devices import ROLE_NAMES, valid_roles_text

DP_ID_MAX = 255


def role_problem(name: str) -> str | None:
    """Why ``name`` cannot be a DP role, or ``None`` when it can."""
    if name in ROLE_NAMES:
        return None
    close = difflib.get_close_matches(name, sorted(ROLE_NAMES), n=1, cutoff=0.6)
    if close:
        return f"unknown role (did you mean '{close[0]}'?)"
    return f"unknown role (valid: {valid_roles_text()})"
