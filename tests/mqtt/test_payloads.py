"""setsmart.mqtt.payloads: `/set` decoding and the documents the bridge publishes."""

from __future__ import annotations

import json
import math
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from setsmart.devices import SetError, parse_set, profile_for
from setsmart.mqtt.payloads import (
    MAX_COMMAND_BYTES,
    OFFLINE,
    ONLINE,
    BridgeDevice,
    CommandPayloadError,
    bridge_devices_document,
    decode_set_payload,
    encode_json,
    log_document,
    response_document,
)

PLUG = profile_for("plug")


def _error(raw: bytes) -> str:
    with pytest.raises(CommandPayloadError) as caught:
        decode_set_payload(raw)
    return str(caught.value)


def test_availability_words() -> None:
    assert (ONLINE, OFFLINE) == ("online", "offline")


@pytest.mark.parametrize(
    ("raw", "word"),
    [
        (b"ON", "ON"),
        (b"off", "OFF"),
        (b"Toggle", "TOGGLE"),
        (b"  on\r\n", "ON"),
        (b"\tOFF ", "OFF"),
    ],
)
def test_plain_words_in_any_case_with_whitespace(raw: bytes, word: str) -> None:
    assert decode_set_payload(raw) == word


def test_plain_words_are_what_parse_set_takes() -> None:
    command = parse_set(PLUG, decode_set_payload(b" on "), {"1": False})
    assert command.dps == {"1": True}
    command = parse_set(PLUG, decode_set_payload(b"toggle"), {"1": True})
    assert command.dps == {"1": False}


def test_json_object_decodes_as_is() -> None:
    payload = decode_set_payload(b'{"state": "ON", "dps": {"9": 30}}')
    assert payload == {"state": "ON", "dps": {"9": 30}}
    assert parse_set(PLUG, payload, {}).dps == {"1": True, "9": 30}


def test_other_json_values_decode_and_parse_set_judges_them() -> None:
    assert decode_set_payload(b"[1, 2]") == [1, 2]
    assert decode_set_payload(b'"on"') == "on"
    assert decode_set_payload(b"42") == 42
    with pytest.raises(SetError, match="JSON array"):
        parse_set(PLUG, decode_set_payload(b"[1, 2]"), {})


def test_bytearray_and_memoryview_are_accepted() -> None:
    assert decode_set_payload(bytearray(b"ON")) == "ON"
    assert decode_set_payload(memoryview(b'{"state":"OFF"}')) == {"state": "OFF"}


def test_unicode_text_in_json_is_fine() -> None:
    assert decode_set_payload('{"dps": {"101": "Küche ☕"}}'.encode()) == {
        "dps": {"101": "Küche ☕"}
    }


@pytest.mark.parametrize("raw", [b"", b"   ", b"\n\t "])
def test_empty_payload(raw: bytes) -> None:
    assert _error(raw) == "payload is empty (send a JSON object, or ON, OFF or TOGGLE)"


def test_not_utf8_names_the_byte_and_where() -> None:
    assert _error(b'{"state": "\xff"}') == "payload is not UTF-8 text (byte 0xff at offset 11)"
    assert _error(b"\xc3") == "payload is not UTF-8 text (byte 0xc3 at offset 0)"


def test_invalid_json_says_where() -> None:
    assert _error(b'{"state": ON}') == (
        "payload is not valid JSON: Expecting value at line 1 column 11"
    )
    assert _error(b'{"state": "ON",\n "brightness": }') == (
        "payload is not valid JSON: Expecting value at line 2 column 16"
    )
    assert _error(b"ONN") == "payload is not valid JSON: Expecting value at line 1 column 1"
    assert _error(b'{"a": 1} x') == "payload is not valid JSON: Extra data at line 1 column 10"


def test_nan_and_infinity_are_not_json() -> None:
    assert _error(b'{"brightness": NaN}') == ("payload is not valid JSON: NaN is not a JSON number")
    assert _error(b'{"brightness": -Infinity}') == (
        "payload is not valid JSON: -Infinity is not a JSON number"
    )


def test_a_key_given_twice_is_refused() -> None:
    assert _error(b'{"state": "ON", "state": "OFF"}') == (
        "payload is not usable JSON: key 'state' appears twice"
    )
    assert _error(b'{"dps": {"1": true, "1": false}}') == (
        "payload is not usable JSON: key '1' appears twice"
    )


def test_deep_nesting_is_refused_readably() -> None:
    assert _error(b"[" * 30000 + b"]" * 30000) == (
        "payload is not usable JSON: it nests too deeply"
    )


def test_the_largest_allowed_payload_is_read() -> None:
    padding = MAX_COMMAND_BYTES - len(b'{"state":"ON","x":""}')
    raw = b'{"state":"ON","x":"' + b"a" * padding + b'"}'
    assert len(raw) == MAX_COMMAND_BYTES == 65536
    payload = decode_set_payload(raw)
    assert isinstance(payload, dict)
    assert payload["state"] == "ON"


def test_one_byte_more_is_refused_with_its_size() -> None:
    assert _error(b" " * (MAX_COMMAND_BYTES + 1)) == (
        "payload is 65537 bytes, more than the 65536 a command may have"
    )


def test_a_huge_payload_is_refused_before_it_is_decoded() -> None:
    # Invalid UTF-8 and invalid JSON all the way: only the size may be looked at.
    raw = b"\xff[" * 150_000
    started = time.perf_counter()
    assert _error(raw) == "payload is 300000 bytes, more than the 65536 a command may have"
    assert time.perf_counter() - started < 0.01


@given(st.binary(max_size=200))
def test_any_bytes_decode_or_fail_readably(raw: bytes) -> None:
    message = None
    try:
        decode_set_payload(raw)
    except CommandPayloadError as exc:
        message = str(exc)
    if message is not None:
        assert message.startswith("payload is ")
        assert "\n" not in message


def test_encode_json_is_compact_and_keeps_key_order() -> None:
    state = {"state": "ON", "power": 12.5, "dps": {"1": True, "19": 125}, "source": "lan"}
    assert encode_json(state) == (
        '{"state":"ON","power":12.5,"dps":{"1":true,"19":125},"source":"lan"}'
    )
    assert encode_json({"b": 1, "a": 2}) == '{"b":1,"a":2}'


def test_encode_json_keeps_unicode_text() -> None:
    assert encode_json({"message": "Küche"}) == '{"message":"Küche"}'


def test_encode_json_turns_non_finite_numbers_into_null() -> None:
    document = {"dps": {"5": math.nan, "6": [math.inf, -math.inf, 1.5]}, "t": (1, "x")}
    text = encode_json(document)
    assert text == '{"dps":{"5":null,"6":[null,null,1.5]},"t":[1,"x"]}'
    assert json.loads(text)["dps"]["5"] is None


def test_log_document() -> None:
    assert log_document("error", "unknown key 'x'", device="lamp", topic="b/lamp/set") == {
        "level": "error",
        "message": "unknown key 'x'",
        "device": "lamp",
        "topic": "b/lamp/set",
    }
    assert log_document("warning", "device lamp is offline") == {
        "level": "warning",
        "message": "device lamp is offline",
    }
    assert log_document("info", "m", topic="t") == {"level": "info", "message": "m", "topic": "t"}
    assert encode_json(log_document("debug", "m", device="d")) == (
        '{"level":"debug","message":"m","device":"d"}'
    )


def test_log_document_refuses_an_unknown_level() -> None:
    with pytest.raises(ValueError, match="log level must be one of debug, info, warning, error"):
        log_document("fatal", "m")  # type: ignore[arg-type]


def test_response_document() -> None:
    assert response_document() == {"status": "ok"}
    assert response_document("brightness: 300 is out of range 0-255") == {
        "status": "error",
        "error": "brightness: 300 is out of range 0-255",
    }


def test_bridge_devices_document() -> None:
    devices = [
        BridgeDevice("kitchen_plug", "bf01", "plug", "lan", host="10.0.0.5", version="3.3"),
        BridgeDevice("hall_bulb", "bf02", "bulb", "cloud"),
        BridgeDevice("garage", "bf03", "strip", "offline", host=None, version="3.5"),
    ]
    assert bridge_devices_document(devices) == [
        {
            "name": "kitchen_plug",
            "id": "bf01",
            "type": "plug",
            "connection": "lan",
            "host": "10.0.0.5",
            "version": "3.3",
        },
        {
            "name": "hall_bulb",
            "id": "bf02",
            "type": "bulb",
            "connection": "cloud",
            "host": None,
            "version": None,
        },
        {
            "name": "garage",
            "id": "bf03",
            "type": "strip",
            "connection": "offline",
            "host": None,
            "version": "3.5",
        },
    ]
    assert encode_json(bridge_devices_document([])) == "[]"


def test_bridge_device_refuses_an_unknown_connection() -> None:
    with pytest.raises(ValueError, match="connection must be one of lan, cloud, offline"):
        BridgeDevice("x", "y", "plug", "wifi")  # type: ignore[arg-type]
