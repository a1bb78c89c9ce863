"""`setsmart run`: load the configuration, set up logging, run the supervisor under signals.

SIGTERM and SIGINT stop cleanly (devices and bridge marked offline on MQTT, exit 0);
SIGHUP reloads the configuration and applies only what changed; a reload that fails
keeps the running configuration and says why.
"""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from setsmart import eventloop
from setsmart.config import Config, ConfigError, load_config
from setsmart.daemon.logs import configure_logging, get_logger, register_secret, secrets_in
from setsmart.daemon.store import StateStore, default_state_dir
from setsmart.daemon.supervisor import Supervisor

log = get_logger("setsmart.daemon")


def run_daemon(config_path: Path, *, state_dir: Path | None = None) -> int:
    """Run until stopped by a signal; the exit code. ConfigError escapes (exit 2)."""
    config = load_config(config_path)
    configure_logging(secrets=secrets_in(config))
    store = StateStore(state_dir or default_state_dir())
    return eventloop.run(serve(config, config_path, store))


async def serve(config: Config, config_path: Path, store: StateStore) -> int:
    supervisor = Supervisor(config, store)
    loop = asyncio.get_running_loop()
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(stop_signal, supervisor.stop)
    loop.add_signal_handler(signal.SIGHUP, lambda: _reload(supervisor, config_path))
    log.info("starting", config=str(config_path), devices=len(config.devices))
    try:
        await supervisor.run()
    finally:
        for handled in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(handled)
    log.info("stopped")
    return 0


def _reload(supervisor: Supervisor, config_path: Path) -> None:
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        supervisor.reload_failed(str(exc))
        return
    for secret in secrets_in(config):
        register_secret(secret)
    supervisor.reload(config)
