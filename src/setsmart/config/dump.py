"""``dump_config``: a configuration as YAML text that :func:`load_config` reads back equal.

Only values that differ from the defaults are written. Secrets are written in double
quotes (local keys are full of YAML punctuation), or as ``X_file: PATH`` when they were
read from a file. ``${`` in any string is written ``$${`` so that it stays literal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from os import PathLike
from pathlib import PurePath
from typing import Any

import yaml

from setsmart.config.envsubst import escape
from setsmart.config.model import (
    MQTT_PORT,
    MQTT_TLS_PORT,
    CloudConfig,
    Config,
    DeviceConfig,
    HomeAssistantConfig,
    LanConfig,
    MqttConfig,
    TlsConfig,
    WatchdogConfig,
    default_client_id,
)
from setsmart.config.secret import Secret
from setsmart.devices import DpLayout

SECRET_KEYS = frozenset({"username", "password", "api_key", "api_secret", "local_key"})
_QUOTED_KEYS = SECRET_KEYS | {"version"}
_FLOW_KEYS = frozenset({"dps", "discovery_ports"})


class _Quoted(str):
    """A string written in double quotes."""

    __slots__ = ()


class _Flow(dict[str, Any]):
    """A mapping written on one line: ``{power: 19}``."""


class _FlowList(list[Any]):
    """A list written on one line: ``[6666, 6667]``."""


class _Dumper(yaml.SafeDumper):
    """Safe dumping plus the three markers above."""


def _represent_quoted(dumper: yaml.SafeDumper, data: _Quoted) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style='"')


def _represent_flow(dumper: yaml.SafeDumper, data: _Flow) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=True)


def _represent_flow_list(dumper: yaml.SafeDumper, data: _FlowList) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


_Dumper.add_representer(_Quoted, _represent_quoted)
_Dumper.add_representer(_Flow, _represent_flow)
_Dumper.add_representer(_FlowList, _represent_flow_list)


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _plain(key: str, value: Any) -> tuple[str, Any]:
    """One ``key: value`` pair made YAML-ready (the key may become ``key_file``)."""
    if isinstance(value, Secret):
        if value.file is not None:
            return f"{key}_file", escape(value.file)
        return key, _Quoted(escape(value.reveal()))
    if isinstance(value, DpLayout):
        return _plain(key, value.as_yaml())
    if isinstance(value, Mapping):
        items = dict(_plain(str(name), item) for name, item in value.items())
        return key, _Flow(items) if key in _FLOW_KEYS else items
    if isinstance(value, PurePath | PathLike):
        return key, escape(str(value))
    if isinstance(value, str):
        text = escape(value)
        return key, _Quoted(text) if key in _QUOTED_KEYS else text
    if isinstance(value, Sequence):
        elements = [_plain(key, item)[1] for item in value]
        return key, _FlowList(elements) if key in _FLOW_KEYS else elements
    if isinstance(value, float) and not isinstance(value, bool):
        return key, _number(value)
    return key, value


def _differences(value: object, default: object, fields: Iterable[str]) -> dict[str, Any]:
    return {
        name: getattr(value, name)
        for name in fields
        if getattr(value, name) != getattr(default, name)
    }


def _mqtt(mqtt: MqttConfig) -> dict[str, Any]:
    out = _differences(mqtt, MqttConfig(), ("host", "username", "password"))
    if mqtt.port != (MQTT_TLS_PORT if mqtt.tls else MQTT_PORT):
        out["port"] = mqtt.port
    if mqtt.tls == TlsConfig():
        out["tls"] = True
    elif mqtt.tls is not None:
        out["tls"] = {
            name: path
            for name in ("ca_file", "cert_file", "key_file")
            if (path := getattr(mqtt.tls, name)) is not None
        }
    if mqtt.base_topic != "setsmart":
        out["base_topic"] = mqtt.base_topic
    if mqtt.client_id != default_client_id():
        out["client_id"] = mqtt.client_id
    return out


def _device(device: DeviceConfig) -> dict[str, Any]:
    out: dict[str, Any] = {"id": device.id, "name": device.name}
    fields = (
        "type",
        "gateway",  # a sub-device's address right under its name
        "node_id",
        "local_key",
        "host",
        "port",
        "version",
        "dps",
        "cloud",
        "invert",
        "sleep",
    )
    out.update(_differences(device, DeviceConfig(id="", name=""), fields))
    return out


def config_to_dict(config: Config) -> dict[str, Any]:
    """``config`` as plain data: the values that differ from the defaults."""
    out: dict[str, Any] = {}
    sections = {
        "mqtt": _mqtt(config.mqtt),
        "homeassistant": _differences(
            config.homeassistant, HomeAssistantConfig(), ("discovery", "prefix")
        ),
        "lan": _differences(config.lan, LanConfig(), LanConfig.__dataclass_fields__),
    }
    out.update({name: values for name, values in sections.items() if values})
    if config.cloud is not None:
        cloud = config.cloud
        default = CloudConfig(api_key=cloud.api_key, api_secret=cloud.api_secret)
        out["cloud"] = {"region": cloud.region, "api_key": cloud.api_key}
        out["cloud"]["api_secret"] = cloud.api_secret
        out["cloud"].update(_differences(cloud, default, ("endpoint", "poll", "fallback")))
    out["devices"] = [_device(device) for device in config.devices]
    if config.watchdogs:
        out["watchdogs"] = [_watchdog(watchdog) for watchdog in config.watchdogs]
    return out


def _watchdog(watchdog: WatchdogConfig) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": watchdog.name,
        "device": watchdog.device,
        "target": watchdog.target,
    }
    fields = ("every", "failures", "off_for", "boot_wait", "max_per_day")
    out.update(_differences(watchdog, WatchdogConfig(name="", device="", target=""), fields))
    return out


def dump_config(config: Config | Mapping[str, Any], *, header: str | None = None) -> str:
    """YAML text for ``config`` (a :class:`Config`, or plain data in the file's shape).

    ``header`` becomes ``#`` comment lines at the top.
    """
    data = config_to_dict(config) if isinstance(config, Config) else config
    _, plain = _plain("", data)
    text = yaml.dump(
        plain, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True
    )
    if header:
        text = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines()) + text
    return text
