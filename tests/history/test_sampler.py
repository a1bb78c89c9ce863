"""Which state changes become samples: numbers only, one per key per interval, none lost."""

from __future__ import annotations

import enum

from hypothesis import given
from hypothesis import strategies as st

from setsmart.history import Sample, Sampler, numeric_values


class _Level(enum.IntEnum):
    HIGH = 3


_VALUES = (
    st.none()
    | st.booleans()
    | st.integers(-(2**64), 2**64)  # float() of a longer one overflows, as it always did
    | st.floats(allow_nan=False)
    | st.text(max_size=3)
    | st.just(_Level.HIGH)
    | st.dictionaries(st.text(max_size=2), st.integers(), max_size=2)
)


def test_only_numbers_are_sampled() -> None:
    state = {
        "state": "ON",
        "power": 12.5,
        "brightness": 128,
        "oscillation": True,
        "dps": {"1": True},
        "last_seen": "2026-12-04T10:00:00Z",
        "color": {"h": 1, "s": 2},
    }
    assert dict(numeric_values(state)) == {"power": 12.5, "brightness": 128.0}


@given(st.dictionaries(st.sampled_from(["power", "last_seen", "dps", "x", "state"]), _VALUES))
def test_a_first_document_samples_what_numeric_values_gives(state: dict[str, object]) -> None:
    samples = Sampler().observe("plug", state, 100.0)
    assert samples == [Sample("plug", key, 100.0, v) for key, v in numeric_values(state)]


def test_first_value_is_written_at_once() -> None:
    sampler = Sampler(interval=5)
    assert sampler.observe("plug", {"power": 10.0}, 100.0) == [Sample("plug", "power", 100, 10)]


def test_changes_within_the_interval_wait_and_only_the_last_is_written() -> None:
    sampler = Sampler(interval=5)
    sampler.observe("plug", {"power": 10.0}, 100.0)
    assert sampler.observe("plug", {"power": 11.0}, 101.0) == []
    assert sampler.observe("plug", {"power": 12.0}, 102.0) == []
    assert sampler.due(104.0) == []
    assert sampler.due(105.0) == [Sample("plug", "power", 105.0, 12.0)]
    assert sampler.due(111.0) == []  # written once


def test_a_change_back_within_the_interval_writes_nothing() -> None:
    sampler = Sampler(interval=5)
    sampler.observe("plug", {"power": 10.0}, 100.0)
    sampler.observe("plug", {"power": 11.0}, 101.0)
    sampler.observe("plug", {"power": 10.0}, 102.0)
    assert sampler.due(200.0) == []


def test_after_the_interval_a_change_is_written_at_once() -> None:
    sampler = Sampler(interval=5)
    sampler.observe("plug", {"power": 10.0}, 100.0)
    assert sampler.observe("plug", {"power": 20.0}, 106.0) == [Sample("plug", "power", 106, 20)]


def test_an_unchanged_value_is_written_once_per_keepalive() -> None:
    sampler = Sampler(interval=5, keepalive=60)
    sampler.observe("plug", {"power": 10.0}, 100.0)
    assert sampler.observe("plug", {"power": 10.0}, 130.0) == []
    assert sampler.observe("plug", {"power": 10.0}, 160.0) == [Sample("plug", "power", 160, 10)]


def test_devices_and_keys_are_independent_and_can_be_forgotten() -> None:
    sampler = Sampler(interval=5)
    first = sampler.observe("a", {"power": 1.0, "voltage": 230.0}, 0.0)
    assert {(s.device, s.key) for s in first} == {("a", "power"), ("a", "voltage")}
    assert sampler.observe("b", {"power": 1.0}, 1.0) == [Sample("b", "power", 1.0, 1.0)]
    sampler.observe("a", {"power": 2.0}, 2.0)
    sampler.forget("a")
    assert sampler.due(100.0) == []
    assert sampler.observe("a", {"power": 3.0}, 101.0) == [Sample("a", "power", 101.0, 3.0)]
