"""MQTT payloads of the bridge (CONTRACT.md "MQTT"): what goes out, and `/set` coming in.

Everything we publish as JSON goes through `encode_json`: compact, keys in the order the
document gives them, UTF-8 text as is, and never the non-standard NaN/Infinity.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

import orjson

#: Availability payloads, of the bridge and of each device.
ONLINE: Final = "online"
OFFLINE: Final = "offline"

#: Largest `/set` payload we read; anything longer is refused before it is decoded.
MAX_COMMAND_BYTES: Final = 64 * 1024
_PLAIN_WORDS: Final = ("ON", "OFF", "TOGGLE")
_JSON_WHITESPACE: Final = " \t\n\r"

LogLevel = Literal["debug", "info", "warning", "error"]
LOG_LEVELS: Final = ("debug", "info", "warning", "error")
Connection = Literal["lan", "cloud", "offline"]
CONNECTIONS: Final = ("lan", "cloud", "offline")


class CommandPayloadError(ValueError):
    """A `/set` payload cannot be read; the message says why, for `B/bridge/log`."""


# -- incoming ---------------------------------------------------------------------------


def decode_set_payload(raw: bytes | bytearray | memoryview) -> object:
    """A `/set` payload as `setsmart.devices.parse_set` takes it.

    Plain `ON`/`OFF`/`TOGGLE` (any case, surrounding whitespace allowed) come back as the
    upper-case word; anything else must be JSON and comes back decoded. Raises
    CommandPayloadError for a payload over MAX_COMMAND_BYTES (checked before anything
    is decoded), one that is not UTF-8, an empty one, or one that is not valid JSON.
    """
    size = len(raw)
    if size > MAX_COMMAND_BYTES:
        raise CommandPayloadError(
            f"payload is {size} bytes, more than the {MAX_COMMAND_BYTES} a command may have"
        )
    data = bytes(raw)
    # The common commands are read here, with no Python function called: a plain word in
    # ASCII, and a short payload orjson reads as `_decode_text` would (tested to agree).
    word = _ASCII_PLAIN_WORDS.get(data.strip().upper())
    if word is not None:
        return word
    if size <= _ORJSON_MAX_BYTES and _WIDE_INTEGER.search(data) is None:
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            pass  # _decode_text refuses it with its own message
        else:
            # Each key of the payload is followed by a ':' of its own, so when the ':'
            # are no more than the keys orjson kept, no key was given twice (orjson keeps
            # the last value of a duplicate where json refuses it). The keys counted are
            # those of the object and of the objects in it (a colour: {"h","s"}).
            keys = 0
            if type(value) is dict:
                keys = len(value)
                for item in value.values():
                    if type(item) is dict:
                        keys += len(item)
            if data.count(b":") == keys:
                return value
    return _decode_text(data)


#: The plain words as `data.strip().upper()` gives them for an ASCII payload.
_ASCII_PLAIN_WORDS: Final = {word.encode(): word for word in _PLAIN_WORDS}
#: Payloads orjson reads: short enough to nest at most 512 levels (json refuses what nests
#: deeper than Python's recursion limit lets it go, orjson only past 1024 levels) ...
_ORJSON_MAX_BYTES: Final = 1024
#: ... and with no run of 19 digits, which may be an integer beyond 64 bits (orjson reads
#: it as a float, json as an int).
_WIDE_INTEGER: Final = re.compile(rb"[0-9]{19}")


def _decode_text(data: bytes) -> object:
    """`decode_set_payload` for any payload within MAX_COMMAND_BYTES, with json."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CommandPayloadError(
            f"payload is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})"
        ) from None
    word = text.strip()
    if not word:
        raise CommandPayloadError("payload is empty (send a JSON object, or ON, OFF or TOGGLE)")
    plain = word.upper()
    if plain in _PLAIN_WORDS:
        return plain
    try:
        return _decode(text)
    except json.JSONDecodeError as exc:
        raise CommandPayloadError(
            f"payload is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise CommandPayloadError("payload is not usable JSON: it nests too deeply") from None


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise CommandPayloadError(f"payload is not usable JSON: key {key!r} appears twice")
        result[key] = value
    return result


def _refuse_constant(name: str) -> object:
    raise CommandPayloadError(f"payload is not valid JSON: {name} is not a JSON number")


# One decoder for every command (json.loads with options builds one per call).
_DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys, parse_constant=_refuse_constant)


def _decode(text: str) -> object:
    """What `json.loads` with the decoder's options does (it refuses a BOM too).

    As `JSONDecoder.decode`, with the whitespace around the document skipped by `lstrip`
    rather than by its regular expressions (they took half the time of decoding a small
    command).
    """
    if text.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    value, end = _DECODER.raw_decode(text, len(text) - len(text.lstrip(_JSON_WHITESPACE)))
    extra = text[end:].lstrip(_JSON_WHITESPACE)
    if extra:
        raise json.JSONDecodeError("Extra data", text, len(text) - len(extra))
    return value


# -- outgoing ---------------------------------------------------------------------------


def encode_json(document: object) -> str:
    """Compact JSON with keys in the given order; NaN and infinities become null."""
    try:
        return encode_json_bytes(document).decode()
    except UnicodeEncodeError:  # a lone surrogate (odd firmware): json's text, not UTF-8
        return _encode_with_json(document)


def encode_json_bytes(document: object) -> bytes:
    """`encode_json(document)` as UTF-8 (what is published), without the text between.

    orjson writes it where it gives the json encoder's bytes: str, int, bool, None, list,
    tuple and dict it writes as json does, and it raises TypeError for what json writes
    otherwise (a key that is not a str, an integer beyond 64 bits, a lone surrogate).
    The rest goes to json: floats orjson writes with an exponent, NaN and the infinities,
    and anything else (an Enum or a UUID, which orjson would write and json refuses;
    subclasses). The check is written out here, not called: this runs for every state
    change of every device.
    """
    pending: list[Iterable[object]] = [(document,)]
    containers = 0
    while pending:
        for value in pending.pop():
            kind = type(value)
            if kind is str or kind is int or kind is bool or value is None:
                continue
            if kind is float:
                # An exact float, compared without isinstance or abs (a call per number).
                if not (
                    _PLAIN_FLOAT_MIN <= value < _PLAIN_FLOAT_END  # type: ignore[operator]
                    or -_PLAIN_FLOAT_END < value <= -_PLAIN_FLOAT_MIN  # type: ignore[operator]
                    or value == 0.0
                ):
                    return _encode_with_json(document).encode()
                continue
            containers += 1
            if containers > _MAX_CONTAINERS:
                return _encode_with_json(document).encode()
            if kind is dict and isinstance(value, dict):
                pending.append(value.values())
            elif (kind is list or kind is tuple) and isinstance(value, list | tuple):
                pending.append(value)
            else:
                return _encode_with_json(document).encode()
    try:
        written = orjson.dumps(document)
    except TypeError:
        return _encode_with_json(document).encode()
    # A copy of its exact size: what orjson returns sits in the larger block it wrote
    # into, and the bridge keeps every device's last state (at 1000 devices that held
    # 4 MB more).
    return bytes(memoryview(written))


def _encode_with_json(document: object) -> str:
    try:
        return _ENCODER.encode(document)
    except ValueError:
        # A DP of odd firmware may hold NaN; JSON has no such number.
        return _ENCODER.encode(_finite(document))


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
#: Floats from 1e-4 up to (not including) 1e16, and zero, are the ones `repr` (and so
#: json) writes without an exponent; orjson writes those the same, digit for digit
#: (tests/mqtt/test_payloads_orjson.py), and others differently (1e-05 / 0.00001).
_PLAIN_FLOAT_MIN: Final = 1e-4
_PLAIN_FLOAT_END: Final = 1e16
#: Containers looked into before the document goes to json instead, which refuses a
#: circular one as it always did. (A document nested deeper than orjson goes, 255
#: levels, makes it raise TypeError: json writes that one too.)
_MAX_CONTAINERS: Final = 10_000


def _finite(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Mapping):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def log_document(
    level: LogLevel, message: str, *, device: str | None = None, topic: str | None = None
) -> dict[str, str]:
    """The `B/bridge/log` document: `{"level","message","device"?,"topic"?}`."""
    if level not in LOG_LEVELS:
        raise ValueError(f"log level must be one of {', '.join(LOG_LEVELS)}, got {level!r}")
    document = {"level": level, "message": message}
    if device is not None:
        document["device"] = device
    if topic is not None:
        document["topic"] = topic
    return document


def response_document(error: str | None = None) -> dict[str, str]:
    """The MQTT 5 response to a command: `{"status":"ok"}` or `{"status":"error","error"}`."""
    if error is None:
        return {"status": "ok"}
    return {"status": "error", "error": error}


@dataclass(frozen=True, slots=True)
class BridgeDevice:
    """One entry of `B/bridge/devices`."""

    name: str
    id: str
    type: str
    connection: Connection
    host: str | None = None
    version: str | None = None

    def __post_init__(self) -> None:
        if self.connection not in CONNECTIONS:
            raise ValueError(
                f"connection must be one of {', '.join(CONNECTIONS)}, got {self.connection!r}"
            )

    def document(self) -> dict[str, str | None]:
        """The entry as JSON: name, id, type, connection, host, version (null if unknown)."""
        return {
            "name": self.name,
            "id": self.id,
            "type": self.type,
            "connection": self.connection,
            "host": self.host,
            "version": self.version,
        }


def bridge_devices_document(devices: Iterable[BridgeDevice]) -> list[dict[str, str | None]]:
    """The `B/bridge/devices` list, in the order given (the config's order)."""
    return [device.document() for device in devices]


def bridge_info_document(
    *, version: str, instance: str, devices: int, config: Mapping[str, str]
) -> dict[str, object]:
    """`B/bridge/info`: the version, the instance (its MQTT client id), how many devices it
    serves and its configuration's summary (`setsmart.config.summary_fields`, no secret)."""
    return {"version": version, "instance": instance, "devices": devices, "config": dict(config)}
