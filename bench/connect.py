"""Time to connect 1000 simulated devices (TCP connect, 3.4 or 3.5 session-key handshake,
first full status) and the memory of the process holding the 1000 sessions: setsmart
against tinytuya and rustuya, in the same run, against the same fleet. Prints JSON.

    .venv/bin/python -m bench.connect [--devices 1000] [--versions 3.4,3.5]

For each handshake version a fleet of that version runs in its own process (CPU 1); each
peer runs in a fresh process (CPU 0) that reports its RSS (VmRSS) after its imports, then
opens every session with at most `--concurrency` at once (setsmart: a semaphore over
coroutines; tinytuya: that many threads; rustuya: its own connect-concurrency cap set to
that, and that many threads waiting for the first statuses), reports the time until all
were ready and the RSS while holding them, then reads every device once more over the
held sessions to show they are still alive. The fleet counts the TCP connections it
accepted, so a peer that reconnected shows it.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from typing import Any

from bench.driver import fleet_file, git_revision, measured_run
from bench.measure import cpu_layout, raise_fd_limit
from bench.peers import PEERS
from bench.simfleet import FleetProcess, parse_versions


def summarise(peer: str, version: str, devices: int, run: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {"peer": peer, "handshake": version, "devices": devices}
    if "unavailable" in run:
        row["unavailable"] = run["unavailable"]
        return row
    if "worker_error" in run:
        row["worker_error"] = run["worker_error"]
        row.update({"connected": 0, "failed": None})
        return row
    opened, verify = run["open"], run["verify_status"]
    connected = run["connected"]
    grown = run["rss_holding_mb"] - run["rss_baseline_mb"]
    row.update(
        {
            "peer_version": run["peer_version"],
            "connected": connected,
            "failed": opened["failed"],
            "failures": opened["failures"],
            "all_ready_s": opened["seconds"],
            "ready_p50_s": _seconds(opened.get("p50_ms")),
            "ready_p99_s": _seconds(opened.get("p99_ms")),
            "client_cpu_s": opened["client_cpu_s"],
            "sim_cpu_s": run.get("sim_cpu_s"),
            "rss_baseline_mb": run["rss_baseline_mb"],
            "rss_holding_mb": run["rss_holding_mb"],
            "rss_after_verify_mb": run["rss_after_verify_mb"],
            "kib_per_session": round(grown * 1024 / connected, 1) if connected else None,
            "threads_holding": run["threads_holding"],
            "verify_ok": verify["ok"],
            "verify_failed": verify["failed"],
            "verify_failures": verify["failures"],
            "sim_connections": run.get("sim_connections"),
            "foreign_cpu_s": run.get("foreign_cpu_s"),
            "error_samples": sorted(set(opened["error_samples"] + verify["error_samples"]))[:3],
        }
    )
    if "rustuya_connect_concurrency" in run:
        row["rustuya_connect_concurrency"] = run["rustuya_connect_concurrency"]
    return row


def _seconds(ms: float | None) -> float | None:
    return None if ms is None else round(ms / 1000, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--versions", default="3.4,3.5", help="one fleet per version")
    parser.add_argument("--peers", default=",".join(PEERS))
    parser.add_argument("--concurrency", type=int, default=100, help="sessions opening at once")
    parser.add_argument("--timeout", type=float, default=10.0, help="per device")
    parser.add_argument("--open-seconds", type=float, default=60.0, help="for all of them")
    parser.add_argument("--hold", type=float, default=1.0, help="seconds, before re-reading")
    parser.add_argument("--no-pin", action="store_true", help="do not pin processes to CPUs")
    args = parser.parse_args()
    raise_fd_limit()
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    layout = cpu_layout() if not args.no_pin else {"fleet_cpu": None, "client_cpu": None}
    results = []
    for version in parse_versions(args.versions):
        with (
            tempfile.TemporaryDirectory() as tmp,
            FleetProcess(args.devices, [version], cpu=layout["fleet_cpu"]) as fleet,
        ):
            path = fleet_file(fleet.devices, tmp)
            for peer in peers:
                run = measured_run(
                    fleet,
                    "connect",
                    {
                        "peer": peer,
                        "fleet": path,
                        "concurrency": args.concurrency,
                        "timeout": args.timeout,
                        "open_seconds": args.open_seconds,
                        "hold": args.hold,
                        "cpu": layout["client_cpu"],
                    },
                    time_limit=120 + 2 * args.open_seconds + args.hold + 4 * args.timeout,
                )
                results.append(summarise(peer, version, args.devices, run))
    report = {
        "benchmark": "connect",
        "setsmart_commit": git_revision(),
        "setup": {
            "devices": args.devices,
            "device_kind": "plug",
            "concurrency": args.concurrency,
            "timeout_s": args.timeout,
            "hold_s": args.hold,
            **layout,
        },
        "results": results,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
