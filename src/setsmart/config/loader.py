"""``load_config``: a YAML file to a :class:`Config`, or a :class:`ConfigError` naming
every problem by file, line and key path."""

from __future__ import annotations

import ipaddress
import os
import sys
from collections.abc import Mapping
from pathlib import Path

import yaml

from setsmart.config import checks
from setsmart.config.errors import ConfigError
from setsmart.config.fields import (
    InvalidValueError,
    Reader,
    Section,
    checked_integer,
    describe_node,
    is_mapping,
    is_null,
    is_sequence,
    join,
)
from setsmart.config.gateways import check_gateways
from setsmart.config.model import (
    BROADCAST_PROBE,
    CLOUD_REGIONS,
    DEFAULT_REGION,
    DEVICE_PORT,
    DEVICE_TYPES,
    DISCOVERY_PORTS,
    MQTT_PORT,
    MQTT_TLS_PORT,
    PROTOCOL_VERSIONS,
    CloudConfig,
    Config,
    DeviceConfig,
    HomeAssistantConfig,
    HttpConfig,
    LanConfig,
    MqttConfig,
    TlsConfig,
    default_client_id,
)
from setsmart.config.roles import DP_ID_MAX, role_problem
from setsmart.config.secret import Secret
from setsmart.config.watchdogs import read_watchdogs
from setsmart.config.yamlsource import YamlSyntaxError, compose, line_of
from setsmart.devices import DpLayout, LayoutError, parse_layout

TOP_KEYS = ("mqtt", "homeassistant", "lan", "cloud", "devices", "watchdogs", "http")
HTTP_KEYS = ("bind", "port", "token")
MQTT_KEYS = (
    "host",
    "port",
    "username",
    "username_file",
    "password",
    "password_file",
    "tls",
    "base_topic",
    "client_id",
)
TLS_KEYS = ("ca_file", "cert_file", "key_file")
HOMEASSISTANT_KEYS = ("discovery", "prefix")
LAN_KEYS = (
    "discovery",
    "bind",
    "discovery_ports",
    "probe",
    "heartbeat",
    "poll",
    "energy_poll",
    "timeout",
)
CLOUD_KEYS = (
    "region",
    "api_key",
    "api_key_file",
    "api_secret",
    "api_secret_file",
    "endpoint",
    "poll",
    "fallback",
)
DEVICE_KEYS = (
    "id",
    "name",
    "type",
    "local_key",
    "local_key_file",
    "host",
    "port",
    "version",
    "dps",
    "cloud",
    "invert",
    "sleep",
    "gateway",
    "node_id",
)
MAX_PORT = 65535


def load_config(
    path: str | os.PathLike[str], *, environ: Mapping[str, str] | None = None
) -> Config:
    """Read and validate the configuration file at ``path``.

    ``environ`` (default: ``os.environ``) supplies ``${VAR}`` values and
    ``$CREDENTIALS_DIRECTORY``. Raises :class:`ConfigError` listing every problem.
    """
    file = os.fspath(path)
    source = Path(file).absolute()
    try:
        data = source.read_bytes()
    except OSError as error:
        raise ConfigError(file, None, "", f"cannot read the file: {error.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ConfigError(file, line, "", "the file is not UTF-8 text") from None
    try:
        document = compose(text)
    except YamlSyntaxError as error:
        raise ConfigError(file, error.line, "", f"YAML syntax error: {error.message}") from None
    root = document.root
    if root is None:
        raise ConfigError(file, 1, "", "the file is empty (it needs at least a devices list)")
    if not is_mapping(root):
        raise ConfigError(
            file,
            line_of(root),
            "",
            f"the top level must be a mapping of sections, got {describe_node(root)}",
        )
    reader = Reader(file, document, os.environ if environ is None else environ, source.parent)
    config = _read_config(reader, reader.section(root, "", TOP_KEYS, line=1), source)
    if reader.issues:
        raise ConfigError.from_issues(reader.issues)
    return config


def _read_config(reader: Reader, top: Section, source: Path) -> Config:
    def section(key: str, keys: tuple[str, ...]) -> Section:
        return reader.section(top.node(key), key, keys, line=top.key_line(key))

    cloud_node = top.node("cloud")
    devices = _read_devices(reader, top)
    return Config(
        mqtt=_read_mqtt(section("mqtt", MQTT_KEYS)),
        homeassistant=_read_homeassistant(section("homeassistant", HOMEASSISTANT_KEYS)),
        lan=_read_lan(section("lan", LAN_KEYS)),
        cloud=None if cloud_node is None else _read_cloud(section("cloud", CLOUD_KEYS)),
        http=_read_http(section("http", HTTP_KEYS)) if _present(top.node("http")) else None,
        devices=devices,
        watchdogs=read_watchdogs(reader, top, devices),
        source=source,
    )


def _read_mqtt(mqtt: Section) -> MqttConfig:
    tls = _read_tls(mqtt)
    client_id = mqtt.text("client_id", None, checks.not_empty)
    return MqttConfig(
        host=mqtt.text("host", "localhost", checks.hostname),
        port=mqtt.integer("port", MQTT_TLS_PORT if tls else MQTT_PORT, 1, MAX_PORT),
        username=mqtt.secret("username"),
        password=mqtt.secret("password"),
        tls=tls,
        base_topic=mqtt.text("base_topic", "setsmart", checks.topic),
        client_id=client_id or default_client_id(),
    )


def _read_tls(mqtt: Section) -> TlsConfig | None:
    node = mqtt.node("tls")
    if node is None:
        return None
    if is_mapping(node):
        tls = mqtt.reader.section(node, mqtt.path_of("tls"), TLS_KEYS, line=mqtt.key_line("tls"))
        config = TlsConfig(
            ca_file=_existing_file(tls, "ca_file", credential=False),
            cert_file=_existing_file(tls, "cert_file", credential=False),
            key_file=_existing_file(tls, "key_file", credential=True),
        )
        if config.key_file and not config.cert_file:
            tls.fail("key_file", None, "needs cert_file (the client certificate)")
        return config
    try:
        value = mqtt.reader.value(node)
    except InvalidValueError:
        value = None
    if not isinstance(value, bool):
        mqtt.fail("tls", node, "must be true, false or a mapping of ca_file, cert_file, key_file")
        return None
    return TlsConfig() if value else None


def _existing_file(section: Section, key: str, *, credential: bool) -> Path | None:
    written = section.text(key, None, checks.not_empty)
    if written is None:
        return None
    path = section.reader.resolve_path(written, credential=credential)
    if not path.is_file():
        section.fail(key, section.node(key), f"no such file: {path}")
    return path


def _read_homeassistant(homeassistant: Section) -> HomeAssistantConfig:
    return HomeAssistantConfig(
        discovery=homeassistant.boolean("discovery", True),
        prefix=homeassistant.text("prefix", "homeassistant", checks.topic),
    )


def _read_lan(lan: Section) -> LanConfig:
    probe = (
        None
        if lan.written("probe") and lan.node("probe") is None
        else lan.text("probe", BROADCAST_PROBE, checks.ip_address)
    )
    return LanConfig(
        discovery=lan.boolean("discovery", True),
        bind=lan.text("bind", "0.0.0.0", checks.ip_address),  # noqa: S104  # every interface
        discovery_ports=_read_ports(lan),
        probe=probe,
        heartbeat=lan.number("heartbeat", 10.0, zero_allowed=False),
        poll=lan.number("poll", 30.0, zero_allowed=True),
        energy_poll=lan.number("energy_poll", 5.0, zero_allowed=True),
        timeout=lan.number("timeout", 5.0, zero_allowed=False),
    )


def _read_ports(lan: Section) -> tuple[int, ...]:
    node = lan.node("discovery_ports")
    if node is None:
        return DISCOVERY_PORTS
    if not is_sequence(node):
        lan.fail("discovery_ports", node, "must be a list of UDP ports, like [6666, 6667, 7000]")
        return DISCOVERY_PORTS
    ports: list[int] = []
    for index, item in enumerate(node.value):
        path = f"{lan.path_of('discovery_ports')}[{index}]"
        try:
            port = checked_integer(lan.reader.value(item), 1, MAX_PORT)
        except InvalidValueError as error:
            lan.reader.report(line_of(item), path, str(error))
            continue
        if port in ports:
            lan.reader.report(line_of(item), path, f"port {port} is listed twice")
            continue
        ports.append(port)
    return tuple(ports)


def _read_cloud(cloud: Section) -> CloudConfig | None:
    api_key = _required_secret(cloud, "api_key")
    api_secret = _required_secret(cloud, "api_secret")
    region = cloud.text("region", DEFAULT_REGION, checks.one_of(CLOUD_REGIONS))
    endpoint = cloud.text("endpoint", None, checks.url)
    poll = cloud.number("poll", 60.0, zero_allowed=True)
    fallback = cloud.boolean("fallback", True)
    if api_key is None or api_secret is None:
        return None
    return CloudConfig(
        api_key=api_key,
        api_secret=api_secret,
        region=region,
        endpoint=endpoint,
        poll=poll,
        fallback=fallback,
    )


def _present(node: yaml.Node | None) -> bool:
    return node is not None and not is_null(node)


def _read_http(http: Section) -> HttpConfig:
    bind = http.text("bind", "127.0.0.1", checks.ip_address)
    port = http.integer("port", 8080, 1, 65535)
    token = http.secret("token", checks.not_empty)
    if token is None and not ipaddress.ip_address(bind).is_loopback:
        http.missing(
            "token", f"required when bind is not a loopback address ({bind}), or token_file"
        )
    return HttpConfig(bind=bind, port=port, token=token)


def _required_secret(cloud: Section, key: str) -> Secret | None:
    if cloud.node(key) is None and cloud.node(f"{key}_file") is None:
        cloud.missing(key, f"required when the cloud section is present (or {key}_file)")
        return None
    return cloud.secret(key, checks.not_empty)


def _read_devices(reader: Reader, top: Section) -> tuple[DeviceConfig, ...]:
    node = top.node("devices")
    if node is None:
        return ()
    if not is_sequence(node):
        top.fail("devices", node, "must be a list of devices (each '- id: ...' with a name)")
        return ()
    read: list[tuple[Section, DeviceConfig]] = []
    names: dict[str, tuple[int, int]] = {}
    ids: dict[str, tuple[int, int]] = {}
    for index, item in enumerate(node.value):
        path = f"devices[{index}]"
        if not is_mapping(item):
            reader.report(line_of(item), path, "must be a mapping with at least id and name")
            continue
        section = reader.section(item, path, DEVICE_KEYS, line=line_of(item))
        device = _read_device(section)
        _unique(section, "name", device.name, names, index)
        _unique(section, "id", device.id, ids, index)
        read.append((section, device))
    check_gateways(read)
    return tuple(device for _, device in read)


def _unique(
    section: Section, key: str, value: str, seen: dict[str, tuple[int, int]], index: int
) -> None:
    """Report ``value`` when an earlier device has it; an invalid (empty) one is skipped."""
    if not value:
        return
    if value in seen:
        other, line = seen[value]
        section.fail(key, None, f"'{value}' is already used by devices[{other}] (line {line})")
    else:
        seen[value] = (index, section.key_line(key))


def _read_device(device: Section) -> DeviceConfig:
    """One device; a missing or invalid id or name is reported and left empty."""
    for key in ("id", "name"):
        if device.node(key) is None:
            device.missing(key)
    device_id = device.text("id", None, checks.device_id)
    name = device.text("name", None, checks.device_name)
    # Interned: a thousand devices share a few types and versions.
    kind = sys.intern(device.text("type", "auto", checks.one_of(DEVICE_TYPES)))
    version = device.text("version", None, checks.one_of(PROTOCOL_VERSIONS))
    return DeviceConfig(
        id=device_id or "",
        name=name or "",
        type=kind,
        local_key=device.secret("local_key", checks.local_key),
        host=device.text("host", None, checks.hostname),
        port=device.integer("port", DEVICE_PORT, 1, MAX_PORT),
        version=None if version is None else sys.intern(version),
        dps=_read_dps(device, kind),
        cloud=device.boolean("cloud", True),
        invert=device.boolean("invert", False),
        sleep=device.number("sleep", None, zero_allowed=False),
        gateway=device.text("gateway", None, checks.device_name),
        node_id=device.text("node_id", None, checks.node_id),
    )


def _read_dps(device: Section, kind: str) -> dict[str, int | DpLayout | None]:
    node = device.node("dps")
    if node is None:
        return {}
    if not is_mapping(node):
        device.fail("dps", node, "must be a mapping of role: DP id, like {power: 19}")
        return {}
    dps: dict[str, int | DpLayout | None] = {}
    owners: dict[int, str] = {}
    base = device.path_of("dps")
    for role, (key_node, value_node) in device.reader.entries(node, base).items():
        problem = role_problem(role, kind)
        if problem:
            device.reader.report(line_of(key_node), join(base, role), problem)
            continue
        if is_null(value_node):  # the device has no such DP
            dps[role] = None
            continue
        value = _read_dp(device, join(base, role), value_node)
        if value is None:
            continue
        dp = value if isinstance(value, int) else int(value.id or 0)
        if dp in owners:
            message = f"DP {dp} is already mapped to {owners[dp]}"
            device.reader.report(line_of(value_node), join(base, role), message)
            continue
        owners[dp] = role
        dps[role] = value
    return dps


def _read_dp(device: Section, path: str, node: yaml.Node) -> int | DpLayout | None:
    """A DP id, or a layout mapping ``{id, scale, min, max, step, unit, range}``."""
    reader = device.reader
    if not is_mapping(node):
        try:
            return checked_integer(reader.value(node), 1, DP_ID_MAX)
        except InvalidValueError as error:
            reader.report(line_of(node), path, f"DP id {error}")
            return None
    plain: dict[str, object] = {}
    for key, (_, item) in reader.entries(node, path).items():
        try:
            plain[key] = (
                [reader.value(element) for element in item.value]
                if is_sequence(item)
                else reader.value(item)
            )
        except InvalidValueError as error:
            reader.report(line_of(item), join(path, key), str(error))
            return None
    try:
        return parse_layout(plain, path)
    except LayoutError as error:
        entry = node if error.key is None else _value_node(node, error.key)
        where = path if error.key is None else join(path, error.key)
        reader.report(line_of(entry), where, error.reason)
        return None


def _value_node(node: yaml.MappingNode, key: str) -> yaml.Node:
    """The node of ``key`` in a layout mapping (the mapping itself if it is not there)."""
    for key_node, value_node in node.value:
        if key_node.value == key:
            found: yaml.Node = value_node
            return found
    return node
