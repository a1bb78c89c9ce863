"""The history file: what is written reads back, limits hold, and bad files never stop it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from setsmart.history import HistoryFull, Limits, Point, Sample, open_database
from setsmart.history.database import FILE_NAME

H = 3600
DAY = 24 * H


def test_samples_read_back_by_device_key_and_time(tmp_path: Path) -> None:
    db, note = open_database(tmp_path)
    assert note is None
    db.write(
        [
            Sample("plug", "power", 100, 10.5),
            Sample("plug", "power", 105, 11.0),
            Sample("plug", "voltage", 100, 230.1),
            Sample("lamp", "power", 100, 5.0),
        ],
        {},
    )
    assert db.points("plug", "power", 0, 1000) == [Point(100, 10.5), Point(105, 11.0)]
    assert db.points("plug", "power", 101, 1000) == [Point(105, 11.0)]
    assert db.points("plug", "current", 0, 1000) == []
    assert db.keys("plug") == ["power", "voltage"]
    assert db.keys("nobody") == []
    db.close()


def test_energy_adds_up_per_hour_and_per_day(tmp_path: Path) -> None:
    db, _ = open_database(tmp_path)
    db.write([], {("plug", 0): 0.25, ("plug", H): 0.5})
    db.write([], {("plug", H): 0.25, ("plug", DAY + H): 1.0, ("other", 0): 9.0})
    assert db.energy("plug", "hour", 0, 2 * DAY) == [
        Point(0, 0.25),
        Point(H, 0.75),
        Point(DAY + H, 1.0),
    ]
    assert db.energy("plug", "day", 0, 2 * DAY) == [Point(0, 1.0), Point(DAY, 1.0)]
    assert db.energy("plug", "hour", H, H) == [Point(H, 0.75)]
    db.close()


def test_prune_keeps_48_hours_of_samples_and_400_days_of_energy(tmp_path: Path) -> None:
    db, _ = open_database(tmp_path)
    now = 500 * DAY
    db.write(
        [Sample("plug", "power", now - 49 * H, 1.0), Sample("plug", "power", now - 47 * H, 2.0)],
        {("plug", now - 401 * DAY): 1.0, ("plug", now - 399 * DAY): 2.0},
    )
    db.prune(now)
    assert db.points("plug", "power", 0, now) == [Point(now - 47 * H, 2.0)]
    assert db.energy("plug", "hour", 0, now) == [Point(now - 399 * DAY, 2.0)]
    db.close()


def test_samples_older_than_half_an_hour_become_ten_minute_averages(tmp_path: Path) -> None:
    db, _ = open_database(tmp_path)
    day = 100 * DAY
    db.write([Sample("plug", "power", day + t, float(t % 60)) for t in range(0, 2 * H, 5)], {})
    db.prune(day + 2 * H)
    points = db.points("plug", "power", 0, day + 3 * H)
    old = [p for p in points if p.t < day + H + H // 2]
    recent = [p for p in points if p.t >= day + H + H // 2]
    assert [p.t for p in old] == [day + n * 600 for n in range(9)]
    assert all(p.v == pytest.approx(27.5) for p in old)  # the mean of 0, 5 .. 55
    assert len(recent) == H // 2 // 5  # the last half hour as it was sampled
    db.prune(day + 2 * H)  # again: nothing already rolled up changes
    assert db.points("plug", "power", 0, day + 3 * H) == points
    db.close()


def test_the_file_stays_within_its_bound_and_keeps_the_newest(tmp_path: Path) -> None:
    limit = 512 * 1024
    db, _ = open_database(tmp_path, Limits(max_bytes=limit))
    t = 0
    for _ in range(600):  # far more than fits
        batch = [Sample(f"plug{n}", "power", t, float(t % 97)) for n in range(100)]
        db.write(batch, {(f"plug{n}", t // H * H): 0.001 for n in range(100)})
        t += 5
    assert (tmp_path / FILE_NAME).stat().st_size <= limit
    assert db.size() <= limit
    newest = db.points("plug7", "power", t - 5, t)
    assert newest == [Point(t - 5, float((t - 5) % 97))]
    assert db.points("plug7", "power", 0, 100) == []  # the oldest made room
    # Energy is never dropped to make room for samples.
    total = sum(p.v for p in db.energy("plug7", "hour", 0, t))
    assert total == pytest.approx(0.001 * 600)
    db.close()


def test_a_full_disk_raises_history_full_and_keeps_what_was_there(tmp_path: Path) -> None:
    db, _ = open_database(tmp_path, Limits(max_bytes=64 * 4096))
    db.write([Sample("plug", "power", 1, 1.0)], {})
    # Energy, which is never dropped to make room, fills the bound: nothing can make room.

    def fill() -> None:
        for hour in range(1000):
            db.write([], {(f"device-with-a-long-name-{n}", hour * H): 1.0 for n in range(200)})

    with pytest.raises(HistoryFull, match="the disk is full"):
        fill()
    assert db.energy("device-with-a-long-name-0", "hour", 0, 0) == [Point(0, 1.0)]
    assert db.points("plug", "power", 0, 2) == []  # the samples went first
    db.close()


def test_an_unreadable_file_is_moved_aside_and_history_starts_anew(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_bytes(b"this is not a database" * 100)
    db, note = open_database(tmp_path)
    assert note is not None
    assert "unreadable history file" in note
    assert "starting anew" in note
    moved = [p.name for p in tmp_path.iterdir() if ".corrupt-" in p.name]
    assert len(moved) == 1
    db.write([Sample("plug", "power", 1, 1.0)], {})
    assert db.points("plug", "power", 0, 2) == [Point(1, 1.0)]
    db.close()


_WRITER = """
import sys, time
from pathlib import Path
from setsmart.history import Sample, open_database
db, _ = open_database(Path(sys.argv[1]))
t = 0
while True:
    db.write([Sample(f"plug{n}", "power", t, float(t)) for n in range(50)], {("plug0", 0): 0.5})
    t += 1
    if t == 20:
        print("written", flush=True)
"""


def test_a_kill_9_loses_nothing_committed(tmp_path: Path) -> None:
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and script)
        [sys.executable, "-c", _WRITER, str(tmp_path)],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == b"written\n"
        time.sleep(0.2)  # let it be mid-batch
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    with sqlite3.connect(tmp_path / FILE_NAME) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db, note = open_database(tmp_path)
    assert note is None
    points = db.points("plug0", "power", 0, 10**9)
    assert len(points) >= 20
    assert [p.t for p in points] == list(range(len(points)))  # no gap, no torn batch
    batches = len(points)
    assert db.energy("plug0", "hour", 0, 0)[0].v == pytest.approx(0.5 * batches, abs=0.5)
    db.close()
