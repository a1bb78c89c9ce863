"""The daemon's work per device state change, in-process: a metered plug's report goes
through `DeviceRuntime._on_dps` to `Supervisor.state` (the state document, its JSON, the
bridge's retained cache, the event hub, the history sampler), with no broker and no
device. Prints, per state change of each case, the best of five timed runs and the calls
cProfile counts (Python functions and built-ins apart).

    PYTHONPATH=src .venv/bin/python bench/state_path.py [--changes N]

Cases: `set`, the echo of a /set (DP 1 flips); `push`, new power, current and voltage.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import pstats
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from setsmart.config import load_config
from setsmart.daemon.runtime import DeviceRuntime
from setsmart.daemon.store import StateStore
from setsmart.daemon.supervisor import Supervisor
from setsmart.mqtt.bridge import MqttBridge
from setsmart.mqtt.topics import Topics

_CONFIG = """\
mqtt: {host: 127.0.0.1, port: 1, base_topic: st}
homeassistant: {discovery: false}
devices:
  - {id: bfplug00000000000001, name: plug, type: plug, local_key: '0123456789abcdef',
     host: 127.0.0.1, version: '3.3'}
"""
#: What a metered plug reports when asked (its DPs 1, 9 and 17-26, 38-44).
_FIRST_REPORT: dict[str, bool | int | str | None] = {
    "1": True, "9": 0, "17": 12, "18": 100, "19": 230, "20": 2301, "21": 1, "22": 600,
    "23": 30000, "24": 17000, "25": 2600, "26": 0, "38": "memory", "40": "relay",
    "41": False, "42": "", "43": "", "44": "",
}  # fmt: skip
_PROFILED = 2000


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
        report = {"18": 100 + (i & 7), "19": 230 + (i & 15), "20": 2300 + (i & 3)}
        runtime._on_dps(report, full=False, count_energy=True)


def measure(case: Callable[[DeviceRuntime, int], None], runtime: DeviceRuntime, n: int) -> str:
    case(runtime, n // 10)  # warm up
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        case(runtime, n)
        best = min(best, time.perf_counter() - start)
    profile = cProfile.Profile()
    profile.enable()
    case(runtime, _PROFILED)
    profile.disable()
    table = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    calls = sum(entry[1] for entry in table.values()) / _PROFILED
    builtins = sum(entry[1] for key, entry in table.items() if key[0] == "~") / _PROFILED
    return (
        f"{1e6 * best / n:.2f} us per state change; {calls:.0f} calls "
        f"({calls - builtins:.0f} Python functions, {builtins:.0f} built-ins)"
    )


async def run(changes: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        runtime = plug(Path(directory))
        gc.disable()
        try:
            print(f"set:  {measure(sets, runtime, changes)}")
            print(f"push: {measure(pushes, runtime, changes)}")
        finally:
            gc.enable()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=20_000)
    asyncio.run(run(parser.parse_args().changes))


if __name__ == "__main__":
    main()
