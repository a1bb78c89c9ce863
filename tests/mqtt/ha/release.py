"""A Home Assistant release to check our discovery documents with, cached under .cache/ha.

HA 2024.3 is the last release that runs on Python 3.11 (2024.4 needs 3.12, current ones
3.13 or 3.14), so it is the one whose own code these tests run. On first use this
downloads its wheel from PyPI (35 MB, checked against the hash below), keeps only the
core and the components the MQTT light, switch, sensor and binary_sensor platforms import (9.5 MB),
and installs the exact dependency versions HA pins (binary wheels only) beside it: about
50 MB of downloads once, 48 MB on disk, a few seconds of work. Later runs use the cache.

ha_check.py then runs in a separate interpreter (`-I -S`: none of our venv, none of the
environment), so HA's pinned dependencies never meet ours.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
CACHE = REPO / ".cache" / "ha"
HARNESS = Path(__file__).with_name("ha_check.py")
INSTALL_TIMEOUT = 900  # seconds, for each pip call on a slow link
CHECK_TIMEOUT = 120  # seconds for one ha_check.py run


@dataclass(frozen=True)
class Release:
    """A Home Assistant release: its wheel, its pinned dependencies, what we keep of it."""

    version: str
    wheel_sha256: str
    dependencies: tuple[str, ...]
    components: frozenset[str]

    @property
    def site(self) -> Path:
        """Where the release is unpacked with its dependencies (the cache)."""
        return CACHE / self.version

    @property
    def marker(self) -> str:
        """What a complete cache says it holds: a cache of fewer components is rebuilt."""
        return f"{self.version} {' '.join(sorted(self.components))}"


HA_2024_3 = Release(
    version="2024.3.3",
    wheel_sha256="6e1ec2c07441d63fdcfb8acd2c4bbb6f68bc97330855784d3623d10c38fe3577",
    # homeassistant 2024.3.3's Requires-Dist pins, then what those need, as resolved by
    # pip for Python 3.11: only the packages its MQTT platforms import.
    dependencies=(
        "aiohttp==3.9.3",
        "aiohttp-fast-url-dispatcher==0.3.0",
        "aiohttp-zlib-ng==0.3.1",
        "async-interrupt==1.1.1",
        "atomicwrites-homeassistant==1.4.1",
        "attrs==23.2.0",
        "awesomeversion==24.2.0",
        "bcrypt==4.1.2",
        "ciso8601==2.3.1",
        "cryptography==42.0.5",
        "ifaddr==0.2.0",
        "Jinja2==3.1.3",
        "lru-dict==1.3.0",
        "orjson==3.9.15",
        "PyJWT==2.8.0",
        "python-slugify==8.0.4",
        "PyYAML==6.0.1",
        "ulid-transform==0.9.0",
        "voluptuous==0.13.1",
        "voluptuous-serialize==2.6.0",
        "yarl==1.9.4",
        "aiosignal==1.4.0",
        "certifi==2026.10.18",
        "cffi==2.1.1",
        "frozenlist==1.8.0",
        "idna==3.20",
        "MarkupSafe==3.0.4",
        "multidict==6.9.1",
        "packaging==26.3",
        "pycparser==3.12",
        "text-unidecode==1.3",
        "typing-extensions==4.16.0",
        "zlib-ng==1.1.0",
    ),
    components=frozenset(
        {
            "binary_sensor",
            "climate",
            "cover",
            "fan",
            "http",
            "light",
            "mqtt",
            "network",
            "persistent_notification",
            "sensor",
            "switch",
            "websocket_api",
        }
    ),
)


def prepare(release: Release) -> Path:
    """The release's site directory, built on first use (one builder at a time)."""
    marker = release.site / ".complete"
    if _holds(marker, release):
        return release.site
    CACHE.mkdir(parents=True, exist_ok=True)
    _ignore_cache_in_git()
    with _locked(CACHE / ".lock"):
        if not _holds(marker, release):
            _build(release)
    return release.site


def _holds(marker: Path, release: Release) -> bool:
    return marker.exists() and marker.read_text("utf-8") == release.marker


def check(release: Release, request: dict[str, Any]) -> dict[str, Any]:
    """Run ha_check.py on `request` with the release; its JSON answer."""
    site = prepare(release)
    done = subprocess.run(  # noqa: S603  # our own interpreter and script
        [sys.executable, "-I", "-S", str(HARNESS), str(site)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=CHECK_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"ha_check.py failed ({done.returncode}):\n{done.stderr[-4000:]}")
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def _ignore_cache_in_git() -> None:
    ignore = CACHE.parent / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# downloads cached by the tests\n*\n", "utf-8")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build(release: Release) -> None:
    work = CACHE / f"{release.version}.partial-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    site = work / "site"
    wheels = work / "wheels"
    wheels.mkdir(parents=True)
    requirement = wheels / "homeassistant.txt"
    requirement.write_text(
        f"homeassistant=={release.version} --hash=sha256:{release.wheel_sha256}\n", "utf-8"
    )
    _pip("download", "--no-deps", "--require-hashes", "-r", str(requirement), "-d", str(wheels))
    (wheel,) = wheels.glob("homeassistant-*.whl")
    _extract(wheel, site, release.components)
    _pip("install", "--no-deps", "--target", str(site), *release.dependencies)
    (site / ".complete").write_text(release.marker, "utf-8")
    shutil.rmtree(release.site, ignore_errors=True)
    site.rename(release.site)
    shutil.rmtree(work, ignore_errors=True)


def _pip(*args: str) -> None:
    command = [sys.executable, "-m", "pip", args[0], "-q", "--disable-pip-version-check"]
    command += ["--only-binary=:all:", *args[1:]]
    done = subprocess.run(  # noqa: S603  # pip of our own interpreter
        command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"pip {args[0]} failed ({done.returncode}):\n{done.stderr[-4000:]}")


def _extract(wheel: Path, site: Path, components: frozenset[str]) -> None:
    """HA's core and `components`, nothing else of the wheel (skips 200 MB of others)."""
    with zipfile.ZipFile(wheel) as archive:
        for info in archive.infolist():
            parts = info.filename.split("/")
            if parts[0] != "homeassistant":
                continue
            if parts[1] == "components" and len(parts) > 3 and parts[2] not in components:
                continue
            if parts[1] == "components" and len(parts) == 3 and parts[2] != "__init__.py":
                continue
            archive.extract(info, site)
