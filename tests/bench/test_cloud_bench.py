"""The cloud benchmark still runs: tiny sizes, the JSON a reader relies on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(90)
def test_cloud_bench_measures_latency_and_counts_calls() -> None:
    done = subprocess.run(  # noqa: S603 (our interpreter, our benchmark module)
        [
            sys.executable,
            "-m",
            "bench.cloud",
            *("--devices", "3", "--cloud-only", "1", "--window", "1.5"),
            *("--poll", "0.25", "--commands", "4"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=80,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report: dict[str, Any] = json.loads(done.stdout)
    assert report["benchmark"] == "cloud"
    assert report["setup"]["devices"] == 3

    paths = {row["path"]: row for row in report["latency"]}
    assert set(paths) == {"lan", "cloud_fallback", "cloud_only"}
    for row in paths.values():
        assert (row["ok"], row["failed"]) == (4, 0), row
        assert 0 < row["p50_ms"] <= row["p99_ms"]
    assert set(report["added_ms"]) == {"cloud_fallback", "cloud_only"}
    assert report["added_ms"]["cloud_only"] == pytest.approx(
        paths["cloud_only"]["p50_ms"] - paths["lan"]["p50_ms"], abs=0.01
    )

    calls = {row["scenario"]: row for row in report["calls"]}
    healthy = calls["all_healthy_on_lan"]
    assert (healthy["calls"], healthy["per_hour"]) == (0, 0.0)
    assert report["calls_until_all_up"] == 0
    for scenario in ("one_lan_device_down", "cloud_only"):
        row = calls[scenario]
        assert row["calls"] >= row["status_reads"] > 0
        assert row["per_hour"] == pytest.approx(row["calls"] / row["window_s"] * 3600, abs=0.1)
        assert row["calls_per_poll"] >= 1
