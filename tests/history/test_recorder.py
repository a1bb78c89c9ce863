"""The daemon's history recorder: sampled on the loop, written on its thread, never in the way."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from setsmart.daemon.history import HistoryRecorder, HistoryUnavailable, Level
from setsmart.history import HistoryFull, Limits, Point, open_database
from setsmart.history.database import FILE_NAME


class Wall:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def never(_: float) -> None:
    await asyncio.Event().wait()


Lines = list[tuple[Level, str]]


def recorder(
    tmp_path: Path, wall: Wall, lines: Lines, limits: Limits | None = None
) -> HistoryRecorder:
    def report(level: Level, text: str) -> None:
        lines.append((level, text))

    return HistoryRecorder(tmp_path, report, wall=wall, sleep=never, limits=limits)


async def test_a_query_in_the_first_moments_waits_for_the_file_to_open(tmp_path: Path) -> None:
    history = recorder(tmp_path, Wall(7200.0), [])
    task = asyncio.create_task(history.run())
    try:
        assert not history.ready.is_set()  # run() has not opened the file yet
        assert await history.points("plug", "power", 0, 7200.0) == []
        assert history.ready.is_set()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_states_become_points_and_hourly_energy(tmp_path: Path) -> None:
    wall = Wall(7200.0)
    lines: Lines = []
    history = recorder(tmp_path, wall, lines)
    task = asyncio.create_task(history.run())
    try:
        await history.ready.wait()
        history.observe("plug", {"state": "ON", "power": 10.0, "energy": 1.0})
        wall.now += 10
        history.observe("plug", {"state": "ON", "power": 12.5, "energy": 1.25})
        await history.flush()
        assert await history.points("plug", "power", 0, wall.now) == [
            Point(7200, 10.0),
            Point(7210, 12.5),
        ]
        assert await history.energy("plug", "hour", 0, wall.now) == [Point(7200, 0.25)]
        assert await history.keys("plug") == ["energy", "power"]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert lines == []


async def test_states_seen_before_the_file_opens_wait_the_oldest_dropped_first(
    tmp_path: Path,
) -> None:
    wall = Wall(7200.0)
    history = HistoryRecorder(
        tmp_path, lambda level, text: None, wall=wall, sleep=never, max_backlog=3
    )
    for n in range(10):
        history.observe(f"plug{n}", {"power": float(n)})
        wall.now += 1
    await history.flush()  # nothing open yet: sampled and kept, at most max_backlog
    task = asyncio.create_task(history.run())
    try:
        await history.ready.wait()
        await history.flush()
        points = [await history.points(f"plug{n}", "power", 0, wall.now) for n in range(10)]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert points == [[]] * 7 + [[Point(7200 + n, float(n))] for n in (7, 8, 9)]


async def test_what_was_sampled_is_written_on_the_way_out(tmp_path: Path) -> None:
    wall = Wall(100.0)
    lines: Lines = []
    history = recorder(tmp_path, wall, lines)
    task = asyncio.create_task(history.run())
    await history.ready.wait()
    history.observe("plug", {"power": 3.0})
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    again = recorder(tmp_path, wall, lines)
    task = asyncio.create_task(again.run())
    try:
        await again.ready.wait()
        assert await again.points("plug", "power", 0, 200) == [Point(100, 3.0)]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def fill_with_energy(directory: Path, limits: Limits) -> None:
    """Energy (never dropped to make room) fills the file to its last byte."""
    db, _ = open_database(directory, limits)
    hour = 0
    for per_write in (100, 1):
        try:
            while True:
                hour += 1
                db.write([], {(f"device-{n:03d}", hour * 3600): 1.0 for n in range(per_write)})
        except HistoryFull:
            pass
    db.close()


async def test_a_full_disk_pauses_history_once_then_resumes(tmp_path: Path) -> None:
    limits = Limits(max_bytes=64 * 4096)
    fill_with_energy(tmp_path, limits)
    wall = Wall(0.0)
    lines: Lines = []
    history = recorder(tmp_path, wall, lines, limits=limits)
    task = asyncio.create_task(history.run())
    try:
        await history.ready.wait()
        for hour in range(20):  # a device the file knows, in hours it has no row for yet
            wall.now = float(10**6 + hour * 3600)
            history.observe("device-000", {"energy": float(hour)})
            await history.flush()
        assert [level for level, _ in lines] == ["warning"]
        assert "history paused" in lines[0][1]
        assert "the disk is full" in lines[0][1]
        assert "control of the devices goes on" in lines[0][1]
        with sqlite3.connect(tmp_path / FILE_NAME) as raw:  # the user makes room
            raw.execute("DELETE FROM energy")
        wall.now += 10
        history.observe("device-000", {"energy": 99.0})
        await history.flush()
        assert [level for level, _ in lines] == ["warning", "info"]
        assert "history resumed" in lines[1][1]
        # What was sampled while paused was kept and written (the first sample, written
        # before the file was full, made room on the way: samples go before energy).
        points = await history.points("device-000", "energy", 10**6, wall.now)
        assert [p.v for p in points] == [float(n) for n in range(1, 20)] + [99.0]
        hours = await history.energy("device-000", "hour", 10**6, wall.now)
        assert sum(p.v for p in hours) == 99.0
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_an_unreadable_file_is_said_once_and_history_goes_on(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_bytes(b"garbage" * 1000)
    wall = Wall(50.0)
    lines: Lines = []
    history = recorder(tmp_path, wall, lines)
    task = asyncio.create_task(history.run())
    try:
        await history.ready.wait()
        assert len(lines) == 1
        assert lines[0][0] == "warning"
        assert "moved to" in lines[0][1]
        history.observe("plug", {"power": 1.0})
        await history.flush()
        assert await history.points("plug", "power", 0, 100) == [Point(50, 1.0)]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_directory_that_cannot_hold_history_stops_it_with_one_line(
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    wall = Wall(50.0)
    lines: Lines = []
    history = recorder(blocker, wall, lines)
    await history.run()  # returns at once: nothing to do
    history.observe("plug", {"power": 1.0})
    assert len(lines) == 1
    assert lines[0][0] == "error"
    assert "history stopped" in lines[0][1]
    with pytest.raises(HistoryUnavailable, match="history is off"):
        await history.points("plug", "power", 0, 100)
