"""The history file: samples and hourly energy in one SQLite database, bounded.

Rules kept here:
- One file, `history.sqlite3` in the state directory, in WAL mode: a kill -9 loses at
  most the batch being written, never what was committed, and never the file.
- Samples are kept `Limits.samples_for` (48 h), hourly energy `Limits.energy_for` (400
  days); `prune` deletes what is older. Samples older than `Limits.raw_for` (30 min) are
  rolled up into one average per `Limits.rollup` (10 min) and series: 48 h of a plug's
  power is then under 300 points, enough for any plot, and a fleet's history fits.
- Samples are keyed by series and time only: an index by time would cost half as much
  again, and the hourly prune and roll-up can scan the table in the history thread.
- The file never grows past `Limits.max_bytes`: SQLite is told the most pages it may use,
  and when a write finds them all used, the oldest samples make room (energy is never
  dropped for samples' sake: a year of hourly energy for 1000 devices is a few MB).
- A disk that is really full raises `HistoryFull`; the caller pauses history and tries
  again later. Nothing else of the daemon depends on this file.
- A file that is not a readable database is moved aside and a new one started
  (`open_database` says so), like the state directory's JSON documents.
- Not thread-safe: one thread uses a database (the daemon's history thread).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, Literal

from setsmart.errors import SetsmartError
from setsmart.history.energy import HOUR
from setsmart.history.sampler import Sample

FILE_NAME: Final = "history.sqlite3"
DAY: Final = 24 * HOUR
_SCHEMA_VERSION: Final = 1
# Hourly energy is kept under the series of the `energy` state key.
_ENERGY: Final = "energy"
# Oldest share of the samples dropped at once when the file is at its bound.
_MAKE_ROOM_SHARE: Final = 0.1

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY,
    device TEXT NOT NULL,
    key TEXT NOT NULL,
    UNIQUE (device, key)
);
CREATE TABLE IF NOT EXISTS samples (
    series INTEGER NOT NULL,
    t INTEGER NOT NULL,
    v REAL NOT NULL,
    PRIMARY KEY (series, t)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS energy (
    series INTEGER NOT NULL,
    hour INTEGER NOT NULL,
    kwh REAL NOT NULL,
    PRIMARY KEY (series, hour)
) WITHOUT ROWID;
"""

Resolution = Literal["hour", "day"]


class HistoryError(SetsmartError):
    """The history file could not be used; the message names the file and the cause."""


class HistoryFull(HistoryError):
    """The disk is full: history pauses, nothing else does."""


@dataclass(frozen=True, slots=True)
class Limits:
    samples_for: float = 48 * HOUR
    energy_for: float = 400 * DAY
    raw_for: float = HOUR / 2
    rollup: int = 600
    # A year of hourly energy for 1000 metering plugs is about 150 MB; 48 h of 1000
    # devices' samples about 40 MB (bench/history.py).
    max_bytes: int = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Point:
    t: float  # seconds since the epoch
    v: float


def _is_full(error: sqlite3.Error) -> bool:
    return getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL


class HistoryDatabase:
    """Samples and hourly energy; see the module's rules."""

    def __init__(self, connection: sqlite3.Connection, path: Path, limits: Limits) -> None:
        self._db = connection
        self.path = path
        self.limits = limits
        page_size = int(self._db.execute("PRAGMA page_size").fetchone()[0])
        self._db.execute(f"PRAGMA max_page_count = {max(limits.max_bytes // page_size, 64)}")

    # Writing ------------------------------------------------------------------------

    def write(self, samples: Sequence[Sample], energy: Mapping[tuple[str, int], float]) -> None:
        """Store a batch in one transaction; at the size bound the oldest samples make room.

        Raises HistoryFull when even that does not help (the disk itself is full): the
        batch is then not stored, and the caller may offer it again later.
        """
        try:
            self._write(samples, energy)
        except sqlite3.OperationalError as exc:
            if not _is_full(exc):
                raise HistoryError(f"{self.path}: cannot write history: {exc}") from None
            try:
                self._make_room()
                self._write(samples, energy)
            except sqlite3.OperationalError as again:
                if _is_full(again):
                    raise HistoryFull(f"{self.path}: the disk is full") from None
                raise HistoryError(f"{self.path}: cannot write history: {again}") from None

    def _write(self, samples: Sequence[Sample], energy: Mapping[tuple[str, int], float]) -> None:
        # Each row names its series by device and key, SQLite finds the id in its index:
        # no id kept in Python for each of the thousands of series a large fleet has.
        series = dict.fromkeys((s.device, s.key) for s in samples)
        series.update(dict.fromkeys((device, _ENERGY) for device, _ in energy))
        with self._db:
            self._db.executemany("INSERT OR IGNORE INTO series (device, key) VALUES (?, ?)", series)
            self._db.executemany(
                "INSERT OR REPLACE INTO samples (series, t, v) VALUES "
                "((SELECT id FROM series WHERE device = ? AND key = ?), ?, ?)",
                [(s.device, s.key, int(s.t), s.v) for s in samples],
            )
            self._db.executemany(
                "INSERT INTO energy (series, hour, kwh) VALUES "
                "((SELECT id FROM series WHERE device = ? AND key = ?), ?, ?) "
                "ON CONFLICT (series, hour) DO UPDATE SET kwh = kwh + excluded.kwh",
                [(device, _ENERGY, hour, kwh) for (device, hour), kwh in energy.items()],
            )

    def _make_room(self) -> None:
        """Delete the oldest share of the samples (the transaction that failed is undone)."""
        count = int(self._db.execute("SELECT count(*) FROM samples").fetchone()[0])
        if count == 0:
            return
        offset = max(int(count * _MAKE_ROOM_SHARE), 1) - 1
        row = self._db.execute(
            "SELECT t FROM samples ORDER BY t LIMIT 1 OFFSET ?", (offset,)
        ).fetchone()
        with self._db:
            self._db.execute("DELETE FROM samples WHERE t <= ?", (row[0],))

    def prune(self, now: float) -> None:
        """Roll up samples older than `raw_for`; delete what is older than the limits allow."""
        cut = int(now - self.limits.raw_for) // self.limits.rollup * self.limits.rollup
        try:
            with self._db:
                self._roll_up(cut)
                self._db.execute(
                    "DELETE FROM samples WHERE t < ?", (int(now - self.limits.samples_for),)
                )
                self._db.execute(
                    "DELETE FROM energy WHERE hour < ?", (int(now - self.limits.energy_for),)
                )
        except sqlite3.OperationalError as exc:
            raise HistoryError(f"{self.path}: cannot prune history: {exc}") from None

    def _roll_up(self, cut: int) -> None:
        """Replace the raw samples from the last roll-up to `cut` by their bucket averages."""
        row = self._db.execute("SELECT value FROM meta WHERE name = 'rolled_until'").fetchone()
        start = 0 if row is None else int(row[0])
        if cut <= start:
            return
        step = self.limits.rollup
        averages = self._db.execute(
            "SELECT series, t / ? * ?, avg(v) FROM samples WHERE t >= ? AND t < ? "
            "GROUP BY series, t / ?",
            (step, step, start, cut, step),
        ).fetchall()
        self._db.execute("DELETE FROM samples WHERE t >= ? AND t < ?", (start, cut))
        self._db.executemany("INSERT INTO samples (series, t, v) VALUES (?, ?, ?)", averages)
        self._db.execute(
            "INSERT OR REPLACE INTO meta (name, value) VALUES ('rolled_until', ?)", (cut,)
        )

    # Reading ------------------------------------------------------------------------

    def points(self, device: str, key: str, since: float, until: float) -> list[Point]:
        """The samples of `device`'s `key` from `since` to `until`, oldest first."""
        rows = self._db.execute(
            "SELECT t, v FROM samples JOIN series ON series.id = samples.series "
            "WHERE device = ? AND key = ? AND t >= ? AND t <= ? ORDER BY t",
            (device, key, int(since), int(until)),
        )
        return [Point(float(t), float(v)) for t, v in rows]

    def keys(self, device: str) -> list[str]:
        """The keys `device` has samples of."""
        rows = self._db.execute(
            "SELECT key FROM series WHERE device = ? AND EXISTS "
            "(SELECT 1 FROM samples WHERE samples.series = series.id) ORDER BY key",
            (device,),
        )
        return [str(key) for (key,) in rows]

    def energy(
        self, device: str, resolution: Resolution, since: float, until: float
    ) -> list[Point]:
        """kWh per hour, or per UTC day, that start from `since` to `until`."""
        rows = self._db.execute(
            "SELECT hour, kwh FROM energy JOIN series ON series.id = energy.series "
            "WHERE device = ? AND key = ? AND hour >= ? AND hour <= ? ORDER BY hour",
            (device, _ENERGY, int(since), int(until)),
        )
        if resolution == "hour":
            return [Point(float(hour), float(kwh)) for hour, kwh in rows]
        days: dict[int, float] = {}
        for hour, kwh in rows:
            day = int(hour) // DAY * DAY
            days[day] = days.get(day, 0.0) + float(kwh)
        return [Point(float(day), kwh) for day, kwh in days.items()]

    def sample_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM samples").fetchone()[0])

    def size(self) -> int:
        """Bytes the database uses (pages in use, WAL included once checkpointed)."""
        pages = int(self._db.execute("PRAGMA page_count").fetchone()[0])
        free = int(self._db.execute("PRAGMA freelist_count").fetchone()[0])
        page_size = int(self._db.execute("PRAGMA page_size").fetchone()[0])
        return (pages - free) * page_size

    def close(self) -> None:
        self._db.close()


def open_database(
    directory: Path, limits: Limits | None = None
) -> tuple[HistoryDatabase, str | None]:
    """Open (or create) the history file in `directory`.

    Returns the database and, when the old file was unreadable and has been moved aside,
    a sentence saying so for the log. Raises HistoryError when no file can be made.
    """
    path = directory / FILE_NAME
    note = None
    try:
        connection = _connect(path)
    except sqlite3.DatabaseError as exc:
        moved = path.with_name(f"{FILE_NAME}.corrupt-{datetime.now(UTC):%Y%m%dT%H%M%SZ}")
        try:
            path.replace(moved)
            for suffix in ("-wal", "-shm"):
                path.with_name(FILE_NAME + suffix).unlink(missing_ok=True)
            connection = _connect(path)
        except (OSError, sqlite3.Error) as again:
            raise HistoryError(f"{path}: cannot open history: {again}") from None
        note = f"{path}: unreadable history file ({exc}) moved to {moved.name}; starting anew"
    except OSError as exc:
        raise HistoryError(f"{path}: cannot open history: {exc}") from None
    return HistoryDatabase(connection, path, limits or Limits()), note


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    connection = sqlite3.connect(path, isolation_level="DEFERRED", check_same_thread=False)
    try:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        # The WAL is checkpointed every 1 MiB and cut back to that size, so it stays small.
        connection.execute("PRAGMA wal_autocheckpoint = 256")
        connection.execute("PRAGMA journal_size_limit = 1048576")
        # The page cache is the one part of the daemon's memory that grows as it runs
        # (until full): 512 KiB, not SQLite's 2 MB, which the appends and plots never need.
        connection.execute("PRAGMA cache_size = -512")
        version = int(connection.execute("PRAGMA user_version").fetchone()[0])
        if version not in (0, _SCHEMA_VERSION):
            raise sqlite3.DatabaseError(f"schema version {version} is not {_SCHEMA_VERSION}")
        connection.executescript(_SCHEMA)
        connection.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
        connection.commit()
    except sqlite3.Error:
        connection.close()
        raise
    return connection
