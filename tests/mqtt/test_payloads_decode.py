"""`decode_set_payload` reads common payloads with orjson: it must give what json gives.

Each payload is decoded both ways, by `decode_set_payload` and by `_decode_text` (the json
path every payload took before), and the outcomes must be the same: the same value, of the
same types throughout, or the same error message.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from setsmart.mqtt import payloads
from setsmart.mqtt.payloads import CommandPayloadError, decode_set_payload


def _outcome(decode: object, raw: bytes) -> str:
    """The value's repr (which tells 1 from 1.0 and True, and keeps key order), or the error."""
    assert callable(decode)
    try:
        return f"value {decode(raw)!r}"
    except CommandPayloadError as exc:
        return f"error {exc}"


def _agrees(raw: bytes) -> str:
    quick = _outcome(decode_set_payload, raw)
    assert quick == _outcome(payloads._decode_text, raw), raw
    return quick


# -- JSON texts with the corners orjson and json might read differently -----------------

_SPACE = st.sampled_from(["", "", "", " ", "  ", "\t", "\n", "\r\n "])
#: Around the document also what str.strip() takes for whitespace and JSON does not.
_EDGE = st.sampled_from(["", "", "", "", "", " ", "\n", "\t ", "\r\n", "\x0b", "\xa0\n"])
_NUMBER = st.one_of(
    st.integers().map(str),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda f: f"{f:.17e}"),
    st.from_regex(r"-?(0|[1-9][0-9]{0,24})(\.[0-9]{1,24})?([eE][-+]?[0-9]{1,4})?", fullmatch=True),
    st.sampled_from(["NaN", "-Infinity", "Infinity", "1e400", "-0", "-0.0", "01", "1.", ".5"]),
)
_ESCAPE = st.sampled_from(['\\"', "\\\\", "\\/", "\\n", "\\u0000", "\\ud800", "\\udc00", '\\":'])
_TEXT = st.text(st.characters(blacklist_characters='"\\', blacklist_categories=["Cc", "Cs"]))
_STRING = st.lists(
    st.one_of(_TEXT, _TEXT, _ESCAPE, st.sampled_from(["\\ud83d\\ude00", ":", "{", "\x01"])),
    max_size=3,
).map(lambda parts: '"' + "".join(parts) + '"')
_KEY = st.one_of(st.sampled_from(['"a"', '"a"', '"b"', '"\\u0061"', '"a\\":"']), _STRING)
_SCALAR = st.one_of(st.sampled_from(["true", "false", "null", "tRue"]), _NUMBER, _STRING)


@st.composite
def _joined(draw: st.DrawFn, items: list[str]) -> str:
    """The items separated by commas, with JSON whitespace (or none) around each."""
    return ",".join(draw(_SPACE) + item + draw(_SPACE) for item in items) or draw(_SPACE)


@st.composite
def _document(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(
        st.sampled_from(["scalar", "object", "object", "array"] if depth < 3 else ["scalar"])
    )
    if kind == "scalar":
        return draw(_SCALAR)
    if kind == "array":
        items = draw(st.lists(_document(depth + 1), max_size=4))
        return "[" + draw(_joined(items)) + "]"
    pairs = draw(st.lists(st.tuples(_KEY, _SPACE, _SPACE, _document(depth + 1)), max_size=5))
    members = [key + before + ":" + after + value for key, before, after, value in pairs]
    return "{" + draw(_joined(members)) + "}"


@given(_EDGE, _document(), _EDGE)
@settings(max_examples=400)
def test_json_texts_read_as_json_reads_them(before: str, document: str, after: str) -> None:
    _agrees((before + document + after).encode("utf-8", "surrogatepass"))


@given(st.binary(max_size=60))
def test_any_bytes_read_as_json_reads_them(raw: bytes) -> None:
    _agrees(raw)


@given(st.sampled_from(["ON", "OFF", "TOGGLE"]), _EDGE, _EDGE)
def test_plain_words_read_as_before(word: str, before: str, after: str) -> None:
    for spelled in (word, word.lower(), word.capitalize()):
        _agrees((before + spelled + after).encode())


@pytest.mark.parametrize(
    "raw",
    [
        b'{"state": "ON"}',
        b'{"state_l2": "OFF"}',
        b'{"brightness": 128}',
        b'{"a" : 1, "a":2}',
        b'{"a":"x\\":y","a":1}',
        b'{"a": "\\":", "b": 1}',
        b'{"a": "x", "b": {}}',
        b'{"a": {}, "a": {}}',
        b'[{"a": 1, "a": 2}]',
        b'{"c": {"a": 1, "a": 2}}',
        b'{"c": {"a": 1}, "c": {"b": 1}}',
        b'{"c": {"a": 1}, "d": {"b": {}}}',
        b'{"c": {"d": {"a": 1, "a": 2}}}',
        b'{"c": [{"a": 1, "a": 2}]}',
        b'[{"a": 1}]',
        b'{"dps": {"1": true, "1": false}}',
        b'{"dps": {"5": 123456789012345678901234567890}}',
        b'{"dps": {"5": -9223372036854775809}}',
        b'{"dps": {"5": 18446744073709551615}}',
        b'{"brightness": 1e400}',
        b'{"brightness": NaN}',
        b'\xef\xbb\xbf{"state": "ON"}',
        b'{"state": "\\ud800"}',
        b'{"state": "\xed\xa0\x80"}',
        b'"\xef\xbb\xbf"',
        "Oﬀ".encode(),  # upper-cased, the ligature is FF
        b"\x1cON\x1f",
        b"null",
        b"[]",
        b"  \n",
    ],
)
def test_corners_read_as_json_reads_them(raw: bytes) -> None:
    _agrees(raw)


def test_a_key_given_twice_is_refused_however_it_is_spaced_or_spelled() -> None:
    assert _agrees(b'{"a" : 1, "a":2}') == "error payload is not usable JSON: key 'a' appears twice"
    assert _agrees(b'{"a": 1, "\\u0061": 2}') == (
        "error payload is not usable JSON: key 'a' appears twice"
    )
    assert _agrees(b'{"a": "\\":", "a": 1}') == (
        "error payload is not usable JSON: key 'a' appears twice"
    )


def test_an_integer_beyond_64_bits_stays_an_integer() -> None:
    assert decode_set_payload(b'{"dps": {"5": 123456789012345678901234567890}}') == {
        "dps": {"5": 123456789012345678901234567890}
    }
    assert _agrees(b"-9223372036854775809") == "value -9223372036854775809"


@pytest.mark.parametrize("depth", [400, 512, 995, 996, 1024])
def test_deep_nesting_reads_as_json_reads_it(depth: int) -> None:
    _agrees(b"[" * depth + b"]" * depth)
    _agrees(b'{"a":' * depth + b"1" + b"}" * depth)


def test_the_common_commands_are_read_by_orjson() -> None:
    # Not by json: a payload this path took would call the json decoder's hook.
    def no_json(_pairs: object) -> object:
        raise AssertionError("read by json")

    decoder = payloads._DECODER
    try:
        payloads._DECODER = json.JSONDecoder(object_pairs_hook=no_json)
        assert decode_set_payload(b'{"state": "ON"}') == {"state": "ON"}
        assert decode_set_payload(b'{"state":"ON", "brightness": 9, "x": [1.5]}') == {
            "state": "ON",
            "brightness": 9,
            "x": [1.5],
        }
        assert decode_set_payload(b'{"color": {"h": 10, "s": 50}}') == {"color": {"h": 10, "s": 50}}
        assert decode_set_payload(b" toggle\n") == "TOGGLE"
    finally:
        payloads._DECODER = decoder
