"""The state directory: atomic saves that survive crashes, 0600 files, corrupt files set aside."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from setsmart.config import Secret
from setsmart.daemon.store import (
    CloudUsage,
    StateError,
    StateFileCorrupt,
    StateStore,
    default_state_dir,
    load_cloud_usage,
    load_energy,
    load_local_keys,
    load_published,
    save_cloud_usage,
    save_energy,
    save_local_keys,
    save_published,
)
from setsmart.devices import EnergyMeter

FIXED = datetime(2024, 5, 1, 12, 30, 45, tzinfo=UTC)
SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def store(state_dir: Path) -> StateStore:
    return StateStore(state_dir, clock=lambda: FIXED)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


# --- saving and loading ------------------------------------------------------------------


def test_missing_document_is_none(store: StateStore, state_dir: Path) -> None:
    assert store.load("energy") is None
    assert not state_dir.exists()  # loading creates nothing


def test_save_then_load(store: StateStore, state_dir: Path) -> None:
    store.save("energy", {"a": 1, "b": [1.5, "x"], "c": {"d": None}})
    assert store.load("energy") == {"a": 1, "b": [1.5, "x"], "c": {"d": None}}
    assert json.loads((state_dir / "energy.json").read_text()) == {
        "a": 1,
        "b": [1.5, "x"],
        "c": {"d": None},
    }
    assert leftovers(state_dir) == []


def test_files_are_private(store: StateStore, state_dir: Path) -> None:
    old = os.umask(0)
    try:
        store.save("local_keys", {"k": "v"})
    finally:
        os.umask(old)
    assert stat.S_IMODE(state_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((state_dir / "local_keys.json").stat().st_mode) == 0o600


def test_existing_directory_is_left_as_it_is(tmp_path: Path) -> None:
    tmp_path.chmod(0o750)
    StateStore(tmp_path).save("x", {})
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o750


def test_save_replaces(store: StateStore) -> None:
    store.save("energy", {"v": 1})
    store.save("energy", {"v": 2})
    assert store.load("energy") == {"v": 2}


@pytest.mark.parametrize("name", ["", "../escape", "a/b", "with.dot", "x" * 65])
def test_names_are_checked(store: StateStore, name: str) -> None:
    with pytest.raises(ValueError, match="state name"):
        store.save(name, {})


def test_unserialisable_data_is_an_error_and_keeps_the_old_file(
    store: StateStore, state_dir: Path
) -> None:
    store.save("energy", {"v": 1})
    with pytest.raises(StateError, match=r"cannot save state file .*energy\.json"):
        store.save("energy", {"v": {1, 2}})
    with pytest.raises(StateError, match=r"energy\.json"):
        store.save("energy", {"v": float("nan")})
    assert store.load("energy") == {"v": 1}
    assert leftovers(state_dir) == []


def test_unwritable_directory_is_a_readable_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    store = StateStore(blocker / "state")
    with pytest.raises(StateError) as caught:
        store.save("energy", {})
    assert str(caught.value) == (
        f"cannot save state file {blocker / 'state' / 'energy.json'}: Not a directory"
    )


def test_unreadable_file_is_an_error_not_set_aside(store: StateStore, state_dir: Path) -> None:
    (state_dir / "energy.json").mkdir(parents=True)  # reading a directory fails
    with pytest.raises(StateError, match=r"cannot read state file .*energy\.json") as caught:
        store.load("energy")
    assert not isinstance(caught.value, StateFileCorrupt)
    assert (state_dir / "energy.json").is_dir()


# --- crashes -------------------------------------------------------------------------------


def run_python(code: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.Popen(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", textwrap.dedent(code), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_crash_before_the_rename_keeps_the_old_file(store: StateStore, state_dir: Path) -> None:
    store.save("energy", {"generation": "old"})
    # The process dies after writing the new data to its temporary file, at the fsync
    # before the rename: exactly where a power cut would hurt a non-atomic save.
    crash = run_python(
        """
        import os, sys
        from pathlib import Path
        from setsmart.daemon.store import StateStore
        os.fsync = lambda fd: os._exit(17)
        StateStore(Path(sys.argv[1])).save("energy", {"generation": "new"})
        """,
        str(state_dir),
    )
    assert crash.wait(timeout=20) == 17
    [leftover] = leftovers(state_dir)  # the half-done save
    assert store.load("energy") == {"generation": "old"}
    assert leftovers(state_dir) == [leftover]  # fresh: it might be another save in progress
    an_hour_ago = time.time() - 3600
    os.utime(state_dir / leftover, (an_hour_ago, an_hour_ago))
    assert store.load("energy") == {"generation": "old"}
    assert leftovers(state_dir) == []  # an old one is cleared


def test_killed_while_saving_leaves_a_whole_document(store: StateStore, state_dir: Path) -> None:
    writer = run_python(
        """
        import sys
        from pathlib import Path
        from setsmart.daemon.store import StateStore
        store = StateStore(Path(sys.argv[1]))
        for n in range(100_000):
            store.save("energy", {"n": n, "pad": "x" * (20_000 + n % 7 * 5_000)})
            if n == 3:
                print("saving", flush=True)
        """,
        str(state_dir),
    )
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline() == "saving\n"
        time.sleep(0.05)
    finally:
        writer.kill()
        writer.wait(timeout=20)
    assert writer.returncode < 0  # it was killed mid-loop, not finished
    data = store.load("energy")
    assert data is not None
    assert data["n"] >= 3
    assert data["pad"] == "x" * (20_000 + data["n"] % 7 * 5_000)


def test_concurrent_saves_and_loads(store: StateStore, state_dir: Path) -> None:
    errors: list[BaseException] = []
    seen: list[dict[str, object]] = []
    stop = threading.Event()

    def writer(number: int) -> None:
        try:
            for step in range(15):
                store.save("energy", {"writer": number, "step": step, "pad": "y" * 5000})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def reader() -> None:
        other = StateStore(state_dir)  # a second store: no shared lock
        while not stop.is_set():
            try:
                data = other.load("energy")
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                return
            if data is not None:
                seen.append(data)

    writers = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    reading = threading.Thread(target=reader)
    reading.start()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(timeout=20)
    stop.set()
    reading.join(timeout=20)

    assert errors == []
    assert seen  # the reader did read while writers wrote
    assert all(data["pad"] == "y" * 5000 for data in seen)
    final = store.load("energy")
    assert final is not None
    assert final["writer"] in range(6)
    assert leftovers(state_dir) == []


# --- corrupt files -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"kwh": 1.5', "not JSON: Expecting ',' delimiter at line 1"),
        (b"", "empty"),
        (b"\xff\xfe\x00garbage", "not UTF-8 text"),
        (b"[1, 2]", "a JSON list, not an object"),
    ],
)
def test_corrupt_file_is_set_aside_and_reported(
    store: StateStore, state_dir: Path, content: bytes, reason: str
) -> None:
    state_dir.mkdir()
    (state_dir / "energy.json").write_bytes(content)
    with pytest.raises(StateFileCorrupt) as caught:
        store.load("energy")
    moved = state_dir / "energy.json.corrupt-20240501T123045Z"
    assert str(caught.value) == (
        f"state file {state_dir / 'energy.json'} is corrupt ({reason}); "
        "moved to energy.json.corrupt-20240501T123045Z, its data starts again empty"
    )
    assert caught.value.moved_to == moved
    assert moved.read_bytes() == content
    assert store.load("energy") is None  # reset, and the daemon goes on
    store.save("energy", {"ok": True})
    assert store.load("energy") == {"ok": True}


def test_corrupt_twice_in_a_second_keeps_both(store: StateStore, state_dir: Path) -> None:
    state_dir.mkdir()
    for content in (b"first", b"second"):
        (state_dir / "energy.json").write_bytes(content)
        with pytest.raises(StateFileCorrupt):
            store.load("energy")
    assert (state_dir / "energy.json.corrupt-20240501T123045Z").read_bytes() == b"first"
    assert (state_dir / "energy.json.corrupt-20240501T123045Z-2").read_bytes() == b"second"


# --- where the state lives ---------------------------------------------------------------


def test_state_dir_from_setsmart_variable() -> None:
    env = {"SETSMART_STATE_DIR": "/srv/setsmart", "STATE_DIRECTORY": "/var/lib/setsmart"}
    assert default_state_dir(env) == Path("/srv/setsmart")


def test_state_dir_from_systemd() -> None:
    env = {"STATE_DIRECTORY": "/var/lib/setsmart:/var/lib/other", "HOME": "/home/u"}
    assert default_state_dir(env) == Path("/var/lib/setsmart")


def test_state_dir_from_xdg() -> None:
    assert default_state_dir({"XDG_STATE_HOME": "/x", "HOME": "/home/u"}) == Path("/x/setsmart")


def test_state_dir_in_home() -> None:
    assert default_state_dir({"HOME": "/home/u"}) == Path("/home/u/.local/state/setsmart")


def test_state_dir_defaults_to_the_process_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SETSMART_STATE_DIR", str(tmp_path))
    assert default_state_dir() == tmp_path


# --- what the daemon keeps ---------------------------------------------------------------


def test_energy_totals_round_trip(store: StateStore) -> None:
    assert load_energy(store).value == {}
    save_energy(store, {"bf01": EnergyMeter(kwh=12.345), "bf02": EnergyMeter()})
    loaded = load_energy(store)
    assert loaded.problems == ()
    assert loaded.value == {"bf01": EnergyMeter(kwh=12.345), "bf02": EnergyMeter(kwh=0.0)}


def test_a_bad_energy_entry_drops_only_that_device(store: StateStore) -> None:
    store.save("energy", {"format": 1, "devices": {"bf01": {"kwh": 3.0}, "bf02": {"kwh": -1}}})
    loaded = load_energy(store)
    assert loaded.value == {"bf01": EnergyMeter(kwh=3.0)}
    [problem] = loaded.problems
    assert "energy.json: entry 'bf02' ignored" in str(problem)


def test_corrupt_energy_file_starts_from_zero(store: StateStore, state_dir: Path) -> None:
    state_dir.mkdir()
    (state_dir / "energy.json").write_text("{{{")
    loaded = load_energy(store)
    assert loaded.value == {}
    [problem] = loaded.problems
    assert isinstance(problem, StateFileCorrupt)
    assert "energy.json is corrupt" in str(problem)
    assert "its data starts again empty" in str(problem)


def test_unknown_format_is_reported(store: StateStore) -> None:
    store.save("energy", {"format": 99, "devices": {"bf01": {"kwh": 1.0}}})
    loaded = load_energy(store)
    assert loaded.value == {}
    assert "format 99, expected 1" in str(loaded.problems[0])


def test_local_keys_round_trip_without_showing_them(store: StateStore, state_dir: Path) -> None:
    save_local_keys(store, {"bf01": Secret("0123456789abcdef")})
    assert stat.S_IMODE((state_dir / "local_keys.json").stat().st_mode) == 0o600
    loaded = load_local_keys(store)
    assert loaded.problems == ()
    assert {k: v.reveal() for k, v in loaded.value.items()} == {"bf01": "0123456789abcdef"}
    assert "0123456789abcdef" not in repr(loaded)


def test_a_bad_local_key_is_reported_without_its_value(store: StateStore) -> None:
    store.save("local_keys", {"format": 1, "devices": {"bf01": "", "bf02": 1234567890123456}})
    loaded = load_local_keys(store)
    assert loaded.value == {}
    assert len(loaded.problems) == 2
    assert all("1234567890123456" not in str(problem) for problem in loaded.problems)


def test_published_topics_round_trip(store: StateStore) -> None:
    topics = [
        "homeassistant/switch/bf01/switch/config",
        "homeassistant/sensor/bf01/power/config",
        "homeassistant/switch/bf01/switch/config",
    ]
    save_published(store, {"bf01": topics, "bf02": ()})
    loaded = load_published(store)
    assert loaded.value == {
        "bf01": (
            "homeassistant/sensor/bf01/power/config",
            "homeassistant/switch/bf01/switch/config",
        ),
        "bf02": (),
    }


def test_bad_published_entry_is_reported(store: StateStore) -> None:
    store.save("published", {"format": 1, "devices": {"bf01": "topic", "bf02": ["a/b"]}})
    loaded = load_published(store)
    assert loaded.value == {"bf02": ("a/b",)}
    assert "entry 'bf01' ignored (not a list of topics)" in str(loaded.problems[0])


def test_published_devices_not_an_object(store: StateStore) -> None:
    store.save("published", {"format": 1, "devices": []})
    loaded = load_published(store)
    assert loaded.value == {}
    assert "'devices' is not an object" in str(loaded.problems[0])


def test_cloud_usage_counts_per_month(store: StateStore) -> None:
    usage = load_cloud_usage(store).value
    assert usage.calls == 0
    may = datetime(2024, 5, 31, 23, 59, tzinfo=UTC)
    usage.record(now=may)
    usage.record(ok=False, now=may)
    save_cloud_usage(store, usage)
    loaded = load_cloud_usage(store).value
    assert loaded == CloudUsage(month="2024-05", calls=2, failures=1)
    loaded.record(now=datetime(2024, 6, 1, 0, 0, tzinfo=UTC))
    assert loaded == CloudUsage(month="2024-06", calls=1, failures=0)


def test_invalid_cloud_usage_is_reset(store: StateStore) -> None:
    store.save("cloud_usage", {"format": 1, "month": "May", "calls": True, "failures": 0})
    loaded = load_cloud_usage(store)
    assert loaded.value.calls == 0
    assert "cloud_usage.json: content ignored" in str(loaded.problems[0])
