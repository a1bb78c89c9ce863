"""Helpers: write a YAML text as ./config.yaml in a temporary directory and load it."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from setsmart.config import Config, ConfigError, load_config

Load = Callable[..., Config]
Problems = Callable[..., list[str]]


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary working directory, so that errors name plain ``config.yaml``."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def load(config_dir: Path) -> Load:
    """Load a dedented YAML text from ``config.yaml`` (empty environment by default)."""

    def _load(text: str, environ: Mapping[str, str] | None = None) -> Config:
        (config_dir / "config.yaml").write_text(textwrap.dedent(text))
        return load_config("config.yaml", environ={} if environ is None else environ)

    return _load


@pytest.fixture
def problems(load: Load) -> Problems:
    """The error lines that loading a dedented YAML text gives."""

    def _problems(text: str, environ: Mapping[str, str] | None = None) -> list[str]:
        with pytest.raises(ConfigError) as caught:
            load(text, environ)
        return str(caught.value).splitlines()

    return _problems
