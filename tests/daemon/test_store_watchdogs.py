"""The watchdogs' records in the state directory: read back as saved, bad entries dropped."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

from setsmart.daemon.store import StateStore, WatchdogRecord, load_watchdogs, save_watchdogs
from setsmart.daemon.watchdog_rule import Memory

RECORD = WatchdogRecord(
    Memory(date(2026, 12, 4), 2, datetime(2026, 12, 4, 11, 0, 5, tzinfo=UTC)),
    ("ha/binary_sensor/x/target/config", "st/watchdog/router"),
)


def test_records_are_read_back_as_saved(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    assert load_watchdogs(store).value == {}
    save_watchdogs(store, {"router": RECORD, "fresh": WatchdogRecord(Memory())})
    loaded = load_watchdogs(store)
    assert loaded.problems == ()
    assert loaded.value == {"router": RECORD, "fresh": WatchdogRecord(Memory())}
    saved = json.loads((tmp_path / "watchdogs.json").read_text())
    assert saved["watchdogs"]["router"] == {
        "day": "2026-12-04",
        "cycles_today": 2,
        "last_cycle": "2026-12-04T11:00:05+00:00",
        "topics": ["ha/binary_sensor/x/target/config", "st/watchdog/router"],
    }


def test_a_bad_entry_is_dropped_and_reported_the_others_kept(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    save_watchdogs(store, {"router": RECORD})
    data = json.loads((tmp_path / "watchdogs.json").read_text())
    data["watchdogs"]["broken"] = {"day": "yesterday", "cycles_today": 1}
    data["watchdogs"]["negative"] = {"cycles_today": -1}
    data["watchdogs"]["naive"] = {"cycles_today": 0, "last_cycle": "2026-12-04T11:00:05"}
    (tmp_path / "watchdogs.json").write_text(json.dumps(data))
    loaded = load_watchdogs(store)
    assert loaded.value == {"router": RECORD}
    assert len(loaded.problems) == 3
    assert "entry 'broken' ignored" in str(loaded.problems[0])


def test_a_corrupt_file_starts_again_empty(tmp_path: Path) -> None:
    store = StateStore(tmp_path)
    (tmp_path / "watchdogs.json").write_text("{not json")
    loaded = load_watchdogs(store)
    assert loaded.value == {}
    assert "is corrupt" in str(loaded.problems[0])
