"""What one heartbeat of an idle session costs the daemon: `DeviceLink`s held open to a
simulated fleet in a process of its own, nothing but heartbeats on the wire (no polls, no
energy refreshes). Prints JSON: per heartbeat, the client's CPU (a plain window) and the
calls cProfile counts (a second window; Python functions and built-ins apart).

    .venv/bin/python -m bench.heartbeat_path [--devices 50] [--heartbeat 0.1] [--seconds 3]
        [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import time
from typing import Any

from bench.inprocess import call_counts
from bench.simfleet import FleetProcess, parse_version, parse_versions
from setsmart import eventloop
from setsmart.lan.link import DeviceLink, LinkDown, LinkEvent, LinkSettings, LinkUp

# Away from the test suite's and the other benchmarks' addresses.
FIRST_HOST = "127.0.72.1"


async def measure(
    fleet: FleetProcess, heartbeat: float, seconds: float, dump: str | None = None
) -> dict[str, Any]:
    settings = LinkSettings(heartbeat=heartbeat, timeout=2.0, poll=0, energy_poll=0)
    ups, downs = 0, 0
    all_up = asyncio.Event()

    def on_event(event: LinkEvent) -> None:
        nonlocal ups, downs
        ups += isinstance(event, LinkUp)
        downs += isinstance(event, LinkDown)
        if ups == len(fleet.devices):
            all_up.set()

    links = [
        DeviceLink(
            f"plug_{n}",
            spec.id,
            spec.key.encode(),
            spec.host,
            parse_version(spec.version),
            on_event,
            port=spec.port,
            settings=settings,
        )
        for n, spec in enumerate(fleet.devices)
    ]
    tasks = [asyncio.create_task(link.run()) for link in links]
    try:
        async with asyncio.timeout(30):
            await all_up.wait()
        await asyncio.sleep(2 * heartbeat)  # past the first heartbeats' spread

        requests = fleet.stats()["requests"]
        cpu = time.process_time()
        await asyncio.sleep(seconds)
        cpu = time.process_time() - cpu
        plain = fleet.stats()["requests"] - requests

        requests = fleet.stats()["requests"]
        profiler = cProfile.Profile()
        profiler.enable()
        await asyncio.sleep(seconds)
        profiler.disable()
        if dump:
            profiler.dump_stats(dump)
        profiled = fleet.stats()["requests"] - requests
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    calls, builtins = call_counts(profiler)
    return {
        "heartbeats": plain,
        "cpu_us_per_heartbeat": round(1e6 * cpu / plain, 1) if plain else None,
        "profiled_heartbeats": profiled,
        "calls_per_heartbeat": round(calls / profiled, 1) if profiled else None,
        "python_functions": round((calls - builtins) / profiled, 1) if profiled else None,
        "builtins": round(builtins / profiled, 1) if profiled else None,
        "link_downs": downs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--heartbeat", type=float, default=0.1, help="seconds")
    parser.add_argument("--seconds", type=float, default=3.0, help="each window")
    parser.add_argument("--versions", default="3.3,3.4,3.5")
    parser.add_argument("--profile", help="write the profile here (see bench.profiled report)")
    parser.add_argument("--first-host", default=FIRST_HOST, help="the fleet's first address")
    args = parser.parse_args()
    with FleetProcess(
        args.devices, parse_versions(args.versions), max_seconds=120, first_host=args.first_host
    ) as fleet:
        result = eventloop.run(measure(fleet, args.heartbeat, args.seconds, args.profile))
    report = {
        "benchmark": "heartbeat_path",
        "loop": eventloop.loop_name(),
        "devices": args.devices,
        "heartbeat_s": args.heartbeat,
        "window_s": args.seconds,
        **result,
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
