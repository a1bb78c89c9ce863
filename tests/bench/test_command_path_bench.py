"""The command-path benchmark still runs, and measures commands that write what they should."""

from __future__ import annotations

from bench import command_path
from setsmart.devices import profile_for


def test_each_case_writes_its_dps() -> None:
    written = {
        name: command_path.command(profile_for(kind), raw, dps).dps
        for name, kind, raw, dps in command_path.CASES
    }
    assert written == {
        "plug on": {"1": True},
        "plug off": {"1": False},
        "plug word": {"1": False},
        "strip gang": {"2": True},
        "bulb level": {"22": 505, "20": True},
    }


def test_every_case_is_measured() -> None:
    report = command_path.report(50)
    cases = report["cases"]
    assert isinstance(cases, dict)
    assert list(cases) == [case[0] for case in command_path.CASES]
    for figures in cases.values():
        assert figures["us"] > 0
        assert figures["calls"] == figures["python_functions"] + figures["builtins"]
