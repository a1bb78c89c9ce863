"""The wake-floor benchmark still runs, and reports a cost per wake for each rate."""

from __future__ import annotations

import json

import pytest

from bench import wake_floor


def test_each_rate_gets_a_cost_per_wake(capsys: pytest.CaptureFixture[str]) -> None:
    wake_floor.main(["--rates", "400,800", "--count", "40"])
    report = json.loads(capsys.readouterr().out)
    assert report["benchmark"] == "wake_floor"
    assert [row["rate_per_s"] for row in report["results"]] == [400.0, 800.0]
    for row in report["results"]:
        assert row["messages"] == 40
        assert row["cpu_ms_per_wake"] == pytest.approx(
            row["user_ms_per_wake"] + row["system_ms_per_wake"], abs=0.001
        )
        assert 0 < row["cpu_ms_per_wake"] < 10
