"""Round-trip latency of `status` (full query) and `set` (control acknowledged) over
persistent sessions to 1, 100 and 1000 simulated devices: setsmart against tinytuya and
rustuya, in the same run, against the same fleet. Prints JSON.

    .venv/bin/python -m bench.latency [--sizes 1,100,1000] [--rate 500] [--repeat 3]

The fleet (plugs, protocol versions 3.3, 3.4 and 3.5 in turn) runs in its own process,
pinned to CPU 1; each peer runs in a fresh process pinned to CPU 0, so both sides get one
core each, the same for every peer. Every peer first opens a session to every device,
then the operations are paced: device i's k-th operation is due at
`(k * devices + i) / rate` seconds, the same offered load for every peer (setsmart: one
coroutine per device on one event loop; tinytuya and rustuya: a pool of `--threads`
threads). Latency is timed from the call to its return. Peers run interleaved, `--repeat`
times; p50 and p99 are the medians over the repeats (each repeat's are listed too).

The machine may be shared: each run also reports the CPU time other processes took
meanwhile (`foreign_cpu_s_per_run`), and `quietest_run` gives p50/p99 of the run that
other processes disturbed least.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from typing import Any

from bench.driver import fleet_file, git_revision, measured_run
from bench.measure import cpu_layout, raise_fd_limit
from bench.peers import PEERS
from bench.simfleet import FleetProcess, parse_versions

OPS = ("status", "set")
_SUMMED = ("attempted", "ok", "failed", "late_starts")


def parse_sizes(text: str) -> list[int]:
    sizes = [int(part) for part in text.split(",") if part.strip()]
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"sizes must be positive integers: {text!r}")
    return sizes


def summarise(peer: str, devices: int, op: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One result row: counts summed over the repeats, p50/p99 their medians."""
    good = [run for run in runs if "worker_error" not in run and "unavailable" not in run]
    row: dict[str, Any] = {"peer": peer, "devices": devices, "op": op}
    for run in runs:
        if "unavailable" in run:
            row["unavailable"] = run["unavailable"]
            return row
    errors = [run["worker_error"] for run in runs if "worker_error" in run]
    if errors:
        row["worker_errors"] = errors
    if not good:
        row.update({"attempted": 0, "ok": 0, "failed": None})
        return row
    row["peer_version"] = good[0]["peer_version"]
    stats = [run[op] for run in good]
    for key in _SUMMED:
        row[key] = sum(s.get(key, 0) for s in stats)
    failures: dict[str, int] = {}
    for s in stats:
        for kind, count in s["failures"].items():
            failures[kind] = failures.get(kind, 0) + count
    row["failures"] = failures
    for key in ("p50_ms", "p99_ms"):
        values = [s[key] for s in stats if s.get(key) is not None]
        row[key] = round(statistics.median(values), 3) if values else None
        row[f"{key}_runs"] = values
    quiet = min(good, key=lambda run: run.get("foreign_cpu_s") or 0.0)
    row["quietest_run"] = {
        "p50_ms": quiet[op]["p50_ms"],
        "p99_ms": quiet[op]["p99_ms"],
        "foreign_cpu_s": quiet.get("foreign_cpu_s"),
    }
    row["max_ms"] = max((s["max_ms"] for s in stats if s.get("max_ms") is not None), default=None)
    cpu = sum(s["client_cpu_s"] for s in stats)
    row["client_cpu_ms_per_op"] = round(1000 * cpu / row["ok"], 3) if row["ok"] else None
    row["ops_per_s"] = round(statistics.median(s["ops_per_s"] for s in stats), 1)
    row["by_version"] = _versions(stats)
    row["error_samples"] = sorted({e for s in stats for e in s["error_samples"]})[:3]
    row["open"] = {
        "ok": sum(run["open"]["ok"] for run in good),
        "failed": sum(run["open"]["failed"] for run in good),
        "all_ready_s": [run["open"]["seconds"] for run in good],
    }
    row["sim_connections_per_run"] = [run.get("sim_connections") for run in good]
    row["sim_cpu_s_per_run"] = [run.get("sim_cpu_s") for run in good]
    row["foreign_cpu_s_per_run"] = [run.get("foreign_cpu_s") for run in good]
    row["rss_mb"] = max(run["rss_mb"] for run in good)
    row["threads"] = max(run["threads"] for run in good)
    return row


def _versions(stats: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for s in stats:
        for version, v in s["by_version"].items():
            entry = merged.setdefault(version, {"count": 0, "p50_ms": [], "p99_ms": []})
            entry["count"] += v["count"]
            entry["p50_ms"].append(v["p50_ms"])
            entry["p99_ms"].append(v["p99_ms"])
    return {
        version: {
            "count": e["count"],
            "p50_ms": round(statistics.median(e["p50_ms"]), 3),
            "p99_ms": round(statistics.median(e["p99_ms"]), 3),
        }
        for version, e in sorted(merged.items())
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=parse_sizes, default=[1, 100, 1000])
    parser.add_argument("--peers", default=",".join(PEERS))
    parser.add_argument("--versions", default="3.3,3.4,3.5", help="cycled over the devices")
    parser.add_argument("--rate", type=float, default=500.0, help="operations/s offered")
    parser.add_argument("--ops", type=int, default=3000, help="per operation and run, at most")
    parser.add_argument("--seconds", type=float, default=10.0, help="per operation and run")
    parser.add_argument("--threads", type=int, default=64, help="tinytuya's and rustuya's")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=10.0, help="per operation")
    parser.add_argument("--no-pin", action="store_true", help="do not pin processes to CPUs")
    args = parser.parse_args()
    raise_fd_limit()
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    versions = parse_versions(args.versions)
    layout = cpu_layout() if not args.no_pin else {"fleet_cpu": None, "client_cpu": None}
    runs: dict[tuple[str, int], list[dict[str, Any]]] = {}
    with (
        tempfile.TemporaryDirectory() as tmp,
        FleetProcess(max(args.sizes), versions, cpu=layout["fleet_cpu"]) as fleet,
    ):
        path = fleet_file(fleet.devices, tmp)
        for size in args.sizes:
            for repeat in range(args.repeat):
                shift = repeat % len(peers)  # each peer goes first in turn
                for peer in peers[shift:] + peers[:shift]:
                    run = measured_run(
                        fleet,
                        "latency",
                        {
                            "peer": peer,
                            "fleet": path,
                            "devices": size,
                            "rate": args.rate,
                            "ops": args.ops,
                            "seconds": args.seconds,
                            "threads": args.threads,
                            "timeout": args.timeout,
                            "cpu": layout["client_cpu"],
                        },
                        time_limit=120 + 2 * len(OPS) * args.seconds + 4 * args.timeout,
                    )
                    runs.setdefault((peer, size), []).append(run)
    results = [
        summarise(peer, size, op, runs[(peer, size)])
        for size in args.sizes
        for op in OPS
        for peer in peers
    ]
    report = {
        "benchmark": "latency",
        "setsmart_commit": git_revision(),
        "setup": {
            "sizes": args.sizes,
            "versions": versions,
            "device_kind": "plug",
            "rate_per_s": args.rate,
            "ops_per_run": args.ops,
            "seconds_per_run": args.seconds,
            "repeats": args.repeat,
            "threads_for_tinytuya_and_rustuya": args.threads,
            "setsmart_concurrency": "one coroutine per device, one event loop",
            "timeout_s": args.timeout,
            **layout,
        },
        "results": results,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
