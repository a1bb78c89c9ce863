"""The gateway benchmark still runs: a small gateway, both peers, the JSON a reader relies on."""

from __future__ import annotations

import pytest

from tests.bench.test_lan_benchmarks import run_bench


@pytest.mark.timeout(60)
def test_gateway_measures_both_peers_against_one_simulated_gateway() -> None:
    report = run_bench(
        "bench.gateway",
        *("--children", "6", "--commands", "10", "--interval", "0.01", "--version", "3.5"),
    )
    assert report["benchmark"] == "gateway"
    assert report["targets"] == {"all_states_s": 5.0, "command_p99_ms": 50.0}
    assert set(report["peers"]) == {"setsmart", "tinytuya"}
    for peer, row in report["peers"].items():
        assert "worker_error" not in row, (peer, row)
        assert row["failed"] == 0
        assert row["command"]["count"] == 10
        assert 0 < row["command"]["p50_ms"] <= row["command"]["p99_ms"]
        assert 0 < row["all_states_s"] < 5
        assert row["peer_version"].startswith(peer)
    assert report["peers"]["tinytuya"]["unread_children"] == 0
