"""The daemon's history: state documents in, batches written on a thread of their own.

Rules:
- `observe` runs on the event loop for every published state: it only notes the document
  and the time (a state change is most of what the daemon does); the documents are
  sampled, in the order they came, when the next batch is made. Everything that touches
  the file runs on one thread that the recorder owns.
- Batches are written every `flush_every` seconds; roll-up and retention every
  `prune_every`.
- A full disk pauses history with one `warning` (what was sampled meanwhile waits, up to
  `max_backlog` samples, the oldest dropped first; energy is never dropped) and it
  resumes by itself with one `info` line. Any other failure of the file stops history
  with one `error` line. Control of the devices never waits for, nor stops with, history.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Literal, TypeVar

from setsmart.history import (
    HistoryDatabase,
    HistoryError,
    HistoryFull,
    HourlyEnergy,
    Limits,
    Point,
    Sample,
    Sampler,
    open_database,
)
from setsmart.history.database import Resolution

Level = Literal["info", "warning", "error"]
T = TypeVar("T")

_OPEN_WAIT = 5.0  # seconds a query waits for the file to open after a start


class HistoryUnavailable(Exception):
    """History is off (it failed, or the recorder is not running); the message says why."""


class HistoryRecorder:
    """Samples state documents and keeps them in the state directory's history file."""

    def __init__(
        self,
        directory: Path,
        report: Callable[[Level, str], None],
        *,
        limits: Limits | None = None,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        flush_every: float = 2.0,
        prune_every: float = 600.0,
        max_backlog: int = 200_000,
    ) -> None:
        self._directory = directory
        self._report = report
        self._limits = limits or Limits()
        self._wall = wall
        self._sleep = sleep
        self.flush_every = flush_every
        self.prune_every = prune_every
        self.max_backlog = max_backlog
        self._sampler = Sampler()
        self._energy = HourlyEnergy()
        self._observed: list[tuple[str, Mapping[str, object], float]] = []
        self._backlog: list[Sample] = []
        self._db: HistoryDatabase | None = None
        self._failed: str | None = None
        self._paused = False
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="setsmart-history")
        #: Set once the file is open, or history has failed to open it.
        self.ready = asyncio.Event()

    # On the event loop ----------------------------------------------------------------

    def observe(self, device: str, state: Mapping[str, object]) -> None:
        """A state document `device` published (kept until the next batch: it must not
        change meanwhile, and the daemon makes a new document for every state)."""
        if self._failed is None:
            self._observed.append((device, state, self._wall()))

    def forget(self, device: str) -> None:
        """`device` left the configuration: its history stays, its sampling state goes."""
        self._sample()
        self._sampler.forget(device)

    async def run(self) -> None:
        """Open the file, then write and prune until cancelled or failed (a last write on the
        way out)."""
        try:
            opened = await self._open()
            self.ready.set()
            if not opened:
                return
            next_prune = 0.0
            while self._db is not None:  # a failure closes the history for good
                await self._sleep(self.flush_every)
                await self.flush()
                if self._db is not None and self._wall() >= next_prune:
                    next_prune = self._wall() + self.prune_every
                    try:
                        await self._on_thread(partial(self._db.prune, self._wall()))
                    except HistoryError as exc:
                        self._fail(str(exc))
        finally:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._close())

    async def flush(self) -> None:
        """Write what has been sampled so far (tests call this instead of waiting)."""
        self._sample()
        if self._db is None:
            return
        samples = self._backlog + self._sampler.due(self._wall())
        self._backlog = []
        energy = self._energy.take()
        try:
            await self._on_thread(partial(self._db.write, samples, energy))
        except HistoryFull as exc:
            self._energy.put_back(energy)
            self._backlog = samples[-self.max_backlog :]
            if not self._paused:
                self._paused = True
                self._report("warning", f"history paused: {exc}; control of the devices goes on")
            return
        except HistoryError as exc:
            self._fail(str(exc))
            return
        if self._paused:
            self._paused = False
            self._report("info", "history resumed: the disk has room again")

    def _sample(self) -> None:
        """The samples and energy of the documents observed since the last time."""
        observed, self._observed = self._observed, []
        backlog, sampler, energy = self._backlog, self._sampler, self._energy
        for device, state, t in observed:
            backlog += sampler.observe(device, state, t)
            total = state.get("energy")
            if isinstance(total, int | float) and not isinstance(total, bool):
                energy.observe(device, float(total), t)
        if len(backlog) > self.max_backlog:
            del backlog[: len(backlog) - self.max_backlog]

    # Queries (the HTTP API and the CLI) ------------------------------------------------

    async def points(self, device: str, key: str, since: float, until: float) -> list[Point]:
        db = await self._usable()
        return await self._on_thread(partial(db.points, device, key, since, until))

    async def energy(
        self, device: str, resolution: Resolution, since: float, until: float
    ) -> list[Point]:
        db = await self._usable()
        return await self._on_thread(partial(db.energy, device, resolution, since, until))

    async def keys(self, device: str) -> list[str]:
        db = await self._usable()
        return await self._on_thread(partial(db.keys, device))

    # Internals ------------------------------------------------------------------------

    async def _opened(self) -> None:
        """Until the file is open (or failed to open): a query that comes in the first
        moments after a start waits for it rather than being turned away."""
        if not self.ready.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(_OPEN_WAIT):
                    await self.ready.wait()

    async def _usable(self) -> HistoryDatabase:
        await self._opened()
        if self._failed is not None:
            raise HistoryUnavailable(f"history is off: {self._failed}")
        if self._db is None:
            raise HistoryUnavailable("history is not open yet")
        return self._db

    async def _on_thread(self, call: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, call)

    async def _open(self) -> bool:
        try:
            self._db, note = await self._on_thread(
                partial(open_database, self._directory, self._limits)
            )
        except HistoryError as exc:
            self._fail(str(exc))
            return False
        if note is not None:
            self._report("warning", note)
        return True

    def _fail(self, reason: str) -> None:
        if self._failed is None:
            self._failed = reason
            self._observed = []
            self._backlog = []
            self._db = None
            self._report("error", f"history stopped: {reason}; control of the devices goes on")

    async def _close(self) -> None:
        await self.flush()  # never waits for an open: `run` has ended
        db, self._db = self._db, None
        if db is not None:
            await self._on_thread(db.close)
        self._thread.shutdown(wait=False)
