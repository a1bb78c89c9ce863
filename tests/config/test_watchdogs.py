"""The `watchdogs:` section: defaults, strict checks, errors naming file, line and key."""

from __future__ import annotations

import pytest

from setsmart.config import WatchdogConfig, dump_config, summary
from setsmart.config.watchdogs import Target, TargetError, parse_target

from .conftest import Load, Problems

DEVICES = """
devices:
  - {id: bfplug, name: router_plug, type: plug}
  - {id: bfstrip, name: strip, type: strip}
  - {id: bfbulb, name: lamp, type: bulb}
  - {id: bfraw, name: raw_plain, type: raw}
  - {id: bfraw2, name: raw_switch, type: raw, dps: {state: 1}}
  - {id: bfauto, name: unknown}
"""


def test_defaults_are_the_contracts(load: Load) -> None:
    config = load(
        DEVICES + "watchdogs:\n  - {name: router, device: router_plug, target: 1.1.1.1:53}\n"
    )
    assert config.watchdogs == (
        WatchdogConfig(
            name="router",
            device="router_plug",
            target="1.1.1.1:53",
            every=60.0,
            failures=3,
            off_for=30,
            boot_wait=300.0,
            max_per_day=4,
        ),
    )


def test_every_key_and_fractional_seconds(load: Load) -> None:
    config = load(
        DEVICES
        + """
watchdogs:
  - name: router
    device: strip
    target: https://example.com/generate_204
    every: 0.5
    failures: 1
    off_for: 86400
    boot_wait: 0
    max_per_day: 0
  - {name: modem, device: unknown, target: "[2606:4700::1111]:53"}
  - {name: raw, device: raw_switch, target: modem.lan:80}
"""
    )
    first = config.watchdogs[0]
    assert (first.every, first.failures, first.off_for, first.boot_wait, first.max_per_day) == (
        0.5,
        1,
        86400,
        0.0,
        0,
    )
    assert [w.name for w in config.watchdogs] == ["router", "modem", "raw"]
    # The dump keeps them (what differs from the defaults), and check-config lists them.
    assert "watchdogs:" in dump_config(config)
    assert "every: 0.5" in dump_config(config)
    assert "watchdog router: checks https://example.com/generate_204 every 0.5s" in summary(config)


ERRORS = [
    pytest.param(
        "watchdogs: {name: x}\n",
        ["config.yaml:9: watchdogs: must be a list of watchdogs (each '- name: ...')"],
        id="not-a-list",
    ),
    pytest.param(
        "watchdogs:\n  - {device: router_plug}\n",
        [
            "config.yaml:10: watchdogs[0].name: required",
            "config.yaml:10: watchdogs[0].target: required",
        ],
        id="missing-keys",
    ),
    pytest.param(
        "watchdogs:\n  - {name: r, device: nosuch, target: 1.1.1.1:53}\n",
        [
            "config.yaml:10: watchdogs[0].device: no device named 'nosuch' is configured "
            "(devices: lamp, raw_plain, raw_switch, router_plug, strip, unknown)"
        ],
        id="unknown-device",
    ),
    pytest.param(
        "watchdogs:\n  - {name: r, device: routr_plug, target: 1.1.1.1:53}\n",
        [
            "config.yaml:10: watchdogs[0].device: no device named 'routr_plug' is configured "
            "(did you mean 'router_plug'?)"
        ],
        id="device-typo",
    ),
    pytest.param(
        "watchdogs:\n  - {name: r, device: lamp, target: 1.1.1.1:53}\n",
        [
            "config.yaml:10: watchdogs[0].device: 'lamp' is a bulb: a watchdog power-cycles "
            "a socket (a plug, strip or switch)"
        ],
        id="device-without-socket",
    ),
    pytest.param(
        "watchdogs:\n  - {name: r, device: raw_plain, target: 1.1.1.1:53}\n",
        [
            "config.yaml:10: watchdogs[0].device: 'raw_plain' is type raw without a switch: "
            "map one with dps: {state: N}"
        ],
        id="raw-without-switch",
    ),
    pytest.param(
        "watchdogs:\n  - {name: r, device: router_plug, target: 1.1.1.1}\n",
        [
            "config.yaml:10: watchdogs[0].target: must be host:port (like 1.1.1.1:53) or an "
            "http(s):// URL, got '1.1.1.1'"
        ],
        id="target-without-port",
    ),
    pytest.param(
        "watchdogs:\n  - {name: r, device: router_plug, target: 'ftp://x/'}\n",
        ["config.yaml:10: watchdogs[0].target: must be an http:// or https:// URL, got 'ftp://x/'"],
        id="target-bad-scheme",
    ),
    pytest.param(
        "watchdogs:\n  - {name: r, device: router_plug, target: '1.1.1.1:99999'}\n",
        [
            "config.yaml:10: watchdogs[0].target: the port must be a number from 1 to 65535, "
            "got '99999'"
        ],
        id="target-bad-port",
    ),
    pytest.param(
        "watchdogs:\n  - name: r\n    device: router_plug\n    target: 1.1.1.1:53\n"
        "    failures: 0\n    off_for: 86401\n    every: 0\n    boot_wait: -1\n"
        "    max_per_day: 1.5\n    evry: 3\n",
        [
            "config.yaml:13: watchdogs[0].failures: must be between 1 and 10000, got 0",
            "config.yaml:14: watchdogs[0].off_for: must be between 1 and 86400, got 86401",
            "config.yaml:15: watchdogs[0].every: must be more than 0, got 0",
            "config.yaml:16: watchdogs[0].boot_wait: must be 0 or more, got -1",
            "config.yaml:17: watchdogs[0].max_per_day: must be an integer, got a number",
            "config.yaml:18: watchdogs[0].evry: unknown key (did you mean 'every'?)",
        ],
        id="out-of-range",
    ),
    pytest.param(
        "watchdogs:\n  - {name: r, device: router_plug, target: 1.1.1.1:53, off_for: 1.5}\n",
        ["config.yaml:10: watchdogs[0].off_for: must be an integer, got a number"],
        id="off-for-whole-seconds",
    ),
    pytest.param(
        "watchdogs:\n  - {name: r, device: router_plug, target: 1.1.1.1:53}\n"
        "  - {name: r, device: strip, target: 1.1.1.1:53}\n"
        "  - {name: s, device: router_plug, target: 8.8.8.8:53}\n",
        [
            "config.yaml:11: watchdogs[1].name: 'r' is already used by watchdogs[0]",
            "config.yaml:12: watchdogs[2].device: 'router_plug' is already watched by "
            "watchdogs[0] (two watchdogs would power-cycle it in turn)",
        ],
        id="duplicates",
    ),
    pytest.param(
        "watchdogs:\n  - {name: 'a/b', device: router_plug, target: 1.1.1.1:53}\n"
        "  - {name: set, device: strip, target: 1.1.1.1:53}\n",
        [
            "config.yaml:10: watchdogs[0].name: must be 1-64 of A-Z a-z 0-9 _ -, got 'a/b'",
            "config.yaml:11: watchdogs[1].name: 'set' is reserved "
            "(B/watchdog/set would read as a device topic)",
        ],
        id="names-are-topic-segments",
    ),
]


@pytest.mark.parametrize(("text", "expected"), ERRORS)
def test_errors(problems: Problems, text: str, expected: list[str]) -> None:
    assert problems(DEVICES + text) == expected


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("1.1.1.1:53", Target("1.1.1.1", 53)),
        ("router.lan:80", Target("router.lan", 80)),
        ("[::1]:8080", Target("::1", 8080)),
        ("http://example.com/x", Target("example.com", 80, "http://example.com/x")),
        ("https://example.com:8443/", Target("example.com", 8443, "https://example.com:8443/")),
    ],
)
def test_targets(text: str, target: Target) -> None:
    assert parse_target(text) == target
    assert str(target) == text


@pytest.mark.parametrize("text", ["::1:53", ":53", "host:", "a b:1", "host:0", "http://"])
def test_bad_targets(text: str) -> None:
    with pytest.raises(TargetError):
        parse_target(text)
