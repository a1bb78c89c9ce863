"""DESIGN.md: the pure half of setsmart.mqtt does no I/O and imports no asyncio."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import setsmart.mqtt

PURE = ("topics.py", "payloads.py", "discovery.py")
# orjson: a serializer, no I/O (payloads.py writes JSON with it where json's bytes result).
ALLOWED = {
    "__future__",
    "collections",
    "dataclasses",
    "json",
    "math",
    "orjson",
    "re",
    "typing",
    "setsmart",
}
ALLOWED_SETSMART = ("setsmart", "setsmart.config", "setsmart.devices", "setsmart.mqtt.")


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("name", PURE)
def test_pure_modules_import_nothing_that_does_io(name: str) -> None:
    path = Path(setsmart.mqtt.__file__).parent / name
    imports = _imports(path)
    assert imports
    for module in imports:
        assert module.split(".")[0] in ALLOWED, module
        if module.startswith("setsmart"):
            assert module == "setsmart" or module.startswith(ALLOWED_SETSMART), module
