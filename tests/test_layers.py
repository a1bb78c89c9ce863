"""The layers of DESIGN.md, checked on the source: each package imports only what its
layer allows, and the pure ones do no I/O (no asyncio, no sockets, no HTTP)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "setsmart"

# What each package may import of setsmart (DESIGN.md's table; `backoff` and `_structlog`,
# structlog imported without rich, are shared leaves).
ALLOWED: dict[str, set[str]] = {
    "protocol": set(),
    "devices": {"protocol"},
    "lan": {"protocol", "backoff"},
    "cloud": set(),
    "history": set(),
    "config": {"devices"},
    "mqtt": {"devices", "config", "backoff", "_structlog"},
    # The fake cloud checks signatures exactly as Tuya does, with the real signer.
    "sim": {"protocol", "devices", "cloud"},
    "daemon": {
        "protocol",
        "lan",
        "devices",
        "cloud",
        "mqtt",
        "history",
        "config",
        "backoff",
        "_structlog",
    },
}
PURE = [
    "protocol",
    "devices",
    "config",
    "mqtt/topics.py",
    "mqtt/payloads.py",
    "mqtt/discovery.py",
    "mqtt/session.py",
    "mqtt/errors.py",
    "cloud/signing.py",
    "history/sampler.py",
    "history/energy.py",
]
IO_MODULES = {"asyncio", "socket", "httpx", "ssl", "selectors"}


def imports(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def files(entry: str) -> list[Path]:
    target = SRC / entry
    return sorted(target.rglob("*.py")) if target.is_dir() else [target]


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_the_layers_below_it(package: str) -> None:
    wrong = []
    for path in files(package):
        for module in imports(path):
            parts = module.split(".")
            if parts[0] != "setsmart" or len(parts) < 2 or parts[1] == package:
                continue
            if parts[1] not in ALLOWED[package]:
                wrong.append(f"{path.relative_to(SRC)} imports {module}")
    assert wrong == []


@pytest.mark.parametrize("entry", PURE)
def test_pure_code_does_no_io(entry: str) -> None:
    wrong = [
        f"{path.relative_to(SRC)} imports {module}"
        for path in files(entry)
        for module in imports(path)
        if module.split(".")[0] in IO_MODULES
    ]
    assert wrong == []


def test_every_package_is_covered() -> None:
    packages = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == set(ALLOWED)
