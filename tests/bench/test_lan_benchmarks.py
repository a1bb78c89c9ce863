"""The LAN benchmarks still run: tiny sizes, every peer, the JSON a reader relies on.

Each benchmark starts its own simulated fleet process on 127.0.64.x and one process per
peer. rustuya is measured only with one device here: with more it waits out its own
0-5 s start-up jitter. When rustuya is not installed the report must say so.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from bench.driver import run_worker
from bench.fleetspec import DeviceSpec, save_fleet
from bench.latency import summarise

REPO = Path(__file__).resolve().parents[2]
HAS_RUSTUYA = importlib.util.find_spec("rustuya") is not None


def run_bench(module: str, *args: str) -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603 (our interpreter, our benchmark modules)
        [sys.executable, "-m", module, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def rows(report: dict[str, Any], **match: object) -> list[dict[str, Any]]:
    return [r for r in report["results"] if all(r.get(k) == v for k, v in match.items())]


def check_rustuya(row: dict[str, Any]) -> bool:
    """True when the row holds measurements; else it must say rustuya is missing."""
    if HAS_RUSTUYA:
        return True
    assert "rustuya is not installed" in row["unavailable"]
    return False


@pytest.mark.timeout(60)
def test_latency_measures_every_peer_on_persistent_sessions() -> None:
    report = run_bench(
        "bench.latency",
        *("--sizes", "1,4", "--peers", "setsmart,tinytuya"),
        *("--ops", "24", "--seconds", "2", "--rate", "400", "--repeat", "1"),
    )
    assert report["benchmark"] == "latency"
    assert report["setup"]["versions"] == ["3.3", "3.4", "3.5"]
    assert len(report["results"]) == 2 * 2 * 2  # sizes x ops x peers
    for row in report["results"]:
        assert row["ok"] == row["attempted"] == 24, row
        assert row["failed"] == 0
        assert row["failures"] == {}
        assert 0 < row["p50_ms"] <= row["p99_ms"] <= row["max_ms"]
        assert row["peer_version"]
        # One TCP connection per device for the whole run: the sessions persisted.
        assert row["sim_connections_per_run"] == [row["devices"]]
    four = rows(report, devices=4, op="status", peer="setsmart")[0]
    assert set(four["by_version"]) == {"3.3", "3.4", "3.5"}


@pytest.mark.timeout(60)
def test_latency_runs_rustuya() -> None:
    report = run_bench(
        "bench.latency",
        *("--sizes", "1", "--peers", "rustuya", "--ops", "20", "--seconds", "2", "--repeat", "1"),
    )
    for row in report["results"]:
        if check_rustuya(row):
            assert row["ok"] == row["attempted"] == 20, row
            assert row["peer_version"] == "0.3.0"
            assert row["sim_connections_per_run"] == [1]


@pytest.mark.timeout(60)
def test_connect_reports_time_memory_and_live_sessions() -> None:
    report = run_bench(
        "bench.connect",
        *("--devices", "1", "--versions", "3.4,3.5", "--hold", "0", "--concurrency", "4"),
    )
    assert report["benchmark"] == "connect"
    assert [(r["handshake"], r["peer"]) for r in report["results"]] == [
        (version, peer)
        for version in ("3.4", "3.5")
        for peer in ("setsmart", "tinytuya", "rustuya")
    ]
    for row in report["results"]:
        if row["peer"] == "rustuya" and not check_rustuya(row):
            continue
        assert row["connected"] == 1, row
        assert row["failed"] == 0
        assert row["verify_ok"] == 1
        assert row["sim_connections"] == 1
        assert 0 < row["all_ready_s"] < 10
        assert 0 < row["rss_baseline_mb"] <= row["rss_holding_mb"]


def test_failed_operations_are_counted(tmp_path: Path) -> None:
    """Nothing listens at the device's address: every open fails, and says why."""
    fleet = tmp_path / "fleet.json"
    dead = DeviceSpec("bf0123456789abcdef99", "0123456789abcdef", "3.4", "127.0.64.250", 9, ("1",))
    save_fleet(fleet, [dead, dead])
    options = {"fleet": fleet, "devices": 2, "ops": 4, "seconds": 1, "timeout": 2}
    for peer in ("setsmart", "tinytuya"):
        run = run_worker("latency", {"peer": peer, **options}, time_limit=30)
        assert run["open"]["attempted"] == 2, run
        assert run["open"]["ok"] == 0
        assert run["open"]["failures"] == {"error": 2}
        assert run["open"]["error_samples"]
        assert run["status"]["attempted"] == 0  # nothing was open to measure
        row = summarise(peer, 2, "status", [run])
        assert row["open"] == {"ok": 0, "failed": 2, "all_ready_s": [run["open"]["seconds"]]}


def test_a_crashed_worker_is_reported() -> None:
    run = run_worker("latency", {"peer": "setsmart", "fleet": "/nonexistent"}, time_limit=30)
    assert "exit code 2" in run["worker_error"]  # argparse: --devices is missing
    row = summarise("setsmart", 1, "status", [run])
    assert row["worker_errors"] == [run["worker_error"]]
    assert row["ok"] == 0
