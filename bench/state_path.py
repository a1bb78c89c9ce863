"""The daemon's work per device state change, in-process: a metered plug's report goes
through `DeviceRuntime._on_dps` to `Supervisor.state` (the state document, its JSON, the
bridge's retained cache, the event hub, the history sampler), with no broker and no
device. Prints JSON: per state change of each case, µs (the best of five timed runs) and
the calls cProfile counts (Python functions and built-ins apart).

    .venv/bin/python -m bench.state_path [--changes N]

Cases: `set`, the echo of a /set (DP 1 flips); `push`, new power, current and voltage.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import tempfile
from pathlib import Path

from bench.inprocess import per_operation
from setsmart.config import load_config
from setsmart.daemon.announcements import Announcements
from setsmart.daemon.runtime import DeviceRuntime
from setsmart.daemon.store import StateStore
from setsmart.daemon.supervisor import Supervisor
from setsmart.mqtt.bridge import MqttBridge
from setsmart.mqtt.topics import Topics
from setsmart.protocol import Dps

_CONFIG = """\
mqtt: {host: 127.0.0.1, port: 1, base_topic: st}
homeassistant: {discovery: false}
devices:
  - {id: bfplug00000000000001, name: plug, type: plug, local_key: '0123456789abcdef',
     host: 127.0.0.1, version: '3.3'}
"""
#: What a metered plug reports when asked (its DPs 1, 9 and 17-26, 38-44).
_FIRST_REPORT: Dps = {
    "1": True, "9": 0, "17": 12, "18": 100, "19": 230, "20": 2301, "21": 1, "22": 600,
    "23": 30000, "24": 17000, "25": 2600, "26": 0, "38": "memory", "40": "relay",
    "41": False, "42": "", "43": "", "44": "",
}  # fmt: skip


def plug(directory: Path) -> DeviceRuntime:
    """A plug's runtime on a supervisor whose bridge never connects (it keeps retained
    messages, as it does while the broker is away), after its first report."""
    (directory / "config.yaml").write_text(_CONFIG)
    supervisor = Supervisor(load_config(directory / "config.yaml"), StateStore(directory))
    supervisor.topics = Topics.from_config(supervisor.config)
    supervisor.bridge = MqttBridge(
        supervisor.config.mqtt,
        status_topic=supervisor.topics.bridge_state,
        subscriptions=[],
        on_message=lambda _message: None,
        on_connect=lambda: None,
    )
    supervisor.announce = Announcements(
        supervisor.bridge, supervisor.topics, supervisor.retained, supervisor.hub, discovery=False
    )
    runtime = DeviceRuntime(supervisor.config.devices[0], supervisor.config.lan, supervisor)
    runtime._on_dps(_FIRST_REPORT, full=True, count_energy=True)
    return runtime


def sets(runtime: DeviceRuntime, changes: int) -> None:
    on = True
    for _ in range(changes):
        on = not on
        runtime._on_dps({"1": on}, full=False, count_energy=True)


def pushes(runtime: DeviceRuntime, changes: int) -> None:
    for i in range(changes):
        report: Dps = {"18": 100 + (i & 7), "19": 230 + (i & 15), "20": 2300 + (i & 3)}
        runtime._on_dps(report, full=False, count_energy=True)


async def report(changes: int) -> dict[str, object]:
    """Run in a loop, as the daemon's runtimes are."""
    with tempfile.TemporaryDirectory() as directory:
        runtime = plug(Path(directory))
        return {
            "benchmark": "state_path",
            "state_changes": changes,
            "set": per_operation(functools.partial(sets, runtime), changes),
            "push": per_operation(functools.partial(pushes, runtime), changes),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=20_000)
    changes = parser.parse_args().changes
    print(json.dumps(asyncio.run(report(changes)), indent=1))


if __name__ == "__main__":
    main()
