"""The heartbeat benchmark still runs: a few idle links, nothing but heartbeats measured."""

from __future__ import annotations

import pytest

from tests.bench.test_lan_benchmarks import run_bench


@pytest.mark.timeout(60)
def test_heartbeats_are_counted_and_profiled() -> None:
    report = run_bench(
        "bench.heartbeat_path",
        *("--devices", "3", "--heartbeat", "0.1", "--seconds", "0.5"),
        *("--first-host", "127.0.116.1"),
    )
    assert report["benchmark"] == "heartbeat_path"
    assert report["link_downs"] == 0
    assert report["heartbeats"] >= 3
    assert report["profiled_heartbeats"] >= 3
    assert report["calls_per_heartbeat"] == pytest.approx(
        report["python_functions"] + report["builtins"], abs=0.2
    )
    assert report["cpu_us_per_heartbeat"] > 0
