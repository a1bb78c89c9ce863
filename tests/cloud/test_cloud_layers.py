"""`setsmart.cloud` imports nothing else of setsmart but the error root (`setsmart.errors`, a
leaf), and its pure half does no I/O."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import setsmart.cloud

CLOUD = Path(setsmart.cloud.__file__).parent
PURE = ["signing.py", "regions.py", "errors.py", "models.py"]
NO_IO = {"asyncio", "socket", "ssl", "selectors", "threading", "subprocess", "time", "random"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(CLOUD.glob("*.py")), ids=lambda p: p.name)
def test_cloud_imports_only_itself_of_setsmart(path: Path) -> None:
    ours = {name for name in _imports(path) if name.split(".")[0] == "setsmart"}
    assert all(name.startswith(("setsmart.cloud", "setsmart.errors")) for name in ours), ours


@pytest.mark.parametrize("name", PURE)
def test_the_pure_half_uses_only_the_standard_library_without_io(name: str) -> None:
    tops = {imported.split(".")[0] for imported in _imports(CLOUD / name)} - {"setsmart"}
    assert tops <= set(sys.stdlib_module_names), tops
    assert not tops & NO_IO, tops
    ours = {i for i in _imports(CLOUD / name) if i.startswith("setsmart.")} - {"setsmart.errors"}
    assert {i.removeprefix("setsmart.cloud.") + ".py" for i in ours} <= set(PURE)
