"""JSON files shipped inside `setsmart.devices` (the DP maps, the product library).

Read with pkgutil: importlib.resources would bring zipfile, tempfile and shutil into the
daemon only for this.
"""

from __future__ import annotations

import json
import pkgutil


def packaged_json(path: str) -> object:
    """The JSON file at `path` (relative to the package), parsed."""
    data = pkgutil.get_data("setsmart.devices", path)
    if data is None:  # pragma: no cover (a loader that cannot read package data)
        raise FileNotFoundError(f"setsmart.devices/{path} cannot be read from this install")
    return json.loads(data)
