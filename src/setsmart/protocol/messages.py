"""The JSON bodies of requests, and reading the two shapes of replies."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import orjson

from setsmart.protocol.constants import Command, Version

DpValue = bool | int | float | str | None
Dps = dict[str, DpValue]

_NEW_STYLE: frozenset[str] = frozenset({"3.4", "3.5"})
# Python 3.11 reads an Enum member through its class slowly (~0.1 us: EnumType's
# __getattr__), so the per-request code uses these names.
_CONTROL = Command.CONTROL
_CONTROL_NEW = Command.CONTROL_NEW

# What json.dumps(obj, separators=(",", ":"), ensure_ascii=False) uses, made once:
# json.dumps builds a new encoder on every call with arguments other than its defaults.
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
_DECODER = json.JSONDecoder()  # json.loads's own, when given no options
_JSON_WHITESPACE = " \t\n\r"

# DP values orjson writes exactly as json does. Floats are left out (orjson writes 1e-7
# where json writes 1e-07, and NaN as null), and so are subclasses (orjson writes any
# Enum's value, where json refuses an Enum that is not an int or a str); integers beyond
# 64 bits and lone surrogates make orjson raise, and then json writes them.
_ORJSON_EXACT: frozenset[type] = frozenset({str, int, bool, type(None)})
_read_json = orjson.loads
# Where orjson's results and json's part, the text goes to json: orjson reads integers
# beyond 64 bits as floats (all from -9223372036854775808 to 18446744073709551615 are
# exact, so any past them has 19 digits or more), and nestings json refuses past the
# recursion limit (about 1000 levels, less the caller's frames) up to 1024 levels.
# `_SHAPES` maps digits to "0", "[" and "{" to "[" and all else to " ": one pass finds
# a run of 19 digits (in strings too, where it only costs the fast path) and counts what
# can open a level; nesting _MAX_DEPTH deep takes 2 * _MAX_DEPTH bytes.
_SHAPES = bytes(
    0x30 if 0x30 <= byte <= 0x39 else 0x5B if byte in b"[{" else 0x20 for byte in range(256)
)
_LONG_INTEGER = b"0" * 19
_MAX_DEPTH = 256
_STR_ONLY: frozenset[type] = frozenset({str})


def dumps(obj: object) -> bytes:
    """Compact JSON: devices reject payloads with spaces between tokens."""
    return _COMPACT.encode(obj).encode()


def _dumps_with_dps(obj: dict[str, Any], dps: dict[str, DpValue]) -> bytes:
    """dumps(obj), where only the values of `dps` may be anything but str, int, bool or
    None: by orjson when that gives the same bytes."""
    for value in dps.values():
        if type(value) not in _ORJSON_EXACT:
            return dumps(obj)
    return _dumps_plain(obj)


def _dumps_plain(obj: dict[str, Any]) -> bytes:
    """dumps(obj) of str, int, bool and None in dicts and lists, by orjson: the same bytes
    (the encoder keeps non-ASCII as is), in a tenth of the time."""
    try:
        return orjson.dumps(obj)
    except TypeError:  # a key that is not a str, an int beyond 64 bits, a lone surrogate
        return dumps(obj)


def loads_object(text: bytes) -> dict[str, Any] | None:
    """`text` as JSON if it is an object, else None: what json.loads gives, sooner.

    orjson parses what it accepts as json does, but for long integers and deep nestings,
    which go to json; what it refuses (NaN, 1e400, a lone surrogate, a byte order mark,
    UTF-16...) json may still accept.
    """
    shapes = text.translate(_SHAPES)
    # partition: the quickest substring test on bytes (`in` first tries an int, find
    # parses an argument tuple)
    if shapes.partition(_LONG_INTEGER)[1] or (
        len(text) >= 2 * _MAX_DEPTH and shapes.count(b"[") >= _MAX_DEPTH
    ):
        return _loads_object_json(text)
    try:
        value = _read_json(text)
    except orjson.JSONDecodeError:
        return _loads_object_json(text)
    return value if type(value) is dict else None


def _loads_object_json(text: bytes) -> dict[str, Any] | None:
    """loads_object by the json module.

    json.loads(bytes) first sniffs for UTF-16/32 and byte order marks; a text that starts
    with "{" and then a byte other than NUL is UTF-8 by its rules, so that case (every
    JSON object a device sends) is decoded straight away, and parsed as
    JSONDecoder.decode does minus its whitespace regexes: none can lead, and only JSON
    whitespace may follow.
    """
    try:
        if text[:1] == b"{" and text[1:2] != b"\x00":
            s = text.decode("utf-8", "surrogatepass")
            value, end = _DECODER.raw_decode(s)
            if end != len(s) and s[end:].strip(_JSON_WHITESPACE):
                return None  # data after the object
        else:
            value = json.loads(text)
    except (ValueError, RecursionError):  # also bad UTF-8; too deeply nested JSON
        return None
    return value if isinstance(value, dict) else None


def query_body(
    version: Version, device_id: str, t: int, *, device22: bool, dps_to_query: Iterable[str]
) -> tuple[Command, bytes]:
    """The status query: cmd 10 (3.1-3.3), cmd 16 `{}` (3.4/3.5), cmd 13 listing DPs (device22)."""
    if device22:
        dps = dict.fromkeys(dps_to_query)
        return Command.CONTROL_NEW, dumps(
            {"devId": device_id, "uid": device_id, "t": str(t), "dps": dps}
        )
    if version in _NEW_STYLE:
        return Command.DP_QUERY_NEW, b"{}"
    return Command.DP_QUERY, dumps(
        {"gwId": device_id, "devId": device_id, "uid": device_id, "t": str(t)}
    )


def control_body(
    version: Version, device_id: str, t: int, dps: Mapping[str, DpValue]
) -> tuple[Command, bytes]:
    if type(dps) is not dict:
        dps = dict(dps)
    if version in _NEW_STYLE:
        return _CONTROL_NEW, _dumps_with_dps({"protocol": 5, "t": t, "data": {"dps": dps}}, dps)
    return _CONTROL, _dumps_with_dps(
        {"devId": device_id, "uid": device_id, "t": str(t), "dps": dps}, dps
    )


# Sub-devices behind a gateway, as tinytuya 1.20 (core/XenonDevice.py, its "zigbee"
# payload tables) addresses them: by `cid` (the node id), with an integer `t`. On 3.4/3.5
# a control names the cid twice, inside `data` and at the top level, as tinytuya does.


def child_query_body(version: Version, cid: str, t: int) -> tuple[Command, bytes]:
    """A sub-device's status query: cmd 10 `{"t","cid"}` (3.1-3.3), cmd 16 `{"cid"}` (3.4/3.5)."""
    if version in _NEW_STYLE:
        return Command.DP_QUERY_NEW, dumps({"cid": cid})
    return Command.DP_QUERY, dumps({"t": t, "cid": cid})


def child_control_body(
    version: Version, cid: str, t: int, dps: Mapping[str, DpValue]
) -> tuple[Command, bytes]:
    """A sub-device's control: cmd 7 `{"t","cid","dps"}` (3.1-3.3), cmd 13 (3.4/3.5)."""
    dps = dict(dps)
    if version in _NEW_STYLE:
        body = {"protocol": 5, "t": t, "data": {"cid": cid, "ctype": 0, "dps": dps}, "cid": cid}
        return _CONTROL_NEW, _dumps_with_dps(body, dps)
    return _CONTROL, _dumps_with_dps({"t": t, "cid": cid, "dps": dps}, dps)


SUBDEV_ONLINE_QUERY = "subdev_online_stat_query"
SUBDEV_ONLINE_REPORT = "subdev_online_stat_report"


def subdev_online_query_body() -> tuple[Command, bytes]:
    """Which sub-devices a gateway reaches: LAN_EXT_STREAM (0x40), every cid (an empty list)."""
    return Command.LAN_EXT_STREAM, dumps({"reqType": SUBDEV_ONLINE_QUERY, "data": {"cids": []}})


def heartbeat_body(device_id: str) -> tuple[Command, bytes]:
    return Command.HEART_BEAT, _dumps_plain({"gwId": device_id, "devId": device_id})


def update_dps_body(dp_ids: Iterable[int]) -> tuple[Command, bytes]:
    return Command.UPDATEDPS, _dumps_plain({"dpId": list(dp_ids)})


def status_body(version: Version, device_id: str, t: int, dps: Mapping[str, DpValue]) -> bytes:
    """What a device pushes (cmd 8) or answers a query with, in its version's shape."""
    if type(dps) is not dict:
        dps = dict(dps)
    if version in _NEW_STYLE:
        return _dumps_with_dps({"protocol": 4, "t": t, "data": {"dps": dps}}, dps)
    return _dumps_with_dps({"devId": device_id, "dps": dps, "t": t}, dps)


def child_status_body(version: Version, cid: str, t: int, dps: Mapping[str, DpValue]) -> bytes:
    """What a gateway pushes for a sub-device: the status shape with the child's cid."""
    dps = dict(dps)
    if version in _NEW_STYLE:
        return _dumps_with_dps({"protocol": 4, "t": t, "data": {"cid": cid, "dps": dps}}, dps)
    return _dumps_with_dps({"cid": cid, "dps": dps, "t": t}, dps)


def subdev_online_report_body(online: Iterable[str], offline: Iterable[str]) -> bytes:
    """A gateway's answer to the online query (and its own reports, sent every so often)."""
    data = {"online": list(online), "offline": list(offline)}
    return dumps({"reqType": SUBDEV_ONLINE_REPORT, "data": data})


def extract_cid(data: Mapping[str, Any]) -> str | None:
    """The sub-device a message names: `cid` at the top level or inside `data`."""
    cid = data.get("cid")
    if cid is None:
        inner = data.get("data")
        if isinstance(inner, dict):
            cid = inner.get("cid")
    return cid if isinstance(cid, str) and cid else None


class SubdevOnline(NamedTuple):
    """Which sub-devices a gateway says it reaches (`online`) and not (`offline`), by cid."""

    online: frozenset[str]
    offline: frozenset[str]


def extract_subdev_online(data: Mapping[str, Any]) -> SubdevOnline | None:
    """A gateway's sub-device report, None if `data` is not one.

    Shape (public LAN clients that read it): `{"reqType": "subdev_online_stat_report",
    "data": {"online": [cid...], "offline": [cid...]}}`; Bluetooth gateways may add lists
    of their own (`nearby`), which are ignored.
    """
    inner = data.get("data")
    if data.get("reqType") != SUBDEV_ONLINE_REPORT or not isinstance(inner, dict):
        return None
    return SubdevOnline(_cids(inner.get("online")), _cids(inner.get("offline")))


def _cids(value: object) -> frozenset[str]:
    if not isinstance(value, list):
        return frozenset()
    return frozenset(item for item in value if isinstance(item, str) and item)


def extract_dps(data: Mapping[str, Any]) -> Dps | None:
    """The DPs of either reply shape: `{"dps": ...}` or `{"data": {"dps": ...}}`."""
    dps = data.get("dps")
    if dps is None:
        inner = data.get("data")
        if isinstance(inner, dict):
            dps = inner.get("dps")
    if not isinstance(dps, dict):
        return None
    if _STR_ONLY.issuperset(map(type, dps)):  # as in all JSON: a copy does, in a third the time
        return dict(dps)
    return {str(k): v for k, v in dps.items()}
