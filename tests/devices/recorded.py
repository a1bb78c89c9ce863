"""Status dumps of real device kinds (fixtures/*.json), python-kasa style.

Each file holds `source`/`url` (where the dump was published), `dps` (the status as the
device reported it) and `expected` (what we should make of it, worked out by hand).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FIXTURE_DIR = Path(__file__).parent / "fixtures"


@dataclass(frozen=True)
class Recorded:
    """One fixture file."""

    name: str
    dps: dict[str, object]
    expected: dict[str, Any]

    @property
    def type(self) -> str:
        return str(self.expected["type"])


def load_all() -> list[Recorded]:
    """Every fixture, sorted by name."""
    result = []
    for path in sorted(FIXTURE_DIR.glob("*.json")):
        data = json.loads(path.read_text("utf-8"))
        result.append(Recorded(name=path.stem, dps=data["dps"], expected=data["expected"]))
    return result


RECORDED = load_all()
