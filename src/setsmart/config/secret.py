"""A secret string that does not show itself in a repr, str, format or log line."""

from __future__ import annotations

import hmac
from typing import final

_MASK = "**********"


@final
class Secret:
    """Holds a secret value; only :meth:`reveal` gives it back.

    ``file`` is the path as written in the configuration (``X_file: PATH``) when the
    value was read from a file, so that a dumped configuration points at the file again
    instead of copying the secret out of it.
    """

    __slots__ = ("_value", "file")

    def __init__(self, value: str, *, file: str | None = None) -> None:
        self._value = value
        self.file = file

    def reveal(self) -> str:
        """The secret value itself: hand it only to the code that needs it."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({_MASK!r})"

    def __str__(self) -> str:
        return _MASK

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: object) -> Secret:
        return self

    def __reduce__(self) -> str:
        # Pickling would write the secret out in clear; nothing in setsmart needs it.
        raise TypeError("a Secret cannot be pickled")
