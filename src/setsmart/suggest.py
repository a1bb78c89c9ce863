"""The "did you mean" of every error message: the closest of a few known names.

difflib is imported when a message needs it, not with the daemon (about 0.2 MB of a
process that normally never prints one).
"""

from __future__ import annotations

from collections.abc import Iterable


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name most like `name` (difflib's ratio of at least 0.6), or None."""
    import difflib  # noqa: PLC0415 (only when there is an error to explain)

    matches = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return matches[0] if matches else None
