"""The configuration as typed, frozen data, with every default of the contract."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from setsmart.config.secret import Secret
from setsmart.devices import TYPE_CHOICES, DpLayout

DEVICE_TYPES: tuple[str, ...] = TYPE_CHOICES
PROTOCOL_VERSIONS = ("3.1", "3.2", "3.3", "3.4", "3.5")
CLOUD_REGIONS = ("us", "us-e", "eu", "eu-w", "in", "cn", "sg")

MQTT_PORT = 1883
MQTT_TLS_PORT = 8883
DEVICE_PORT = 6668
DISCOVERY_PORTS = (6666, 6667, 7000)
BROADCAST_PROBE = "255.255.255.255"
DEFAULT_REGION = "eu"


def default_client_id() -> str:
    """``setsmart-<hostname>``: the MQTT client id when none is configured."""
    return f"setsmart-{os.uname().nodename}"


@dataclass(frozen=True, slots=True)
class TlsConfig:
    """TLS towards the broker; ``None`` files mean the system's trust store, no client cert."""

    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None


@dataclass(frozen=True, slots=True)
class MqttConfig:
    """The MQTT broker and how setsmart names itself there."""

    host: str = "localhost"
    port: int = MQTT_PORT
    username: Secret | None = None
    password: Secret | None = None
    tls: TlsConfig | None = None
    base_topic: str = "setsmart"
    client_id: str = field(default_factory=default_client_id)


@dataclass(frozen=True, slots=True)
class HomeAssistantConfig:
    """Home Assistant MQTT discovery."""

    discovery: bool = True
    prefix: str = "homeassistant"


@dataclass(frozen=True, slots=True)
class LanConfig:
    """Local network: discovery listeners and session timings (seconds)."""

    discovery: bool = True
    bind: str = "0.0.0.0"  # noqa: S104  # listening on every interface is the point
    discovery_ports: tuple[int, ...] = DISCOVERY_PORTS
    probe: str | None = BROADCAST_PROBE
    heartbeat: float = 10.0
    poll: float = 30.0
    energy_poll: float = 5.0
    timeout: float = 5.0


@dataclass(frozen=True, slots=True)
class HttpConfig:
    """The local HTTP API and web page (absent from the YAML: no server)."""

    bind: str = "127.0.0.1"
    port: int = 8080
    token: Secret | None = None


@dataclass(frozen=True, slots=True)
class CloudConfig:
    """The Tuya cloud project used as a fallback and for cloud-only devices."""

    api_key: Secret
    api_secret: Secret
    region: str = DEFAULT_REGION
    endpoint: str | None = None
    poll: float = 60.0
    fallback: bool = True


class FrozenDict(dict[str, Any]):
    """A dict that refuses changes once built (and so can be hashed)."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("this mapping is read-only")

    __setitem__ = _refuse
    __delitem__ = _refuse
    __ior__ = _refuse
    clear = _refuse
    pop = _refuse
    popitem = _refuse
    setdefault = _refuse
    update = _refuse

    def __hash__(self) -> int:  # type: ignore[override]  # dict is unhashable, this is not
        return hash(frozenset(self.items()))

    def __copy__(self) -> FrozenDict:
        return self

    def __deepcopy__(self, memo: object) -> FrozenDict:
        return self

    def __reduce__(self) -> tuple[type[FrozenDict], tuple[dict[str, Any]]]:
        return FrozenDict, (dict(self),)


_NO_DPS = FrozenDict()


@dataclass(frozen=True, slots=True)
class DeviceConfig:
    """One device: how to reach it and how to read its data points."""

    id: str
    name: str
    type: str = "auto"
    local_key: Secret | None = None
    host: str | None = None
    port: int = DEVICE_PORT
    version: str | None = None
    #: role -> DP id or layout; None: the device has no such DP (the kind's default dropped)
    dps: Mapping[str, int | DpLayout | None] = field(default_factory=dict)
    cloud: bool = True
    invert: bool = False
    sleep: float | None = None
    gateway: str | None = None
    node_id: str | None = None

    def __post_init__(self) -> None:
        # Callers may pass a plain dict; keep the frozen promise all the way down. Most
        # devices have no `dps:`: they share one empty mapping.
        dps = self.dps
        if type(dps) is not FrozenDict:
            dps = FrozenDict(dps) if dps else _NO_DPS
        object.__setattr__(self, "dps", dps)

    @property
    def dp_ids(self) -> tuple[int, ...]:
        """The DP ids that `dps` names, whether as a bare id or in a layout."""
        return tuple(
            value if isinstance(value, int) else int(value.id or 0)
            for value in self.dps.values()
            if value is not None
        )


@dataclass(frozen=True, slots=True)
class WatchdogConfig:
    """Power-cycle ``device`` when ``target`` stops answering (seconds throughout)."""

    name: str
    device: str
    target: str
    every: float = 60.0
    failures: int = 3
    off_for: int = 30
    boot_wait: float = 300.0
    max_per_day: int = 4


@dataclass(frozen=True, slots=True)
class Config:
    """A whole configuration file. ``source`` is where it was read from, if anywhere."""

    mqtt: MqttConfig = field(default_factory=MqttConfig)
    homeassistant: HomeAssistantConfig = field(default_factory=HomeAssistantConfig)
    lan: LanConfig = field(default_factory=LanConfig)
    cloud: CloudConfig | None = None
    http: HttpConfig | None = None
    devices: tuple[DeviceConfig, ...] = ()
    watchdogs: tuple[WatchdogConfig, ...] = ()
    source: Path | None = field(default=None, compare=False)

    def find_device(self, name_or_id: str) -> DeviceConfig | None:
        """The device with this name, else with this id, else ``None``."""
        for device in self.devices:
            if device.name == name_or_id:
                return device
        for device in self.devices:
            if device.id == name_or_id:
                return device
        return None
