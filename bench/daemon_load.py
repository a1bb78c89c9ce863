"""A bridge holding 1000 simulated devices: its RSS once every device is online, and its
idle CPU over a bounded window. setsmart's daemon against rustuya-bridge and tuya2mqtt,
in the same run. Prints JSON.

    .venv/bin/python -m bench.daemon_load [--devices 1000] [--window 60]

setsmart runs once per `--profiles` entry: `contract` is CONTRACT.md's defaults
(lan.heartbeat 10, lan.poll 30, lan.energy_poll 5: the plugs' energy is refreshed every
5 s, so the daemon is not idle then), `heartbeat_only` keeps the 10 s heartbeats and
turns polling off (poll 0, energy_poll 0), which is what the other bridges do. Their
heartbeat intervals are their own (not configurable); the requests the devices answered
during the window show what each bridge actually sent.

"Online": every device has a connection on which the bridge asked something (for
setsmart also: its MQTT availability says online). Idle CPU: utime + stime of the bridge
process (/proc/<pid>/stat, all threads) over `--window` seconds, as % of one core; no
MQTT command is sent and no device changes meanwhile. Fleet and bridge are pinned to CPU
1 and 0; mosquitto (fresh per run, on a free 127.0.0.1 port) is not pinned.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.daemon_bridges import BRIDGES, LanSettings, unit_allocator_environment
from bench.daemon_fleet import FIRST_HOST, DaemonFleet
from bench.daemon_latency import parse_bridges
from bench.daemon_run import BridgeRun
from bench.driver import git_revision
from bench.measure import cpu_layout, raise_fd_limit
from bench.peers import PeerUnavailable
from bench.simfleet import parse_versions

TARGET_RSS_MB = 80.0
TARGET_IDLE_CPU_PCT = 2.0
PROFILES = {
    "contract": LanSettings(heartbeat=10.0, poll=30.0, energy_poll=5.0),
    "heartbeat_only": LanSettings(heartbeat=10.0, poll=0.0, energy_poll=0.0),
}


def parse_profiles(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in names if name not in PROFILES]
    if unknown:
        raise argparse.ArgumentTypeError(f"profiles must be among {', '.join(PROFILES)}: {text!r}")
    return names


def request_rates(
    before: dict[str, int], after: dict[str, int], devices: int, seconds: float
) -> dict[str, Any]:
    """Requests the devices answered in the window, by command: total and per device-minute."""
    rates: dict[str, Any] = {}
    for command in sorted(set(before) | set(after)):
        count = after.get(command, 0) - before.get(command, 0)
        if count:
            per_minute = count / max(devices, 1) / max(seconds, 1e-9) * 60
            rates[command] = {"count": count, "per_device_per_min": round(per_minute, 2)}
    return rates


def one_run(
    name: str,
    profile: str | None,
    fleet: DaemonFleet,
    workdir: Path,
    args: argparse.Namespace,
) -> dict[str, Any]:
    lan = PROFILES[profile] if profile else PROFILES["contract"]
    report: dict[str, Any] = {"bridge": name}
    if profile:
        report["profile"] = profile
        report["setsmart_lan"] = lan.as_dict()
    try:
        run = BridgeRun(
            name,
            fleet,
            fleet.devices,
            kind=args.kind,
            workdir=workdir,
            cpu=args.layout["client_cpu"],
            lan=lan,
            tuya2mqtt=args.tuya2mqtt_python,
        )
    except PeerUnavailable as exc:
        report["unavailable"] = str(exc)
        return report
    report["bridge_version"] = run.bridge.version
    try:
        with run:
            report["command"] = run.bridge.command
            report["online"] = run.wait_online(args.online_seconds)
            if not report["online"]["all_online"]:
                report["error"] = "not every device came online in time"
                return report
            report["rss_at_online_mb"] = run.memory()["rss_mb"]
            report["settle"] = run.wait_settled(args.quiet, args.settle_max)
            time.sleep(args.settle)
            report["memory_after_settle"] = run.memory()
            before = run.fleet.stats()
            mark = run.obs.mark()
            usage = run.usage()
            time.sleep(args.window)
            spent = run.usage().since(usage)
            after = run.fleet.stats()
            report["idle"] = spent
            report["memory_after_window"] = run.memory()
            report["requests_in_window"] = request_rates(
                before["requests_by_command"],
                after["requests_by_command"],
                len(fleet.devices),
                spent["wall_s"],
            )
            report["mqtt_messages_in_window"] = len(run.obs.since(mark))
            report["fleet_in_window"] = {
                key: after[key] - before[key]
                for key in ("connections", "dropped", "idle_drops", "pushes")
            }
            report["devices_connected_after_window"] = after["connected_now"]
            if run.bridge.hello:
                report["wrapper_rss_before_start_mb"] = run.bridge.hello.get("rss_before_start_mb")
    except (RuntimeError, OSError) as exc:
        report["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        report["stopped"] = run.stopped  # the with block has stopped the bridge by now
    return report


def summary(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for run in runs:
        keys = ("bridge", "profile", "unavailable", "error")
        row: dict[str, Any] = {k: run[k] for k in keys if k in run}
        if "idle" in run:
            rss = max(run["memory_after_settle"]["rss_mb"], run["memory_after_window"]["rss_mb"])
            row["rss_mb"] = rss
            row["idle_cpu_pct_of_one_core"] = run["idle"]["bridge_cpu_pct_of_one_core"]
            row["online_s"] = run["online"]["online_s"]
            row["startup_publishing_s"] = run["settle"]["startup_publishing_s"]
            heartbeats = run["requests_in_window"].get("HEART_BEAT", {})
            row["heartbeats_per_device_per_min"] = heartbeats.get("per_device_per_min", 0.0)
        rows.append(row)
    return rows


def targets(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    verdict: dict[str, Any] = {}
    for row in rows:
        if row["bridge"] != "setsmart" or "rss_mb" not in row:
            continue
        verdict[row.get("profile", "contract")] = {
            "rss_mb": row["rss_mb"],
            "rss_under_80_mb": row["rss_mb"] < TARGET_RSS_MB,
            "idle_cpu_pct": row["idle_cpu_pct_of_one_core"],
            "idle_cpu_under_2_pct": row["idle_cpu_pct_of_one_core"] < TARGET_IDLE_CPU_PCT,
        }
    return verdict


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--bridges", type=parse_bridges, default=list(BRIDGES))
    parser.add_argument("--profiles", type=parse_profiles, default=list(PROFILES))
    parser.add_argument("--versions", default="3.3,3.4,3.5", help="cycled over the devices")
    parser.add_argument("--kind", default="plug", help="simulated device kind")
    parser.add_argument("--window", type=float, default=60.0, help="idle window, seconds")
    parser.add_argument(
        "--quiet", type=float, default=5.0, help="settled: no new topic for this long"
    )
    parser.add_argument("--settle-max", type=float, default=240.0, help="but wait no longer")
    parser.add_argument("--settle", type=float, default=5.0, help="then wait this long")
    parser.add_argument("--online-seconds", type=float, default=300.0)
    parser.add_argument("--tuya2mqtt-python", default=None, help="an interpreter with tuya2mqtt")
    parser.add_argument("--first-host", default=FIRST_HOST, help="the fleet's first address")
    parser.add_argument("--no-pin", action="store_true", help="do not pin processes to CPUs")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    raise_fd_limit()
    versions = parse_versions(args.versions)
    args.layout = cpu_layout() if not args.no_pin else {"fleet_cpu": None, "client_cpu": None}
    plan: list[tuple[str, str | None]] = []
    for name in args.bridges:
        if name == "setsmart":
            plan += [(name, profile) for profile in args.profiles]
        else:
            plan.append((name, None))
    runs = []
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="bench-daemon-load-") as tmp,
        DaemonFleet(
            args.devices,
            versions,
            kind=args.kind,
            first_host=args.first_host,
            cpu=args.layout["fleet_cpu"],
        ) as fleet,
    ):
        for index, (name, profile) in enumerate(plan):
            workdir = Path(tmp) / f"{index}-{name}"
            runs.append(one_run(name, profile, fleet, workdir, args))
    rows = summary(runs)
    report = {
        "benchmark": "daemon_load",
        "setsmart_commit": git_revision(),
        "setup": {
            "devices": args.devices,
            "device_kind": args.kind,
            "versions": versions,
            "device_addresses": f"{args.first_host} and on, port 6668",
            "idle_window_s": args.window,
            "settle": f"no new topic for {args.quiet:g} s, then {args.settle:g} s",
            "profiles": {name: PROFILES[name].as_dict() for name in args.profiles},
            "cpu_measure": "utime+stime from /proc/<pid>/stat over the window, % of one core",
            "rss_measure": "VmRSS of the bridge process (/proc/<pid>/status)",
            "setsmart_environment": unit_allocator_environment(),
            **args.layout,
        },
        "results": rows,
        "targets": targets(rows),
        "runs": runs,
        "wall_s": round(time.monotonic() - started, 1),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
