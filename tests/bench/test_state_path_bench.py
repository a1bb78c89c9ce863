"""The state-path benchmark still runs, and measures what a plug publishes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from bench import state_path
from setsmart.daemon.supervisor import Supervisor


def test_the_plug_publishes_its_metered_state(tmp_path: Path) -> None:
    async def first_state() -> object:
        runtime = state_path.plug(tmp_path)
        supervisor = runtime.outbox
        assert isinstance(supervisor, Supervisor)
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


def test_both_cases_are_measured() -> None:
    report = asyncio.run(state_path.report(50))
    assert report["benchmark"] == "state_path"
    for case in ("set", "push"):
        figures = report[case]
        assert isinstance(figures, dict)
        assert figures["us"] > 0
        assert figures["calls"] == figures["python_functions"] + figures["builtins"]
