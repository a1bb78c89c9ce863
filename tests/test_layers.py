"""The layers of DESIGN.md, checked on the source: each package and top-level module imports
only what its layer allows, and the pure ones do no I/O (no asyncio, no sockets, no HTTP)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "setsmart"

# DESIGN.md's layer table, entry for entry: what each layer may import of setsmart.
# One departure, kept on purpose: `mqtt` also reads
# `config` (MqttConfig for the connection, DeviceConfig for Home Assistant's documents),
# which DESIGN.md describes as pure data "read by cli and daemon"; the table should list it.
LAYERS: dict[str, set[str]] = {
    "protocol": set(),
    "lan": {"protocol"},
    "devices": {"protocol"},
    "cloud": set(),
    "mqtt": {"devices", "config"},
    "http": {"devices"},
    "history": set(),
    "config": {"devices"},
    "daemon": {"protocol", "lan", "devices", "cloud", "mqtt", "http", "history", "config"},
    "sim": {"protocol", "devices"},
    "cli": {"daemon", "config", "lan", "sim"},
}
# Top-level modules of no layer of their own, that import nothing of setsmart: any layer
# may use them (the error root, reconnect backoff, structlog without rich, the event loop,
# "did you mean", a file replaced atomically).
# `operation_errors` (why an operation was refused, with its HTTP status) imports only the root.
LEAVES = {
    "errors",
    "operation_errors",
    "backoff",
    "_structlog",
    "eventloop",
    "suggest",
    "atomicfile",
}
# Top-level modules that belong to a layer: `setsmart demo` is a command of the CLI's.
MODULE_LAYER = {"cli": "cli", "demo": "cli", "__main__": "cli"}


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
    "http/openapi.py",
]
IO_MODULES = {"asyncio", "socket", "httpx", "ssl", "selectors"}


def imports(path: Path) -> Iterator[str]:
    """The setsmart modules `path` imports, `from setsmart import x` read as `setsmart.x`."""
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "setsmart":
                yield from (f"setsmart.{alias.name}" for alias in node.names)
            else:
                yield node.module


def files(entry: str) -> list[Path]:
    target = SRC / entry
    return sorted(target.rglob("*.py")) if target.is_dir() else [target]


def _top_level_modules() -> list[str]:
    return sorted(p.stem for p in SRC.glob("*.py") if p.stem != "__init__")


def _layer_of(name: str) -> str | None:
    """The layer (or leaf) a first-level name of setsmart belongs to; None for the package's
    own attributes (`__version__`)."""
    if name in LAYERS or name in LEAVES:
        return name
    if name in MODULE_LAYER:
        return MODULE_LAYER[name]
    return None


def _wrong_imports(paths: list[Path], layer: str) -> list[str]:
    wrong = []
    for path in paths:
        for module in imports(path):
            parts = module.split(".")
            if parts[0] != "setsmart" or len(parts) < 2:
                continue
            target = _layer_of(parts[1])
            if target in (None, layer) or target in LEAVES or target in LAYERS[layer]:
                continue
            wrong.append(f"{path.relative_to(SRC)} imports {module}")
    return wrong


@pytest.mark.parametrize("package", sorted(p for p in LAYERS if (SRC / p).is_dir()))
def test_a_package_imports_only_the_layers_below_it(package: str) -> None:
    assert _wrong_imports(files(package), package) == []


@pytest.mark.parametrize("module", sorted(MODULE_LAYER))
def test_a_top_level_module_imports_only_what_its_layer_may(module: str) -> None:
    assert _wrong_imports([SRC / f"{module}.py"], MODULE_LAYER[module]) == []


@pytest.mark.parametrize("leaf", sorted(LEAVES))
def test_a_leaf_imports_nothing_of_setsmart(leaf: str) -> None:
    ours = [m for m in imports(SRC / f"{leaf}.py") if m.split(".")[0] == "setsmart"]
    assert [m for m in ours if m != "setsmart.errors"] == []  # the error root is a leaf


@pytest.mark.parametrize("entry", PURE)
def test_pure_code_does_no_io(entry: str) -> None:
    wrong = [
        f"{path.relative_to(SRC)} imports {module}"
        for path in files(entry)
        for module in imports(path)
        if module.split(".")[0] in IO_MODULES
    ]
    assert wrong == []


def test_every_package_and_module_is_in_the_table() -> None:
    packages = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages <= set(LAYERS)
    assert set(_top_level_modules()) == LEAVES | set(MODULE_LAYER)
