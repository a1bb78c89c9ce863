"""The ``watchdogs:`` section (CONTRACT.md "Watchdogs"), and the target a watchdog checks."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from setsmart.config import checks
from setsmart.config.fields import Reader, Section, is_mapping, is_sequence
from setsmart.config.model import DeviceConfig, WatchdogConfig
from setsmart.config.yamlsource import line_of
from setsmart.devices import POWER_CYCLE_MAX

WATCHDOG_KEYS: Final = (
    "name",
    "device",
    "target",
    "every",
    "failures",
    "off_for",
    "boot_wait",
    "max_per_day",
)
#: Device types that switch a socket; `auto` is checked once the device reports its DPs.
SWITCHED_TYPES: Final = frozenset({"plug", "strip", "switch", "auto"})
#: `B/watchdog/<name>` must never be read as a command or state topic of a device named
#: `watchdog` (`B/<device>/set`, `/get`, `/availability`, `/firmware`).
_RESERVED_NAMES: Final = frozenset({"set", "get", "availability", "firmware"})
_MAX_FAILURES: Final = 10_000
_MAX_PORT: Final = 65535
_PORT: Final = re.compile(r"[0-9]{1,5}")
_MAX_PER_DAY: Final = 1440
_DEFAULT = WatchdogConfig(name="", device="", target="")


@dataclass(frozen=True, slots=True)
class Target:
    """Where a watchdog looks: an http(s) URL (a GET) or a host and port (a TCP connect)."""

    host: str
    port: int
    url: str | None = None

    def __str__(self) -> str:
        if self.url is not None:
            return self.url
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


class TargetError(ValueError):
    """A target that is neither ``host:port`` nor an http(s) URL; the message says why."""


def parse_target(text: str) -> Target:
    """``1.1.1.1:53``, ``[2606:4700::1111]:53``, ``router.lan:80`` or ``https://host/path``."""
    if "://" in text:
        problem = checks.url(text)
        if problem:
            raise TargetError(problem)
        parts = urlsplit(text)
        assert parts.hostname is not None  # noqa: S101 (checks.url requires one)
        default_port = 443 if parts.scheme == "https" else 80
        return Target(parts.hostname, parts.port or default_port, url=text)
    host, sep, port_text = text.rpartition(":")
    if not sep or not host:
        raise TargetError(f"must be host:port (like 1.1.1.1:53) or an http(s):// URL, got '{text}'")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise TargetError(
            f"write an IPv6 address in brackets, like [2606:4700::1111]:53, got '{text}'"
        )
    if not _PORT.fullmatch(port_text) or not 1 <= int(port_text) <= _MAX_PORT:
        raise TargetError(f"the port must be a number from 1 to 65535, got '{port_text}'")
    if not host or any(char.isspace() or char in "/[]@" for char in host):
        raise TargetError(f"'{host}' is not a host name or address")
    return Target(host, int(port_text))


def _target_problem(text: str) -> str | None:
    try:
        parse_target(text)
    except TargetError as error:
        return str(error)
    return None


def _name_problem(text: str) -> str | None:
    if text in _RESERVED_NAMES:
        return f"'{text}' is reserved (B/watchdog/{text} would read as a device topic)"
    return checks.device_name(text)


def read_watchdogs(
    reader: Reader, top: Section, devices: tuple[DeviceConfig, ...]
) -> tuple[WatchdogConfig, ...]:
    """Every watchdog; each problem recorded with its line and key path."""
    node = top.node("watchdogs")
    if node is None:
        return ()
    if not is_sequence(node):
        top.fail("watchdogs", node, "must be a list of watchdogs (each '- name: ...')")
        return ()
    by_name = {device.name: device for device in devices}
    names: dict[str, int] = {}
    watched: dict[str, int] = {}
    found: list[WatchdogConfig] = []
    for index, item in enumerate(node.value):
        path = f"watchdogs[{index}]"
        if not is_mapping(item):
            reader.report(line_of(item), path, "must be a mapping with name, device and target")
            continue
        section = reader.section(item, path, WATCHDOG_KEYS, line=line_of(item))
        watchdog = _read_watchdog(section, by_name)
        if watchdog.name in names:
            section.fail(
                "name",
                None,
                f"'{watchdog.name}' is already used by watchdogs[{names[watchdog.name]}]",
            )
        elif watchdog.name:
            names[watchdog.name] = index
        if watchdog.device in watched:
            section.fail(
                "device",
                None,
                f"'{watchdog.device}' is already watched by watchdogs[{watched[watchdog.device]}] "
                "(two watchdogs would power-cycle it in turn)",
            )
        elif watchdog.device:
            watched[watchdog.device] = index
        found.append(watchdog)
    return tuple(found)


def _read_watchdog(section: Section, devices: dict[str, DeviceConfig]) -> WatchdogConfig:
    for key in ("name", "device", "target"):
        if section.node(key) is None:
            section.missing(key)
    name = section.text("name", "", _name_problem)
    device = section.text("device", "", lambda text: _device_problem(text, devices))
    return WatchdogConfig(
        name=name,
        device=device,
        target=section.text("target", "", _target_problem),
        every=section.number("every", _DEFAULT.every, zero_allowed=False),
        failures=section.integer("failures", _DEFAULT.failures, 1, _MAX_FAILURES),
        # The device's own countdown DP keeps the socket off: whole seconds, 1 to 86400.
        off_for=section.integer("off_for", _DEFAULT.off_for, 1, POWER_CYCLE_MAX),
        boot_wait=section.number("boot_wait", _DEFAULT.boot_wait, zero_allowed=True),
        max_per_day=section.integer("max_per_day", _DEFAULT.max_per_day, 0, _MAX_PER_DAY),
    )


def _device_problem(name: str, devices: dict[str, DeviceConfig]) -> str | None:
    device = devices.get(name)
    if device is None:
        return checks.unknown_device(name, devices)
    if device.type in SWITCHED_TYPES:
        return None
    if device.type == "raw" and ("state" in device.dps or "state_l1" in device.dps):
        return None
    if device.type == "raw":
        return f"'{name}' is type raw without a switch: map one with dps: {{state: N}}"
    return (
        f"'{name}' is a {device.type}: a watchdog power-cycles a socket (a plug, strip or switch)"
    )
