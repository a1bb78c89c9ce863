"""Where the configuration file is: ``--config``, else ``$SETSMART_CONFIG``, else /etc."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

DEFAULT_CONFIG_PATH = Path("/etc/setsmart/config.yaml")
CONFIG_ENV = "SETSMART_CONFIG"


def resolve_config_path(cli_value: str | None, environ: Mapping[str, str] | None = None) -> Path:
    """The configuration path the command line, the environment or the default names."""
    if cli_value:
        return Path(cli_value)
    from_env = (os.environ if environ is None else environ).get(CONFIG_ENV)
    if from_env:
        return Path(from_env)
    return DEFAULT_CONFIG_PATH
