"""A soak: setsmart's daemon serving simulated plugs for a long while under a steady load,
watched for growth. Prints JSON.

    .venv/bin/python -m bench.soak [--devices 200] [--minutes 30]

The load, for `--minutes` (CONTRACT.md's `lan:` defaults, so heartbeats, polls and the 5 s
energy refresh run too):
- pushes: the fleet toggles DP 1 on every plug but the last `--set-devices`, each plug once
  every `--push-every` seconds (a button pressed on the device);
- commands: `--sets-per-s` MQTT `/set`s a second, toggling DP 1 on the last
  `--set-devices` plugs in turn (no push touches those, so each set's outcome is its own).

Every `--sample` seconds: the daemon's RSS (VmRSS) and its asyncio task count (from the
`health_check` bridge request). At the end: RSS growth from the first sample (one minute
in by default) to the last, and every push and set checked: a push whose value never
showed on `B/<name>`, or a set the device never applied or whose state never showed, is
lost. Targets (issue "The daemon's core"): growth under 2 %, nothing lost, task count flat.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.daemon_bridges import LanSettings, SetsmartBridge
from bench.daemon_fleet import FIRST_HOST, DaemonFleet
from bench.daemon_latency import DP, Op, message_timeline, tally, timeline
from bench.daemon_run import BridgeRun
from bench.driver import git_revision
from bench.fleetspec import DeviceSpec
from bench.measure import cpu_layout, raise_fd_limit
from bench.simfleet import parse_versions

TARGET_GROWTH_PCT = 2.0
TAIL_S = 10.0  # what has not shown this long after the last operation is lost
HEALTH_WAIT_S = 5.0


class Load:
    """One segment's pushes (run by the fleet, in a thread) and paced sets (here)."""

    def __init__(self, run: BridgeRun, pushed: list[DeviceSpec], setting: list[DeviceSpec]):
        self.run = run
        self.pushed = pushed
        self.setting = setting
        self.values = {device.id: bool(value) for device, value in self._values(setting)}
        self.pushes: list[Op] = []
        self.sets: list[Op] = []
        self.unsent_pushes = 0

    def _values(self, devices: list[DeviceSpec]) -> list[tuple[DeviceSpec, Any]]:
        now = self.run.fleet.values(DP)
        return [(device, now[device.id]) for device in devices]

    def segment(self, seconds: float, push_every: float, sets_per_s: float) -> None:
        by_id = {device.id: device for device in self.pushed}
        rate = len(self.pushed) / push_every
        results: list[tuple[str, Any, int, bool]] = []

        def press() -> None:
            results.extend(
                self.run.fleet.push(
                    list(by_id), rate=rate, count=int(rate * seconds) + 1, seconds=seconds
                )
            )

        presser = threading.Thread(target=press, name="pushes")
        presser.start()
        start = time.monotonic()
        count = int(seconds * sets_per_s)
        for k in range(count):
            wait = start + k / sets_per_s - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            device = self.setting[len(self.sets) % len(self.setting)]
            value = not self.values[device.id]
            self.values[device.id] = value
            topic, payload = self.run.bridge.set_message(device, value)
            self.sets.append((device, value, self.run.obs.publish(topic, payload)))
        presser.join(seconds + 60.0)
        self.pushes += [(by_id[i], bool(value), t) for i, value, t, _ in results]
        self.unsent_pushes += sum(1 for *_, sent in results if not sent)


def health(run: BridgeRun, transaction: str) -> dict[str, Any]:
    """The daemon's `health_check` answer (its data), or {} when none came in time."""
    mark = run.obs.mark()
    base = SetsmartBridge.base
    run.obs.publish(f"{base}/bridge/request/health_check", json.dumps({"transaction": transaction}))
    deadline = time.monotonic() + HEALTH_WAIT_S
    while time.monotonic() < deadline:
        for message in run.obs.since(mark):
            if message.topic != f"{base}/bridge/response/health_check":
                continue
            answer = json.loads(message.payload)
            if answer.get("transaction") == transaction:
                data: dict[str, Any] = answer.get("data") or {}
                return data
        time.sleep(0.05)
    return {}


def soak(run: BridgeRun, args: argparse.Namespace) -> dict[str, Any]:
    devices = run.devices
    setting = devices[-args.set_devices :]
    load = Load(run, devices[: -args.set_devices], setting)
    mark = run.obs.mark()
    run.fleet.applies()  # forget anything applied before
    usage = run.usage()
    samples: list[dict[str, Any]] = []
    started = time.monotonic()
    segments = max(1, round(args.minutes * 60 / args.sample))
    for n in range(segments):
        load.segment(args.sample, args.push_every, args.sets_per_s)
        data = health(run, f"soak-{n}")
        samples.append(
            {
                "t_s": round(time.monotonic() - started, 1),
                "rss_mb": run.memory()["rss_mb"],
                "tasks": data.get("tasks"),
                "online": (data.get("devices") or {}).get("online"),
            }
        )
    time.sleep(TAIL_S)
    spent = run.usage().since(usage)
    messages = run.obs.since(mark)
    seen = message_timeline(run.bridge, messages)
    applied = timeline(run.fleet.applies())
    first, last = samples[0]["rss_mb"], samples[-1]["rss_mb"]
    pushes = tally(load.pushes, seen, "MQTT message").report()
    sets_applied = tally(load.sets, applied, "write applied on the device").report()
    sets_echoed = tally(load.sets, seen, "MQTT message").report()
    tasks = [s["tasks"] for s in samples if s["tasks"] is not None]
    return {
        "samples": samples,
        "rss_first_sample_mb": first,
        "rss_last_mb": last,
        "rss_max_mb": max(s["rss_mb"] for s in samples),
        "rss_growth_pct": round(100 * (last - first) / first, 2),
        "tasks_first": tasks[0] if tasks else None,
        "tasks_last": tasks[-1] if tasks else None,
        "tasks_max": max(tasks) if tasks else None,
        "health_answers": len(tasks),
        "pushes": pushes,
        "pushes_without_a_connected_client": load.unsent_pushes,
        "sets_applied": sets_applied,
        "sets_echoed": sets_echoed,
        "mqtt_messages": len(messages),
        "usage": spent,
    }


def verdict(result: dict[str, Any]) -> dict[str, Any]:
    lost = sum(
        result[key].get("failures", {}).get("lost", 0)
        for key in ("pushes", "sets_applied", "sets_echoed")
    )
    tasks_flat = result["tasks_first"] is not None and result["tasks_max"] <= (
        result["tasks_first"] + 5  # commands in flight when sampled
    )
    return {
        "rss_growth_pct": result["rss_growth_pct"],
        "rss_growth_under_2_pct": result["rss_growth_pct"] < TARGET_GROWTH_PCT,
        "lost": lost,
        "nothing_lost": lost == 0,
        "tasks_flat": tasks_flat,
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--sample", type=float, default=60.0, help="seconds between samples")
    parser.add_argument("--push-every", type=float, default=4.0, help="seconds, per plug")
    parser.add_argument("--sets-per-s", type=float, default=1.0)
    parser.add_argument("--set-devices", type=int, default=20, help="plugs the sets go to")
    parser.add_argument("--versions", default="3.3,3.4,3.5", help="cycled over the devices")
    parser.add_argument("--online-seconds", type=float, default=120.0)
    parser.add_argument("--first-host", default=FIRST_HOST, help="the fleet's first address")
    parser.add_argument("--no-pin", action="store_true", help="do not pin processes to CPUs")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if not 0 < args.set_devices < args.devices:
        raise SystemExit("--set-devices must be at least 1 and fewer than --devices")
    raise_fd_limit()
    versions = parse_versions(args.versions)
    layout = cpu_layout() if not args.no_pin else {"fleet_cpu": None, "client_cpu": None}
    lan = LanSettings()
    report: dict[str, Any] = {
        "benchmark": "soak",
        "setsmart_commit": git_revision(),
        "setup": {
            "devices": args.devices,
            "minutes": args.minutes,
            "push_every_s_per_plug": args.push_every,
            "sets_per_s": args.sets_per_s,
            "set_devices": args.set_devices,
            "sample_s": args.sample,
            "versions": versions,
            "setsmart_lan": lan.as_dict(),
            **layout,
        },
    }
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp,
        DaemonFleet(
            args.devices, versions, kind="plug", first_host=args.first_host, cpu=layout["fleet_cpu"]
        ) as fleet,
        BridgeRun(
            "setsmart",
            fleet,
            fleet.devices,
            kind="plug",
            workdir=Path(tmp),
            cpu=layout["client_cpu"],
            lan=lan,
            tuya2mqtt=None,
        ) as run,
    ):
        report["online"] = run.wait_online(args.online_seconds)
        if report["online"]["all_online"]:
            report["settle"] = run.wait_settled(5.0, 120.0)
            result = soak(run, args)
            report["targets"] = verdict(result)
            report["result"] = result
        else:
            report["error"] = "not every device came online in time"
    report["wall_s"] = round(time.monotonic() - started, 1)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
