"""The state directory: small JSON documents the daemon keeps across restarts.

Rules kept here:
- A save is atomic: the data goes to a temporary file in the same directory, is flushed
  and fsynced, replaces the old file with ``os.replace`` and the directory is fsynced. A
  crash at any moment leaves either the old document or the new one, never a mix.
- Files are 0600 (they may hold local keys) in a directory created 0700.
- A document that cannot be read back never stops the daemon: it is moved aside to
  ``<name>.json.corrupt-<UTC time>`` and reported with a readable :class:`StateFileCorrupt`;
  the data starts again from empty.
- Saves block on fsync (milliseconds, more on an SD card): call them from a thread
  (``asyncio.to_thread``) in the event loop. One store serialises its own writes.

Typed helpers at the bottom give what the daemon keeps: energy totals, local keys learnt
from the cloud, the retained MQTT topics published per device, cloud call counts, and each
watchdog's cycles of the day.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final, Generic, TypeGuard, TypeVar

from setsmart.atomicfile import fsync_directory, leftovers, replace_file
from setsmart.config.secret import Secret
from setsmart.daemon.watchdog_rule import Memory
from setsmart.devices.energy import EnergyMeter
from setsmart.devices.errors import EnergyStateError
from setsmart.errors import SetsmartError

STATE_DIR_ENV: Final = "SETSMART_STATE_DIR"
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_LEFTOVER_AGE: Final = 60.0  # seconds; a save takes milliseconds

Clock = Callable[[], datetime]
T = TypeVar("T")


class StateError(SetsmartError):
    """A state file could not be read or written; the message names the file."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(message)
        self.path = path


class StateFileCorrupt(StateError):
    """A state file was unreadable; it was moved aside (``moved_to``) and its data reset."""

    def __init__(self, path: Path, reason: str, moved_to: Path | None) -> None:
        where = (
            f"moved to {moved_to.name}"
            if moved_to is not None
            else "left in place (it could not be moved aside)"
        )
        super().__init__(
            path, f"state file {path} is corrupt ({reason}); {where}, its data starts again empty"
        )
        self.reason = reason
        self.moved_to = moved_to


def default_state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$SETSMART_STATE_DIR``, else systemd's ``$STATE_DIRECTORY``, else the XDG state home."""
    env = os.environ if environ is None else environ
    if env.get(STATE_DIR_ENV):
        return Path(env[STATE_DIR_ENV])
    if env.get("STATE_DIRECTORY"):
        # systemd lists one path per StateDirectory= entry, separated by colons.
        return Path(env["STATE_DIRECTORY"].split(":")[0])
    if env.get("XDG_STATE_HOME"):
        return Path(env["XDG_STATE_HOME"]) / "setsmart"
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    return home / ".local" / "state" / "setsmart"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class StateStore:
    """JSON documents by name (``[A-Za-z0-9_-]{1,64}``) in ``directory``."""

    def __init__(self, directory: Path, *, clock: Clock = _utc_now) -> None:
        self.directory = Path(directory)
        self._clock = clock
        self._lock = threading.Lock()

    def path(self, name: str) -> Path:
        """Where the document ``name`` lives."""
        if not _NAME.fullmatch(name):
            raise ValueError(f"state name {name!r} must match [A-Za-z0-9_-]{{1,64}}")
        return self.directory / f"{name}.json"

    def load(self, name: str) -> dict[str, Any] | None:
        """The document, or None if there is none yet.

        Raises StateFileCorrupt (after moving the file aside) when it is not a JSON
        object, and StateError when it exists but cannot be read (permissions).
        """
        path = self.path(name)
        with self._lock:
            self._remove_leftovers(path)
            try:
                raw = path.read_bytes()
            except FileNotFoundError:
                return None
            except OSError as exc:
                raise StateError(path, f"cannot read state file {path}: {exc.strerror}") from exc
            try:
                data = json.loads(raw.decode())
            except UnicodeDecodeError:
                raise self._set_aside(path, "not UTF-8 text") from None
            except json.JSONDecodeError as exc:
                reason = "empty" if not raw.strip() else f"not JSON: {exc.msg} at line {exc.lineno}"
                raise self._set_aside(path, reason) from None
            if not isinstance(data, dict):
                raise self._set_aside(path, f"a JSON {type(data).__name__}, not an object")
            return data

    def save(self, name: str, data: Mapping[str, Any]) -> None:
        """Replace the document atomically; StateError (naming the file) if it fails."""
        path = self.path(name)
        try:
            text = json.dumps(data, indent=1, sort_keys=True, allow_nan=False) + "\n"
        except (TypeError, ValueError) as exc:
            raise StateError(path, f"cannot save state file {path}: {exc}") from exc
        with self._lock:
            try:
                self._write(path, text.encode())
            except OSError as exc:
                reason = exc.strerror or str(exc)
                raise StateError(path, f"cannot save state file {path}: {reason}") from exc

    def _write(self, path: Path, payload: bytes) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        replace_file(path, payload, sync_directory=True)

    def _set_aside(self, path: Path, reason: str) -> StateFileCorrupt:
        stamp = self._clock().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = path.with_name(f"{path.name}.corrupt-{stamp}")
        for count in range(2, 100):
            if not target.exists():
                break
            target = path.with_name(f"{path.name}.corrupt-{stamp}-{count}")
        try:
            path.replace(target)
            fsync_directory(self.directory)
        except OSError:
            return StateFileCorrupt(path, reason, None)
        return StateFileCorrupt(path, reason, target)

    def _remove_leftovers(self, path: Path) -> None:
        """Temporary files of saves a crash interrupted. Only old ones: a fresh one may be
        another process's save in progress (the lock covers this store only)."""
        cutoff = time.time() - _LEFTOVER_AGE
        with contextlib.suppress(OSError):
            for leftover in leftovers(path):
                with contextlib.suppress(OSError):
                    if leftover.stat().st_mtime < cutoff:
                        leftover.unlink()


# --- what the daemon keeps --------------------------------------------------------------

ENERGY: Final = "energy"
LOCAL_KEYS: Final = "local_keys"
PUBLISHED: Final = "published"
CLOUD_USAGE: Final = "cloud_usage"
_FORMAT: Final = 1


@dataclass(frozen=True, slots=True)
class Loaded(Generic[T]):
    """A typed document, and what had to be dropped to read it (for the log)."""

    value: T
    problems: tuple[StateError, ...] = ()


@dataclass(slots=True)
class CloudUsage:
    """Cloud API calls made this month (UTC): cloud projects have a monthly quota."""

    month: str = field(default_factory=lambda: _month(_utc_now()))
    calls: int = 0
    failures: int = 0

    def record(self, *, ok: bool = True, now: datetime | None = None) -> None:
        """Count one call; a new month starts the counts again."""
        month = _month(now or _utc_now())
        if month != self.month:
            self.month, self.calls, self.failures = month, 0, 0
        self.calls += 1
        if not ok:
            self.failures += 1


def _month(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m")


def load_energy(store: StateStore) -> Loaded[dict[str, EnergyMeter]]:
    """Energy totals by device id."""
    entries, problems = _load_devices(store, ENERGY)
    meters: dict[str, EnergyMeter] = {}
    for device_id, entry in entries.items():
        try:
            meters[device_id] = EnergyMeter.from_dict(entry)
        except EnergyStateError as exc:
            problems.append(_bad_entry(store, ENERGY, device_id, str(exc)))
    return Loaded(meters, tuple(problems))


def save_energy(store: StateStore, meters: Mapping[str, EnergyMeter]) -> None:
    """Save the energy totals of every device (by device id)."""
    _save_devices(store, ENERGY, {key: meter.to_dict() for key, meter in meters.items()})


def load_local_keys(store: StateStore) -> Loaded[dict[str, Secret]]:
    """Local keys learnt from the cloud, by device id."""
    entries, problems = _load_devices(store, LOCAL_KEYS)
    keys: dict[str, Secret] = {}
    for device_id, value in entries.items():
        if isinstance(value, str) and value:
            keys[device_id] = Secret(value)
        else:
            # Never echo the value: it may be a key.
            problems.append(_bad_entry(store, LOCAL_KEYS, device_id, "not a non-empty string"))
    return Loaded(keys, tuple(problems))


def save_local_keys(store: StateStore, keys: Mapping[str, Secret]) -> None:
    """Save local keys (by device id); the file is 0600 like every state file."""
    _save_devices(store, LOCAL_KEYS, {key: secret.reveal() for key, secret in keys.items()})


def load_published(store: StateStore) -> Loaded[dict[str, tuple[str, ...]]]:
    """Retained MQTT topics published per device id (Home Assistant discovery configs,
    state, availability), so that those of a device removed from the config are cleared."""
    entries, problems = _load_devices(store, PUBLISHED)
    published: dict[str, tuple[str, ...]] = {}
    for device_id, topics in entries.items():
        if isinstance(topics, list) and all(isinstance(t, str) and t for t in topics):
            published[device_id] = tuple(topics)
        else:
            problems.append(_bad_entry(store, PUBLISHED, device_id, "not a list of topics"))
    return Loaded(published, tuple(problems))


def save_published(store: StateStore, published: Mapping[str, Iterable[str]]) -> None:
    """Save the retained topics published per device id."""
    _save_devices(store, PUBLISHED, {key: sorted(set(t)) for key, t in published.items()})


def load_cloud_usage(store: StateStore) -> Loaded[CloudUsage]:
    """This month's cloud call counts (zero when none were saved)."""
    data, problems = _load(store, CLOUD_USAGE)
    if data is None:
        return Loaded(CloudUsage(), tuple(problems))
    month, calls, failures = data.get("month"), data.get("calls"), data.get("failures")
    if (
        isinstance(month, str)
        and re.fullmatch(r"\d{4}-\d{2}", month)
        and _is_count(calls)
        and _is_count(failures)
    ):
        return Loaded(CloudUsage(month, calls, failures), tuple(problems))
    problems.append(_bad_entry(store, CLOUD_USAGE, None, "month, calls or failures invalid"))
    return Loaded(CloudUsage(), tuple(problems))


def _is_count(value: object) -> TypeGuard[int]:
    return type(value) is int and value >= 0


def save_cloud_usage(store: StateStore, usage: CloudUsage) -> None:
    """Save the cloud call counts."""
    store.save(
        CLOUD_USAGE,
        {"format": _FORMAT, "month": usage.month, "calls": usage.calls, "failures": usage.failures},
    )


def _load(store: StateStore, name: str) -> tuple[dict[str, Any] | None, list[StateError]]:
    try:
        data = store.load(name)
    except StateError as exc:
        return None, [exc]
    if data is not None and data.get("format") != _FORMAT:
        found = data.get("format")
        return None, [_bad_entry(store, name, None, f"format {found!r}, expected {_FORMAT}")]
    return data, []


def _load_devices(store: StateStore, name: str) -> tuple[dict[str, object], list[StateError]]:
    data, problems = _load(store, name)
    if data is None:
        return {}, problems
    devices = data.get("devices")
    if not isinstance(devices, dict):
        return {}, [*problems, _bad_entry(store, name, None, "'devices' is not an object")]
    return devices, problems


def _save_devices(store: StateStore, name: str, devices: Mapping[str, object]) -> None:
    store.save(name, {"format": _FORMAT, "devices": dict(devices)})


def load_devices(store: StateStore, name: str) -> tuple[dict[str, object], list[StateError]]:
    """The entries of a per-device document (`{"format", "devices"}`), and what was dropped."""
    return _load_devices(store, name)


def save_devices(store: StateStore, name: str, devices: Mapping[str, object]) -> None:
    """Save a per-device document (entries by device id)."""
    _save_devices(store, name, devices)


def _bad_entry(store: StateStore, name: str, device_id: str | None, reason: str) -> StateError:
    path = store.path(name)
    what = f"entry {device_id!r}" if device_id is not None else "content"
    return StateError(path, f"state file {path}: {what} ignored ({reason}); it starts again empty")


# --- watchdogs ------------------------------------------------------------------------

WATCHDOGS: Final = "watchdogs"


@dataclass(frozen=True, slots=True)
class WatchdogRecord:
    """What a watchdog keeps across restarts: its day's cycle count, its last cycle, and
    the retained topics it published (cleared once it is removed from the config)."""

    memory: Memory
    topics: tuple[str, ...] = ()


def load_watchdogs(store: StateStore) -> Loaded[dict[str, WatchdogRecord]]:
    """The records of the watchdogs, by name."""
    data, problems = _load(store, WATCHDOGS)
    entries = {} if data is None else data.get("watchdogs")
    if not isinstance(entries, dict):
        problems.append(_bad_entry(store, WATCHDOGS, None, "'watchdogs' is not an object"))
        return Loaded({}, tuple(problems))
    records: dict[str, WatchdogRecord] = {}
    for name, entry in entries.items():
        try:
            records[name] = _watchdog_record(entry)
        except (TypeError, ValueError) as exc:
            problems.append(_bad_entry(store, WATCHDOGS, name, str(exc)))
    return Loaded(records, tuple(problems))


def _watchdog_record(entry: object) -> WatchdogRecord:
    if not isinstance(entry, dict):
        raise TypeError("not an object")
    day, count, last, topics = (
        entry.get("day"),
        entry.get("cycles_today"),
        entry.get("last_cycle"),
        entry.get("topics", []),
    )
    if not _is_count(count):
        raise ValueError("cycles_today is not a count")
    if not isinstance(topics, list) or not all(isinstance(t, str) and t for t in topics):
        raise ValueError("topics is not a list of topics")
    if day is not None and not isinstance(day, str):
        raise TypeError("day is not a date")
    if last is not None and not isinstance(last, str):
        raise TypeError("last_cycle is not a time")
    last_cycle = None if last is None else datetime.fromisoformat(last)
    if last_cycle is not None and last_cycle.tzinfo is None:
        raise ValueError("last_cycle has no time zone")
    memory = Memory(None if day is None else date.fromisoformat(day), count, last_cycle)
    return WatchdogRecord(memory, tuple(topics))


def save_watchdogs(store: StateStore, records: Mapping[str, WatchdogRecord]) -> None:
    """Save the records of the watchdogs, by name."""
    entries = {
        name: {
            "day": None if r.memory.day is None else r.memory.day.isoformat(),
            "cycles_today": r.memory.cycles_today,
            "last_cycle": None if r.memory.last_cycle is None else r.memory.last_cycle.isoformat(),
            "topics": sorted(set(r.topics)),
        }
        for name, r in records.items()
    }
    store.save(WATCHDOGS, {"format": _FORMAT, "watchdogs": entries})
