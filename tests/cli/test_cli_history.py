"""`setsmart history`: a device's readings from the history file, as a sparkline."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from setsmart.cli import main
from setsmart.history import Sample, open_database


def test_history_prints_a_sparkline_of_the_readings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    now = time.time()
    db, _ = open_database(state)
    db.write([Sample("plug", "power", now - 3600 + 300 * i, 10.0 * i) for i in range(12)], {})
    db.close()
    config = tmp_path / "config.yaml"
    config.write_text("devices:\n  - id: bfhist00000000000001\n    name: plug\n")
    monkeypatch.setenv("SETSMART_STATE_DIR", str(state))

    assert main(["history", "plug", "-c", str(config), "--since", "2h"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("plug power, ")
    assert lines[1] == "▁▂▂▃▄▄▅▅▆▇▇█"
    assert lines[2] == "min 0 W  max 110 W  last 110 W  (12 readings)"

    assert main(["history", "plug", "-c", str(config), "--key", "voltage"]) == 0
    assert capsys.readouterr().out == "plug: no voltage readings in that time\n"
    with pytest.raises(SystemExit) as exit_:
        main(["history", "plug", "-c", str(config), "--since", "soon"])
    assert exit_.value.code == 2
