"""A few lines about a configuration for ``setsmart check-config`` (never a secret)."""

from __future__ import annotations

from collections import Counter

from setsmart.config.model import DEVICE_TYPES, Config, DeviceConfig


def _on(flag: bool) -> str:
    return "on" if flag else "off"


def _seconds(value: float) -> str:
    return f"{value:g}s"


# Each field of `summary_fields`, as `setsmart check-config` labels its line.
_LABELS = {
    "file": "config",
    "broker": "broker",
    "homeassistant": "home assistant discovery",
    "lan": "lan discovery",
    "cloud": "cloud",
    "devices": "devices",
}


def summary(config: Config) -> str:
    """What the daemon would do with ``config``, in a few lines; each gateway's children
    one per line under it."""
    fields = summary_fields(config)
    families = _children(config)
    lines = []
    for key, text in fields.items():
        gateway = key.removeprefix("gateway ")
        if key.startswith("gateway ") and gateway in families:
            lines.append(f"{key}: {_count(families[gateway])}")
            lines.extend(
                f"  {child.name}: {child.type}, node_id {child.node_id}"
                for child in families[gateway]
            )
        else:
            lines.append(f"{_LABELS.get(key, key)}: {text}")
    return "\n".join(lines)


def _children(config: Config) -> dict[str, list[DeviceConfig]]:
    """Gateway name -> its sub-devices, in the file's order."""
    families: dict[str, list[DeviceConfig]] = {}
    for device in config.devices:
        if device.gateway is not None:
            families.setdefault(device.gateway, []).append(device)
    return families


def _count(children: list[DeviceConfig]) -> str:
    return f"{len(children)} sub-device{'' if len(children) == 1 else 's'}"


def summary_fields(config: Config) -> dict[str, str]:
    """The summary as a document (`B/bridge/info`'s `config`): field -> text, no secret."""
    mqtt, lan, cloud = config.mqtt, config.lan, config.cloud
    fields = {}
    if config.source is not None:
        fields["file"] = str(config.source)
    tls = "tls" if mqtt.tls else "no tls"
    login = ", with a username" if mqtt.username else ""
    fields["broker"] = (
        f"{mqtt.host}:{mqtt.port} ({tls}{login}), client id {mqtt.client_id}, "
        f"base topic {mqtt.base_topic}"
    )
    fields["homeassistant"] = _on(config.homeassistant.discovery) + (
        f" (prefix {config.homeassistant.prefix})" if config.homeassistant.discovery else ""
    )
    ports = ", ".join(str(port) for port in lan.discovery_ports)
    probe = lan.probe or "never"
    fields["lan"] = (
        _on(lan.discovery)
        + (f" (ports {ports}; 3.5 probe to {probe})" if lan.discovery else "")
        + f"; poll {_seconds(lan.poll)}, energy poll {_seconds(lan.energy_poll)}"
    )
    if cloud is None:
        fields["cloud"] = "off"
    else:
        fields["cloud"] = (
            f"on (region {cloud.region}, fallback {_on(cloud.fallback)}, "
            f"poll {_seconds(cloud.poll)})"
        )
    counts = Counter(device.type for device in config.devices)
    by_type = ", ".join(f"{counts[kind]} {kind}" for kind in DEVICE_TYPES if counts[kind])
    devices = f"{len(config.devices)}" + (f" ({by_type})" if by_type else "")
    keyless = sum(1 for d in config.devices if d.local_key is None and d.gateway is None)
    if keyless:
        devices += f"; {keyless} without a local key (cloud only)"
    families = _children(config)
    if families:
        count = sum(len(group) for group in families.values())
        devices += f"; {count} behind {len(families)} gateway{'' if len(families) == 1 else 's'}"
    fields["devices"] = devices
    for gateway, group in families.items():
        fields[f"gateway {gateway}"] = f"{_count(group)}: " + ", ".join(
            f"{child.name} ({child.type}, node_id {child.node_id})" for child in group
        )
    for watchdog in config.watchdogs:
        fields[f"watchdog {watchdog.name}"] = (
            f"checks {watchdog.target} every {_seconds(watchdog.every)}; "
            f"after {watchdog.failures} failures power-cycles {watchdog.device} "
            f"for {watchdog.off_for}s (at most {watchdog.max_per_day} a day)"
        )
    return fields
