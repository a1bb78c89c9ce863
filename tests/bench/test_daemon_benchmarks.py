"""The daemon benchmarks still run: tiny sizes, the JSON a reader relies on.

Each starts its own simulated fleet process (port 6668 on 127.0.112.x, away from the
test suite's and the full benchmarks' addresses), a mosquitto per bridge on a free
loopback port, and the bridges as processes. A bridge that cannot run here must say why.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from bench.daemon_latency import first_seen, tally, timeline
from bench.fleetspec import DeviceSpec

REPO = Path(__file__).resolve().parents[2]
HAS_RUSTUYA_BRIDGE = importlib.util.find_spec("pyrustuyabridge") is not None
HAS_TUYA2MQTT = importlib.util.find_spec("tuya2mqtt") is not None
FIRST_HOST = "127.0.112.1"
METRICS = ("set_to_device_applied", "set_to_state_echo", "push_to_state")


def run_bench(module: str, *args: str) -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603 (our interpreter, our benchmark modules)
        [sys.executable, "-m", module, "--first-host", FIRST_HOST, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def row_of(report: dict[str, Any], bridge: str) -> dict[str, Any]:
    rows: list[dict[str, Any]] = [r for r in report["results"] if r["bridge"] == bridge]
    assert len(rows) == 1, rows
    return rows[0]


def measured(row: dict[str, Any], installed: bool, missing: str) -> bool:
    """True when the row holds measurements; else it must say the bridge is missing."""
    if installed:
        assert "unavailable" not in row, row
        return True
    assert missing in row["unavailable"]
    return False


def test_first_seen_wants_the_same_value_after_the_operation_started() -> None:
    seen = timeline([("a", {"1": 1}, 150), ("a", {"1": True}, 300), ("a", {"1": True}, 100)])
    assert first_seen(seen, "a", True, 120) == 300  # 1 is not True; 100 came before
    assert first_seen(seen, "a", False, 0) is None
    device = DeviceSpec("a", "k" * 16, "3.4", "127.0.112.1", 6668, ("1",))
    result = tally([(device, True, 100), (device, False, 100)], seen, "message").report()
    assert result["ok"] == 1
    assert result["failures"] == {"lost": 1}
    assert result["p50_ms"] == 0.0  # (300 - 100) ns
    assert result["slowest"] == "a (v3.4) at 0.000 s"


@pytest.mark.timeout(60)
def test_daemon_latency_measures_both_paths_for_every_bridge() -> None:
    report = run_bench(
        "bench.daemon_latency",
        *("--devices", "3", "--ops", "9", "--rate", "30", "--seconds", "2"),
        *("--tail", "3", "--quiet", "0.5", "--online-seconds", "30"),
    )
    assert report["benchmark"] == "daemon_latency"
    assert report["setup"]["devices"] == 3
    assert report["setup"]["setsmart_lan"]["heartbeat"] == 10
    ours = row_of(report, "setsmart")
    assert "errors" not in ours, ours
    for metric in METRICS:
        assert ours[metric]["ok"] == 9, (metric, ours[metric])
        assert ours[metric]["lost"] == 0
        assert 0 < ours[metric]["p50_ms"] <= ours[metric]["p99_ms"] < 1000
        assert set(ours[metric]["by_version_p99_ms"]) == {"3.3", "3.4", "3.5"}
    assert ours["rss_mb"] > 10
    assert len(ours["bridge_cpu_ms_per_push_runs"]) == 1  # one round
    peer = row_of(report, "rustuya-bridge")
    if measured(peer, HAS_RUSTUYA_BRIDGE, "pyrustuyabridge is not installed"):
        assert "errors" not in peer, peer
        for metric in METRICS:
            assert peer[metric]["ok"] == 9, (metric, peer[metric])
        verdict = report["targets"]["push_to_state"]
        assert verdict["rustuya_bridge_p99_ms"] == peer["push_to_state"]["p99_ms"]
        # Nine operations may take the peer less than a clock tick of CPU: no ratio then.
        (peer_cpu,) = peer["bridge_cpu_ms_per_set_runs"]
        ratio = round(ours["bridge_cpu_ms_per_set_runs"][0] / peer_cpu, 2) if peer_cpu else None
        cpu = report["targets"]["cpu_per_set"]
        assert cpu["setsmart_to_rustuya_bridge_median_rounds"] == ratio
        assert cpu["within_1_5x"] == (None if ratio is None else ratio <= 1.5)
    measured(row_of(report, "tuya2mqtt"), HAS_TUYA2MQTT, "tuya2mqtt is not installed")
    floor = row_of(report, "python-floor")  # setsmart's own layers: it runs wherever we do
    assert "errors" not in floor, floor
    for metric in METRICS:
        assert floor[metric]["ok"] == 9, (metric, floor[metric])
        assert set(floor[metric]["by_version_p99_ms"]) == {"3.3", "3.4", "3.5"}


@pytest.mark.timeout(60)
def test_daemon_load_reports_rss_and_idle_cpu_once_every_device_is_online() -> None:
    report = run_bench(
        "bench.daemon_load",
        *("--devices", "6", "--window", "1", "--quiet", "0.5", "--settle", "0"),
        *("--bridges", "setsmart,rustuya-bridge", "--profiles", "heartbeat_only"),
    )
    assert report["benchmark"] == "daemon_load"
    assert report["setup"]["profiles"] == {
        "heartbeat_only": {"heartbeat": 10.0, "poll": 0.0, "energy_poll": 0.0, "timeout": 5.0}
    }
    (run,) = [r for r in report["runs"] if r["bridge"] == "setsmart"]
    assert run["online"]["all_online"], run
    assert run["online"]["mqtt_availability_online"] == 6
    # Bridge state, bridge/devices, per device: state, availability, HA switch and sensors.
    assert run["settle"]["settled"]
    assert run["settle"]["topics_seen"] >= 6 * 3
    assert run["devices_connected_after_window"] == 6
    assert run["stopped"]["exit_code"] == 0
    ours = row_of(report, "setsmart")
    assert ours["rss_mb"] > 10
    assert 0 <= ours["idle_cpu_pct_of_one_core"] < 100
    assert report["targets"]["heartbeat_only"]["rss_mb"] == ours["rss_mb"]
    peer = row_of(report, "rustuya-bridge")
    if measured(peer, HAS_RUSTUYA_BRIDGE, "pyrustuyabridge is not installed"):
        assert peer["rss_mb"] > 1
        assert "idle_cpu_pct_of_one_core" in peer


def test_the_soak_checks_every_push_and_set_and_samples_growth() -> None:
    report = run_bench(
        "bench.soak",
        *("--devices", "8", "--set-devices", "2", "--minutes", "0.2", "--sample", "6"),
        *("--push-every", "2", "--sets-per-s", "2", "--no-pin"),
    )
    assert report["online"]["all_online"], report
    result = report["result"]
    assert [sample["online"] for sample in result["samples"]] == [8, 8]
    assert all(sample["tasks"] > 0 and sample["rss_mb"] > 0 for sample in result["samples"])
    assert result["pushes"]["attempted"] >= 15  # 6 plugs, one push each every 2 s, 12 s
    assert result["sets_applied"]["attempted"] == 24  # 2 a second for 12 s
    assert report["targets"]["lost"] == 0, result
    assert report["targets"]["tasks_flat"]
