"""The command-path benchmark still runs, and measures commands that write what they should."""

from __future__ import annotations

import pytest

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


def test_every_case_is_measured(capsys: pytest.CaptureFixture[str]) -> None:
    command_path.run(50)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [case[0] for case in command_path.CASES]
    assert all("us per command" in line and "Python functions" in line for line in lines)
