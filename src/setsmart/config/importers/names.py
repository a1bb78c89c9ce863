"""Device names made topic-safe (``[a-z0-9_]``, at most 64 characters) and unique."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from setsmart.config.checks import RESERVED_NAMES

MAX_NAME = 64

# Letters NFKD does not split into a base letter and a mark.
_LETTERS = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "TH",
        "\u0131": "i",  # dotless i
    }
)
_NOT_NAME = re.compile(r"[^a-z0-9]+")


def topic_safe(text: str) -> str:
    """``"Küche Lampe #2"`` -> ``"kuche_lampe_2"``: accents dropped, other characters
    (and scripts without a Latin spelling) removed, runs of them one underscore; may be empty."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    return _NOT_NAME.sub("_", ascii_text).strip("_")[:MAX_NAME].rstrip("_")


class NameAllocator:
    """Hands out names no other device has: ``lamp``, then ``lamp_2``, ``lamp_3``..."""

    def __init__(self, taken: Iterable[str] = ()) -> None:
        self._taken = set(RESERVED_NAMES) | set(taken)

    def claim(self, name: str) -> None:
        """Mark ``name`` as used (a device already configured under it)."""
        self._taken.add(name)

    def allocate(self, *candidates: str, device_id: str) -> str:
        """A unique name from the first candidate that has a Latin spelling, else from the id."""
        base = next((safe for text in candidates if (safe := topic_safe(text))), "")
        if not base:
            base = f"device_{topic_safe(device_id)[-6:]}".rstrip("_")
        name, number = base, 1
        while name in self._taken:
            number += 1
            suffix = f"_{number}"
            name = base[: MAX_NAME - len(suffix)].rstrip("_") + suffix
        self._taken.add(name)
        return name
