"""What a benchmark client knows of a simulated device, and the fleet file that carries it.

Imports nothing from setsmart, so a peer's worker process holds only that peer's library
when its memory is measured.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """One simulated device as a client needs to know it."""

    id: str
    key: str
    version: str  # "3.1" .. "3.5"
    host: str
    port: int
    dps: tuple[str, ...]  # the DP ids the device has: a full status reports them all

    @classmethod
    def from_json(cls, entry: dict[str, Any]) -> DeviceSpec:
        return cls(
            str(entry["id"]),
            str(entry["key"]),
            str(entry["version"]),
            str(entry["host"]),
            int(entry["port"]),
            tuple(str(dp) for dp in entry["dps"]),
        )


def save_fleet(path: Path, devices: Iterable[DeviceSpec]) -> None:
    path.write_text(json.dumps([asdict(device) for device in devices]))


def load_fleet(path: Path) -> list[DeviceSpec]:
    return [DeviceSpec.from_json(entry) for entry in json.loads(path.read_text())]
