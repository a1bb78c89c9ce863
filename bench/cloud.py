"""What cloud routing costs: the latency a command gains when it goes through the cloud
instead of the LAN, and how many cloud calls a configuration makes per hour. Prints JSON.

    .venv/bin/python -m bench.cloud [--devices 50] [--window 20] [--poll 1] [--commands 40]
                                    [--cloud-only 5] [--cloud-rtt-ms 0]

Everything runs in this process on loopback: the daemon's supervisor, simulated plugs
(protocol 3.3, 3.4 and 3.5 in turn) and the signature-checking fake Tuya cloud, with a
mosquitto on loopback for the daemon's MQTT (it starts its devices once the broker has
shown that no other daemon holds its base topic). Each command is handed to the device's
runtime exactly where a decoded `/set` lands, so the MQTT hop, the same on both paths, is
left out. The fake cloud
answers at once unless `--cloud-rtt-ms` delays every answer to stand for the Internet's
round trip: with 0 the cloud figures are setsmart's own overhead (signing, HTTP, JSON).

Latency: `--commands` TOGGLE commands, one at a time, to one plug while its LAN session
is up (path `lan`), to the same plug once its simulator is stopped and the runtime routes
through the cloud (`cloud_fallback`), and to a cloud-only device (`cloud_only`).
`added_ms` = p50 of a cloud path - p50 of the LAN path.

Calls, counted by the fake cloud over `--window` seconds, `per_hour = calls / window_s *
3600`, with `cloud.poll` set to `--poll` seconds to make any polling show:
- `all_healthy_on_lan`: the `--devices` plugs, all up on the LAN (target: zero);
- `one_lan_device_down`: the same with one simulator stopped, past the availability
  grace (that device is polled through the cloud);
- `cloud_only`: `--cloud-only` devices without a local key.
For the last two, `calls_per_poll` = calls / status reads (presence checks and tokens
included) and `per_device_per_month_at_poll_60s` = calls_per_poll * 43200 (30 days of
one read a minute): the share of the trial plan's ~50k calls a month one such device
takes at the default `cloud.poll`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from tests.support.broker import running_broker
from tests.support.fake_cloud import FakeCloud, FakeDevice, Fault

from bench.driver import git_revision
from setsmart.config import Config, DeviceConfig, HomeAssistantConfig, LanConfig, MqttConfig
from setsmart.config.model import CloudConfig
from setsmart.config.secret import Secret
from setsmart.daemon.commands import CommandError
from setsmart.daemon.logs import configure_logging
from setsmart.daemon.runtime import DeviceRuntime
from setsmart.daemon.store import StateStore
from setsmart.daemon.supervisor import Supervisor
from setsmart.protocol import Version
from setsmart.sim import SimDevice
from setsmart.sim.fleet import SimFleet, make_device_id, make_local_key

VERSIONS: tuple[Version, ...] = ("3.3", "3.4", "3.5")
LAN = LanConfig(discovery=False, heartbeat=2.0, timeout=1.0, poll=0.0, energy_poll=0.0)
MONTH_OF_MINUTES = 30 * 24 * 60
START_LIMIT = 60.0
COMMAND_LIMIT = 30.0


def cloud_only_id(n: int) -> str:
    return f"bfbenchcloudonly{n:04d}"


def make_config(
    cloud: FakeCloud, fleet: SimFleet | None, cloud_only: int, poll: float, mqtt_port: int
) -> Config:
    devices = [
        DeviceConfig(
            id=sim.device_id,
            name=f"plug{n}",
            type="plug",
            local_key=Secret(sim.local_key),
            host=sim.host,
            port=sim.port,
            version=sim.version,
        )
        for n, sim in enumerate(fleet or ())
    ]
    devices += [
        DeviceConfig(id=cloud_only_id(n), name=f"cloud{n}", type="plug") for n in range(cloud_only)
    ]
    return Config(
        mqtt=MqttConfig(host="127.0.0.1", port=mqtt_port, client_id="bench-cloud"),
        homeassistant=HomeAssistantConfig(discovery=False),
        lan=LAN,
        cloud=CloudConfig(
            api_key=Secret(cloud.client_id),
            api_secret=Secret(cloud.secret),
            region="eu",
            endpoint=cloud.base_url,
            poll=poll,
        ),
        devices=tuple(devices),
    )


@contextlib.asynccontextmanager
async def running(config: Config, state: Path) -> AsyncIterator[Supervisor]:
    """The supervisor running, with every configured device started."""
    supervisor = Supervisor(config, StateStore(state))
    task = asyncio.create_task(supervisor.run())
    try:
        await wait_until(
            lambda: len(supervisor.devices) == len(config.devices) or task.done(),
            START_LIMIT,
            "the daemon did not start its devices",
        )
        if task.done():
            task.result()
        yield supervisor
    finally:
        supervisor.stop()
        async with asyncio.timeout(15):
            await task


async def wait_until(condition: Callable[[], bool], limit: float, what: str) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} within {limit:g} s")
        await asyncio.sleep(0.05)


def runtimes(supervisor: Supervisor) -> list[DeviceRuntime]:
    return [device.runtime for device in supervisor.devices.values()]


async def one_command(runtime: DeviceRuntime) -> tuple[float, str | None]:
    """Seconds from handing a TOGGLE to the runtime to its answer, and the error if any."""
    started = time.perf_counter()
    try:
        await asyncio.wait_for(runtime.request("set", "TOGGLE", "bench"), COMMAND_LIMIT)
    except CommandError as exc:
        return time.perf_counter() - started, str(exc)
    return time.perf_counter() - started, None


async def latency(path: str, runtime: DeviceRuntime, commands: int) -> dict[str, Any]:
    times: list[float] = []
    errors: list[str] = []
    for _ in range(commands):
        elapsed, error = await one_command(runtime)
        if error is None:
            times.append(elapsed * 1000)
        else:
            errors.append(error)
    row: dict[str, Any] = {"path": path, "ok": len(times), "failed": len(errors)}
    if errors:
        row["first_error"] = errors[0]
    if times:
        ordered = sorted(times)
        row["p50_ms"] = round(statistics.median(ordered), 3)
        row["p99_ms"] = round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 3)
        row["mean_ms"] = round(statistics.fmean(ordered), 3)
    return row


async def count_calls(
    cloud: FakeCloud, scenario: str, devices: int, window: float, **extra: Any
) -> dict[str, Any]:
    start = len(cloud.calls)
    await asyncio.sleep(window)
    calls = cloud.calls[start:]
    reads = sum(1 for call in calls if call.path.endswith("/status"))
    row: dict[str, Any] = {
        "scenario": scenario,
        "devices": devices,
        **extra,
        "window_s": window,
        "calls": len(calls),
        "status_reads": reads,
        "per_hour": round(len(calls) / window * 3600, 1),
        "formula": "per_hour = calls / window_s * 3600",
    }
    if reads:
        per_poll = len(calls) / reads
        row["calls_per_poll"] = round(per_poll, 3)
        row["per_device_per_month_at_poll_60s"] = round(per_poll * MONTH_OF_MINUTES)
    return row


async def lan_scenarios(
    args: argparse.Namespace, cloud: FakeCloud, state: Path, mqtt_port: int
) -> dict[str, Any]:
    fleet = SimFleet(first_host="127.0.80.2", idle_timeout=None)
    for n in range(args.devices):
        device_id, key = make_device_id(n), make_local_key(n)
        fleet.add(device_id, key, VERSIONS[n % len(VERSIONS)], "plug", dps={"1": False})
        cloud.add_device(FakeDevice.plug(device_id, key))
    async with fleet:
        config = make_config(cloud, fleet, 0, args.poll, mqtt_port)
        async with running(config, state) as supervisor:
            devices = runtimes(supervisor)
            await wait_until(
                lambda: all(d.connection == "lan" for d in devices),
                START_LIMIT,
                f"not every one of {len(devices)} devices came up on the LAN",
            )
            up_calls = len(cloud.calls)
            lan_row = await latency("lan", devices[0], args.commands)
            healthy = await count_calls(cloud, "all_healthy_on_lan", len(devices), args.window)

            first: SimDevice = next(iter(fleet))
            await first.stop()
            await wait_until(
                lambda: devices[0].connection == "cloud",
                devices[0].machine.grace + START_LIMIT,
                "the stopped device did not go over to the cloud",
            )
            degraded = await count_calls(
                cloud, "one_lan_device_down", len(devices), args.window, down=1
            )
            fallback_row = await latency("cloud_fallback", devices[0], args.commands)
    return {
        "calls_until_all_up": up_calls,
        "latency": [lan_row, fallback_row],
        "calls": [healthy, degraded],
    }


async def cloud_only_scenario(
    args: argparse.Namespace, cloud: FakeCloud, state: Path, mqtt_port: int
) -> dict[str, Any]:
    for n in range(args.cloud_only):
        cloud.add_device(FakeDevice.plug(cloud_only_id(n), f"cloudonlykey{n:04d}"))
    config = make_config(cloud, None, args.cloud_only, args.poll, mqtt_port)
    async with running(config, state) as supervisor:
        devices = runtimes(supervisor)
        await wait_until(
            lambda: all(d.connection == "cloud" for d in devices),
            START_LIMIT,
            "the cloud-only devices did not come online",
        )
        row = await count_calls(cloud, "cloud_only", len(devices), args.window)
        only = await latency("cloud_only", devices[0], args.commands)
    return {"latency": only, "calls": row}


async def measure(args: argparse.Namespace) -> dict[str, Any]:
    async with FakeCloud() as cloud:
        if args.cloud_rtt_ms > 0:
            cloud.inject(Fault.SLOW, times=10**9, delay=args.cloud_rtt_ms / 1000)
        with tempfile.TemporaryDirectory(prefix="bench-cloud-") as tmp:
            async with running_broker(Path(tmp)) as broker:
                lan = await lan_scenarios(args, cloud, Path(tmp) / "lan", broker.port)
                only = (
                    await cloud_only_scenario(args, cloud, Path(tmp) / "cloud", broker.port)
                    if args.cloud_only
                    else None
                )
    rows = [*lan["latency"], *([only["latency"]] if only else [])]
    base = rows[0].get("p50_ms")
    added = {
        row["path"]: round(row["p50_ms"] - base, 3)
        for row in rows[1:]
        if base is not None and "p50_ms" in row
    }
    return {
        "benchmark": "cloud",
        "setup": {
            "devices": args.devices,
            "cloud_only_devices": args.cloud_only,
            "window_s": args.window,
            "cloud_poll_s": args.poll,
            "commands": args.commands,
            "cloud_rtt_ms": args.cloud_rtt_ms,
            "versions": list(VERSIONS),
            "lan": {"heartbeat_s": LAN.heartbeat, "timeout_s": LAN.timeout, "poll_s": LAN.poll},
            "mqtt": "none: commands are handed to the device runtimes directly",
            "revision": git_revision(),
            "python": sys.version.split()[0],
        },
        "latency": rows,
        "added_ms": added,
        "calls_until_all_up": lan["calls_until_all_up"],
        "calls": [*lan["calls"], *([only["calls"]] if only else [])],
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.cloud", description=__doc__)
    parser.add_argument("--devices", type=int, default=50, help="LAN plugs (default 50)")
    parser.add_argument("--cloud-only", type=int, default=5, help="cloud-only devices (5)")
    parser.add_argument("--window", type=float, default=20.0, help="seconds counted (20)")
    parser.add_argument("--poll", type=float, default=1.0, help="cloud.poll in seconds (1)")
    parser.add_argument("--commands", type=int, default=40, help="commands per path (40)")
    parser.add_argument(
        "--cloud-rtt-ms", type=float, default=0.0, help="delay of each fake cloud answer (0)"
    )
    args = parser.parse_args(argv)
    if args.devices < 1 or args.commands < 1 or args.window <= 0 or args.poll <= 0:
        parser.error("--devices and --commands must be positive, --window and --poll too")
    if args.cloud_only < 0 or args.cloud_rtt_ms < 0:
        parser.error("--cloud-only and --cloud-rtt-ms cannot be negative")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging(level="critical", stream=sys.stderr)
    report = asyncio.run(measure(args))
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
