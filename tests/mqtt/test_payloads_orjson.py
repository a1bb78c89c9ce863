"""encode_json writes with orjson where that gives the json module's bytes: its output
is the json encoder's (compact, UTF-8 as is, NaN and infinities as null) for any
document, whichever of the two writes it."""

from __future__ import annotations

import enum
import json
import math
import uuid
from collections.abc import Callable, Mapping

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from setsmart.mqtt.payloads import encode_json, encode_json_bytes

_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _finite(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def _by_json(document: object) -> str:
    """What encode_json wrote before orjson: the json encoder, NaN written as null."""
    try:
        return _JSON.encode(document)
    except ValueError:
        return _JSON.encode(_finite(document))


class _Text(str):
    pass


class _Integer(int):
    pass


class _Float(float):
    pass


class _Colour(enum.StrEnum):
    RED = "red"


class _Level(enum.IntEnum):
    HIGH = 3


_SURROGATES = st.integers(0xD800, 0xDFFF).map(chr)
_TEXT = st.text(st.characters() | _SURROGATES, max_size=12) | st.sampled_from(
    ["", "Küche", "\x00\x1f\x7f", "\u2028\u2029", '"\\/', "\U0001f600", "3e8", "e-5"]
)
_FLOATS = (
    st.floats()
    | st.floats(min_value=-1e-3, max_value=1e-3)
    | st.sampled_from([1e-4, 9.999999999999999e-05, 1e16, 9999999999999998.0, -0.0, 5e-324])
)
_INTEGERS = st.integers() | st.sampled_from([2**63 - 1, -(2**63), 2**64 - 1, 2**64, -(2**63) - 1])
_SCALARS = (
    st.none()
    | st.booleans()
    | _INTEGERS
    | _FLOATS
    | _TEXT
    | _TEXT.map(_Text)
    | _INTEGERS.map(_Integer)
    | _FLOATS.map(_Float)
    | st.sampled_from([_Colour.RED, _Level.HIGH])
)
_KEYS = (
    _TEXT
    | _TEXT.map(_Text)
    | st.sampled_from([_Colour.RED, _Level.HIGH])
    | st.integers()
    | st.floats()
    | st.booleans()
    | st.none()
)
_DOCUMENTS = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.lists(inner, max_size=5).map(tuple)
        | st.dictionaries(_KEYS, inner, max_size=5)
    ),
    max_leaves=30,
)


@given(_DOCUMENTS)
@settings(max_examples=1000)
@example({"state": "ON", "power": 23.0, "voltage": 230.1, "current": 0.5, "energy": 12.0})
@example({"dps": {"5": math.nan, "6": [math.inf, -math.inf, 1.5e-7]}, "t": (1, "x")})
@example({"1": 1e16, "2": 1.5e-05, "3": 2**64, "4": "\ud800"})
def test_encode_json_writes_what_the_json_encoder_writes(document: object) -> None:
    expected = _outcome(_by_json, document)
    assert _outcome(encode_json, document) == expected
    # As UTF-8: a lone surrogate has none, and fails as `str.encode` fails.
    assert _outcome(encode_json_bytes, document) == _outcome(
        lambda d: _by_json(d).encode(), document
    )


def _outcome(encode: Callable[[object], str | bytes], document: object) -> object:
    """What `encode` writes, or the kind of exception it raises (an infinite key)."""
    try:
        return encode(document)
    except (TypeError, ValueError) as exc:
        return type(exc)


@given(_FLOATS)
@settings(max_examples=5000)
def test_every_float_is_written_as_json_writes_it(number: float) -> None:
    assert encode_json([number, {"v": number}]) == _by_json([number, {"v": number}])


class _Plain(enum.Enum):
    ONE = 1


@pytest.mark.parametrize("value", [_Plain.ONE, uuid.UUID(int=1), {1, 2}, object()])
def test_what_json_refuses_is_still_refused(value: object) -> None:
    with pytest.raises(TypeError):
        _JSON.encode({"v": [value]})
    with pytest.raises(TypeError):
        encode_json({"v": [value]})
    with pytest.raises(TypeError):
        encode_json_bytes({"v": [value]})


def test_a_deep_document_is_written_as_json_writes_it() -> None:
    deep: object = 1.5
    for _ in range(300):  # past orjson's limit of nesting
        deep = [deep]
    assert encode_json(deep) == _by_json(deep)


def test_a_circular_document_fails_as_it_did() -> None:
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises((ValueError, RecursionError)):
        _by_json(loop)
    with pytest.raises((ValueError, RecursionError)):
        encode_json(loop)
