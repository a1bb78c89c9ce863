"""DESIGN.md: the devices layer does no I/O and imports no asyncio (nor any layer but protocol
and the error root)."""

from __future__ import annotations

import ast
from pathlib import Path

import setsmart.devices

PACKAGE = Path(setsmart.devices.__file__).parent
ALLOWED = {
    "__future__",
    "collections",
    "colorsys",
    "dataclasses",
    "datetime",
    "enum",
    "functools",
    "json",
    "math",
    "pkgutil",
    "re",
    "types",
    "typing",
    "setsmart",
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_devices_imports_only_pure_modules() -> None:
    for path in sorted(PACKAGE.glob("*.py")):
        assert _imports(path) <= ALLOWED, path.name


def test_devices_imports_no_other_setsmart_package_but_protocol() -> None:
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("setsmart")
            ):
                assert node.module.startswith(
                    ("setsmart.devices", "setsmart.protocol", "setsmart.errors")
                ), path.name
