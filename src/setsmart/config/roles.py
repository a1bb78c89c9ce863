"""Which names may appear as keys of ``devices[].dps`` (role -> DP id overrides).

The authority on role names is ``setsmart.devices`` (the DP maps). Until it exposes
them, only the form of a role name is checked here; this module is the single place to
switch over to the real list.
"""

from __future__ import annotations

import re

_ROLE_FORM = re.compile(r"[a-z][a-z0-9_]{0,63}")


def role_problem(name: str) -> str | None:
    """Why ``name`` cannot be a DP role, or ``None`` when it can."""
    if not _ROLE_FORM.fullmatch(name):
        return "role names are lower-case words like 'power' or 'switch_1'"
    return None
