"""A few lines about a configuration for ``setsmart check-config`` (never a secret)."""

from __future__ import annotations

from collections import Counter

from setsmart.config.model import DEVICE_TYPES, Config


def _on(flag: bool) -> str:
    return "on" if flag else "off"


def _seconds(value: float) -> str:
    return f"{value:g}s"


def summary(config: Config) -> str:
    """What the daemon would do with ``config``, in a few lines."""
    mqtt, lan, cloud = config.mqtt, config.lan, config.cloud
    lines = []
    if config.source is not None:
        lines.append(f"config: {config.source}")
    tls = "tls" if mqtt.tls else "no tls"
    login = ", with a username" if mqtt.username else ""
    lines.append(
        f"broker: {mqtt.host}:{mqtt.port} ({tls}{login}), client id {mqtt.client_id}, "
        f"base topic {mqtt.base_topic}"
    )
    lines.append(
        f"home assistant discovery: {_on(config.homeassistant.discovery)}"
        + (f" (prefix {config.homeassistant.prefix})" if config.homeassistant.discovery else "")
    )
    ports = ", ".join(str(port) for port in lan.discovery_ports)
    probe = lan.probe or "never"
    lines.append(
        f"lan discovery: {_on(lan.discovery)}"
        + (f" (ports {ports}; 3.5 probe to {probe})" if lan.discovery else "")
        + f"; poll {_seconds(lan.poll)}, energy poll {_seconds(lan.energy_poll)}"
    )
    if cloud is None:
        lines.append("cloud: off")
    else:
        lines.append(
            f"cloud: on (region {cloud.region}, fallback {_on(cloud.fallback)}, "
            f"poll {_seconds(cloud.poll)})"
        )
    counts = Counter(device.type for device in config.devices)
    by_type = ", ".join(f"{counts[kind]} {kind}" for kind in DEVICE_TYPES if counts[kind])
    line = f"devices: {len(config.devices)}" + (f" ({by_type})" if by_type else "")
    keyless = sum(1 for device in config.devices if device.local_key is None)
    if keyless:
        line += f"; {keyless} without a local key (cloud only)"
    lines.append(line)
    for watchdog in config.watchdogs:
        lines.append(
            f"watchdog {watchdog.name}: checks {watchdog.target} every {_seconds(watchdog.every)}; "
            f"after {watchdog.failures} failures power-cycles {watchdog.device} "
            f"for {watchdog.off_for}s (at most {watchdog.max_per_day} a day)"
        )
    return "\n".join(lines)
