"""The state-path benchmark still runs, and measures what a plug publishes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bench import state_path


def test_the_plug_publishes_its_metered_state(tmp_path: Path) -> None:
    async def first_state() -> object:
        runtime = state_path.plug(tmp_path)
        supervisor = runtime.outbox
        assert isinstance(supervisor, state_path.Supervisor)
        payload = supervisor.bridge.retained(supervisor.topics.state("plug"))
        assert payload is not None
        return json.loads(payload)

    state = asyncio.run(first_state())
    assert isinstance(state, dict)
    assert (state["state"], state["power"], state["voltage"], state["current"]) == (
        "ON",
        23.0,
        230.1,
        0.1,
    )


def test_both_cases_are_measured(capsys: pytest.CaptureFixture[str]) -> None:
    asyncio.run(state_path.run(50))
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["set", "push"]
    assert all("us per state change" in line and "Python functions" in line for line in lines)
