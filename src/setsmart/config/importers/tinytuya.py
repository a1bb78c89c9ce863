"""The ``devices.json`` that ``tinytuya wizard`` writes, as setsmart configuration. Pure.

The file is a JSON list (tinytuya also reads ``{"devices": [...]}``) of objects with
``name``, ``id``, ``key`` (the local key, ``""`` when the cloud gave none), ``ip`` (from
the wizard's LAN scan) or ``last_ip``, ``version`` (``"3.3"``, ``3.3``, ``""`` or
``0.0``), ``category``, ``product_name``, ``mapping`` (DP id -> ``{code, type, values}``
when the wizard downloaded DP mappings), and for Zigbee/BLE sub-devices ``sub: true``,
``node_id`` and ``parent`` (tinytuya/wizard.py; Cloud.filter_devices): ``parent`` is the
gateway's id, ``""`` when the wizard could not tell it, and ``key`` the gateway's key.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from setsmart.config.errors import ConfigError, ConfigIssue
from setsmart.config.importers.build import build_devices
from setsmart.config.importers.model import DpInfo, ImportResult, SourceDevice
from setsmart.config.model import DeviceConfig

_HINT = "the file `tinytuya wizard` writes"


def load_tinytuya(
    path: str | os.PathLike[str], *, existing: Sequence[DeviceConfig] = ()
) -> ImportResult:
    """Read and convert the devices.json at ``path``; :class:`ConfigError` names the problem."""
    file = os.fspath(path)
    try:
        data = Path(file).read_bytes()
    except OSError as error:
        raise ConfigError(file, None, "", f"cannot read the file: {error.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ConfigError(file, line, "", "the file is not UTF-8 text") from None
    return parse_tinytuya(text, file=file, existing=existing)


def parse_tinytuya(text: str, *, file: str, existing: Sequence[DeviceConfig] = ()) -> ImportResult:
    """Convert the text of a devices.json named ``file`` (the name is for messages)."""
    return build_devices(tinytuya_sources(text, file=file), origin=file, existing=existing)


def tinytuya_sources(text: str, *, file: str) -> list[SourceDevice]:
    """The devices a devices.json lists; :class:`ConfigError` lists every entry at fault."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        message = f"not JSON ({error.msg}); expected {_HINT}"
        raise ConfigError(file, error.lineno, "", message) from None
    if isinstance(data, dict) and isinstance(data.get("devices"), list):
        data = data["devices"]
    if not isinstance(data, list):
        raise ConfigError(
            file, None, "", f"must be a JSON list of devices, got {_kind(data)}; expected {_HINT}"
        )
    issues: list[ConfigIssue] = []
    sources: list[SourceDevice] = []
    for index, entry in enumerate(data):
        problem = _entry_problem(entry)
        if problem:
            issues.append(ConfigIssue(file, None, f"[{index}]", problem))
            continue
        sources.append(_source(entry))
    if issues:
        raise ConfigError.from_issues(issues)
    return sources


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    return f"a {type(value).__name__}"


def _entry_problem(entry: object) -> str | None:
    if not isinstance(entry, dict):
        return f"must be an object with at least an id, got {_kind(entry)}"
    device_id = entry.get("id")
    named = f" (name {entry['name']!r})" if isinstance(entry.get("name"), str) else ""
    if not isinstance(device_id, str) or not device_id.strip():
        return f"has no id{named}: every device needs its Tuya device id"
    return None


def _text(entry: Mapping[str, Any], key: str) -> str:
    value = entry.get(key)
    return value.strip() if isinstance(value, str) else ""


def _source(entry: Mapping[str, Any]) -> SourceDevice:
    # The wizard turns the cloud's gateway_id into parent ("" when it found none); a list
    # saved from tinytuya's Cloud.getdevices() still has gateway_id.
    parent = _text(entry, "parent") or _text(entry, "gateway_id")
    sub = entry.get("sub") is True or bool(_text(entry, "node_id")) or "parent" in entry
    return SourceDevice(
        id=_text(entry, "id"),
        name=_text(entry, "name"),
        local_key=entry["key"] if isinstance(entry.get("key"), str) and entry["key"] else None,
        hosts=tuple(host for key in ("ip", "last_ip") if (host := _text(entry, key))),
        version=entry.get("version"),
        category=_text(entry, "category"),
        product_name=_text(entry, "product_name"),
        product_id=_text(entry, "product_id"),
        mapping=_mapping(entry.get("mapping")),
        sub=sub,
        gateway=parent or None,
        node_id=_text(entry, "node_id") or None,
    )


def _mapping(raw: object) -> dict[int, DpInfo] | None:
    """DP id -> DpInfo; entries tinytuya keyed by code (no DP id known) are left out."""
    if not isinstance(raw, dict):
        return None
    mapping: dict[int, DpInfo] = {}
    for key, item in raw.items():
        if not (isinstance(key, str) and key.isascii() and key.isdigit()):
            continue
        if not isinstance(item, dict) or not isinstance(item.get("code"), str):
            continue
        kind = item.get("type")
        mapping[int(key)] = DpInfo(
            code=item["code"],
            type=kind if isinstance(kind, str) else "",
            values=_values(item.get("values")),
        )
    return mapping


def _values(raw: object) -> dict[str, Any]:
    # tinytuya keeps the JSON string for String DPs and when it could not parse it.
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    return raw if isinstance(raw, dict) else {}
