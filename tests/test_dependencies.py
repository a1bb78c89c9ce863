"""pyproject declares exactly the third-party packages that the shipped code imports."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "setsmart"
# The mqtt5 branch replaces these two with our own MQTT 5 session.
IN_TRANSITION = {"aiomqtt", "paho-mqtt"}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported_top_modules() -> set[str]:
    modules: set[str] = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules.add(node.module.split(".")[0])
    return {m for m in modules if m not in sys.stdlib_module_names and m != "setsmart"}


def imported_distributions() -> set[str]:
    owners = packages_distributions()
    found: set[str] = set()
    for module in _imported_top_modules():
        assert module in owners, f"src imports {module}, which no installed distribution provides"
        found.update(_normal(name) for name in owners[module])
    return found


def declared_distributions() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = (re.match(r"[A-Za-z0-9._-]+", req) for req in project["dependencies"])
    return {_normal(m.group(0)) for m in names if m}


def test_declared_dependencies_are_the_imported_ones() -> None:
    imported = imported_distributions() - IN_TRANSITION
    declared = declared_distributions() - IN_TRANSITION
    assert sorted(declared - imported) == [], "declared but never imported by src"
    assert sorted(imported - declared) == [], "imported by src but not declared"
