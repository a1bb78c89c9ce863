"""The fast JSON paths give exactly what the json module's one-call functions give."""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping
from enum import Enum, IntEnum
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from setsmart.protocol import Version
from setsmart.protocol.messages import (
    control_body,
    dumps,
    heartbeat_body,
    loads_object,
    status_body,
    update_dps_body,
)

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
keys = st.text() | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=12,
)


def reference_dumps(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


@given(values)
def test_dumps_is_compact_json(obj: object) -> None:
    assert dumps(obj) == reference_dumps(obj)


def test_dumps_still_refuses_what_json_refuses() -> None:
    loop: dict[str, Any] = {}
    loop["self"] = loop
    with pytest.raises(ValueError, match="Circular reference"):
        dumps(loop)
    with pytest.raises(TypeError, match="not JSON serializable"):
        dumps({"1": b"bytes"})
    assert dumps({"dps": {"1": True}}) == b'{"dps":{"1":true}}'  # once more after failures


def reference_loads_object(text: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def same_parse(text: bytes) -> None:
    got, want = loads_object(text), reference_loads_object(text)
    # NaN != NaN, so compare what both parsed by its JSON text
    assert json.dumps(got) == json.dumps(want), text


objects = st.dictionaries(st.text(), values, max_size=4)
json_space = st.text(alphabet=" \t\n\r", max_size=3)
encodings = st.sampled_from(
    ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le"]
)


@given(values, json_space, json_space, encodings)
def test_loads_object_reads_what_json_loads_reads(
    value: object, before: str, after: str, encoding: str
) -> None:
    same_parse(
        (before + json.dumps(value, ensure_ascii=False) + after).encode(encoding, "surrogatepass")
    )


@given(objects, st.binary(max_size=6))
def test_loads_object_refuses_what_json_loads_refuses(value: dict[str, Any], tail: bytes) -> None:
    text = json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")
    same_parse(text + tail)
    same_parse(text[: len(text) // 2] + tail)


@given(st.binary(max_size=12))
def test_loads_object_on_any_bytes(junk: bytes) -> None:
    same_parse(b"{" + junk)
    same_parse(junk)


@pytest.mark.parametrize(
    "text",
    [
        b"{",
        b"{}",
        b'{"a":1} \t\r\n',
        b'{"a":1} x',
        b'{"a":1}\x00\x00',
        b'{"a":1}\x0c',  # form feed: whitespace to Python, not to JSON
        b'{"a":NaN,"b":-Infinity}',
        b'{"s":"\xed\xa0\x80"}',  # a lone surrogate, which json.loads lets through
        b'{"s":"\xff"}',
        b'\xef\xbb\xbf{"a":1}',
        '{"a":1}'.encode("utf-16-le"),
        b"{" + b'"a":[' * 100_000,
        b"[1]",
        b" {}",
        # orjson's integers end at 64 bits; json's do not
        b'{"a":18446744073709551615,"b":-9223372036854775808}',
        b'{"a":18446744073709551616}',
        b'{"a":-9223372036854775809}',
        b'{"a":9999999999999999999,"b":-9999999999999999999}',
        b'{"a":[123456789012345678901234567890]}',
        b'{"a":"1234567890123456789012","b":12}',
        b'{"a":0.1234567890123456789012345}',
        b'{"a":1234567890123.123456789012}',
        b'{"a":-0,"b":-0.0,"c":0e0,"d":-0E-0}',
        b'{"a":1E400,"b":-1e400,"c":1e-400,"d":1.7976931348623159e308}',
        b'{"a":2.4703282292062328e-324,"b":2.4703282292062327e-324}',
        b'{"a":1,"b":2,"a":3}',
        b'{"\\ud800":1}',
        b'{"a":"' + b"x" * 600 + b'"}',
        b'{"a":"' + b"[" * 600 + b'"}',
        # orjson reads up to 1024 levels; json stops at the recursion limit
        b'{"a":' + b"[" * 200 + b"]" * 200 + b"}",
        b'{"a":' + b"[" * 300 + b"]" * 300 + b"}",
        b'{"a":' + b'{"a":' * 300 + b"1" + b"}" * 300 + b"}",
        b'{"a":' + b"[" * 1010 + b"]" * 1010 + b"}",
        b'{"a":' + b"[" * 1100 + b"]" * 1100 + b"}",
    ],
)
def test_loads_object_edge_cases(text: bytes) -> None:
    same_parse(text)


def test_long_integers_stay_integers() -> None:
    text = b'{"dps":{"1":123456789012345678901234567890,"2":-9223372036854775809}}'
    assert loads_object(text) == {
        "dps": {"1": 123456789012345678901234567890, "2": -9223372036854775809}
    }


@pytest.mark.parametrize("digits", range(17, 23))
@pytest.mark.parametrize("first", ["1", "9"])
@pytest.mark.parametrize("sign", ["", "-"])
def test_integers_of_17_to_22_digits(digits: int, first: str, sign: str) -> None:
    number = sign + first.ljust(digits, first)
    same_parse(f'{{"a":{number},"b":"{number}","c":[{number}],"d":{number}.5}}'.encode())
    same_parse(f'{{"a":{sign}1{"0" * (digits - 1)}}}'.encode())


def test_json_nests_no_deeper_than_the_recursion_limit() -> None:
    assert loads_object(b'{"a":' + b"[" * 1010 + b"]" * 1010 + b"}") is None


around_64_bits = st.sampled_from([10**18, 2**63, 10**19, 2**64, 10**20, 10**21, 10**29]).flatmap(
    lambda n: st.integers(n - 3, n + 3)
)
any_integers = st.one_of(
    st.integers(), st.integers(-(2**80), 2**80), around_64_bits, around_64_bits.map(operator.neg)
)


@given(st.lists(any_integers, min_size=1, max_size=3), st.booleans())
def test_integers_of_any_length_read_as_json_reads_them(numbers: list[int], quoted: bool) -> None:
    dps = {str(i): str(n) if quoted else n for i, n in enumerate(numbers)}
    same_parse(json.dumps({"devId": "bf01", "dps": dps, "t": numbers}).encode())


def number_text(minus: bool, digits: str, fraction: str | None, exponent: int | None) -> bytes:
    text = ("-" if minus else "") + (digits.lstrip("0") or "0")
    if fraction is not None:
        text += "." + fraction
    if exponent is not None:
        text += f"e{exponent}"
    return text.encode()


def digit_strings(most: int) -> st.SearchStrategy[str]:
    """Strings of 1 to `most` digits, as many of each length."""
    return st.integers(1, most).flatmap(lambda n: st.text("0123456789", min_size=n, max_size=n))


number_texts = st.builds(
    number_text,
    st.booleans(),
    digit_strings(25),
    st.none() | digit_strings(25),
    st.none() | st.integers(-400, 400),
)


@given(st.lists(number_texts, min_size=1, max_size=3))
def test_numbers_of_any_length_read_as_json_reads_them(numbers: list[bytes]) -> None:
    same_parse(b'{"n":[' + b",".join(numbers) + b'],"m":' + numbers[0] + b"}")


class _Level(IntEnum):
    LOW = 1


class _Mode(Enum):
    AUTO = "auto"


dp_keys = st.text(max_size=4) | st.integers(-3, 300) | st.booleans() | st.none() | st.floats()
dp_values = st.one_of(
    scalars,
    st.integers(-(2**70), 2**70),
    st.just(_Level.LOW),
    st.text().map(lambda s: s + "\ud800"),  # a lone surrogate: utf-8 refuses it
    st.lists(st.integers(), max_size=2),
)


def _result(make: Callable[[], bytes]) -> bytes | type[Exception]:
    try:
        return make()
    except (TypeError, ValueError) as exc:  # what json refuses, or utf-8 (lone surrogates)
        return type(exc)


@given(
    st.sampled_from(["3.1", "3.4"]),
    st.dictionaries(dp_keys, dp_values, max_size=4),
    st.booleans(),
)
def test_bodies_with_dps_are_what_json_writes(
    version: Version, dps: dict[Any, Any], as_mapping: bool
) -> None:
    given_dps: Mapping[Any, Any] = MappingProxyType(dps) if as_mapping else dps
    new = version == "3.4"
    control = (
        {"protocol": 5, "t": 5, "data": {"dps": dps}}
        if new
        else {"devId": "d", "uid": "d", "t": "5", "dps": dps}
    )
    status = (
        {"protocol": 4, "t": 5, "data": {"dps": dps}} if new else {"devId": "d", "dps": dps, "t": 5}
    )
    assert _result(lambda: control_body(version, "d", 5, given_dps)[1]) == _result(
        lambda: reference_dumps(control)
    )
    assert _result(lambda: status_body(version, "d", 5, given_dps)) == _result(
        lambda: reference_dumps(status)
    )


@given(
    st.text() | st.text().map(lambda s: s + "\ud800"),
    st.lists(st.integers(-(2**70), 2**70), max_size=3),
)
def test_heartbeat_and_refresh_bodies_are_what_json_writes(
    device_id: str, dp_ids: list[int]
) -> None:
    assert _result(lambda: heartbeat_body(device_id)[1]) == _result(
        lambda: reference_dumps({"gwId": device_id, "devId": device_id})
    )
    assert update_dps_body(dp_ids)[1] == reference_dumps({"dpId": dp_ids})


def test_values_json_refuses_are_refused() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        control_body("3.3", "d", 5, {"1": _Mode.AUTO})  # type: ignore[dict-item]  # orjson writes it
