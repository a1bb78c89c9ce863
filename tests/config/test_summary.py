"""``summary`` for check-config, and where the configuration file is looked for."""

from __future__ import annotations

from pathlib import Path

import pytest

from setsmart.config import DEFAULT_CONFIG_PATH, resolve_config_path, summary, summary_fields

from .conftest import Load


def test_summary_of_a_full_config(load: Load, config_dir: Path) -> None:
    config = load(
        """
        mqtt: {host: broker.lan, tls: true, username: admin, password: hunter2, client_id: pi}
        cloud: {region: us, api_key: id-123, api_secret: s3cret, poll: 120}
        devices:
          - {id: a, name: one, type: plug, local_key: 0123456789abcdef}
          - {id: b, name: two, type: bulb}
          - {id: c, name: three, type: bulb, local_key: 0123456789abcdef}
          - {id: d, name: four, local_key: 0123456789abcdef}
        """
    )
    assert summary(config) == (
        f"config: {config_dir / 'config.yaml'}\n"
        "broker: broker.lan:8883 (tls, with a username), client id pi, base topic setsmart\n"
        "home assistant discovery: on (prefix homeassistant)\n"
        "lan discovery: on (ports 6666, 6667, 7000; 3.5 probe to 255.255.255.255); "
        "poll 30s, energy poll 5s\n"
        "cloud: on (region us, fallback on, poll 120s)\n"
        "devices: 4 (1 auto, 1 plug, 2 bulb); 1 without a local key (cloud only)"
    )
    for secret in ("admin", "hunter2", "id-123", "s3cret", "0123456789abcdef"):
        assert secret not in summary(config)


def test_summary_of_a_bare_config(load: Load) -> None:
    config = load(
        """
        mqtt: {client_id: c}
        homeassistant: {discovery: false}
        lan: {discovery: false, poll: 0, energy_poll: 2.5, probe: null}
        """
    )
    lines = summary(config).splitlines()
    assert lines[1:] == [
        "broker: localhost:1883 (no tls), client id c, base topic setsmart",
        "home assistant discovery: off",
        "lan discovery: off; poll 0s, energy poll 2.5s",
        "cloud: off",
        "devices: 0",
    ]


def test_summary_says_never_when_no_probe(load: Load) -> None:
    assert "3.5 probe to never" in summary(load("lan: {probe: null}"))


def test_summary_without_a_source_file() -> None:
    from setsmart.config import Config

    assert summary(Config()).splitlines()[0].startswith("broker: localhost:1883")


@pytest.mark.parametrize(
    ("cli", "environ", "expected"),
    [
        ("/srv/a.yaml", {"SETSMART_CONFIG": "/srv/b.yaml"}, Path("/srv/a.yaml")),
        (None, {"SETSMART_CONFIG": "/srv/b.yaml"}, Path("/srv/b.yaml")),
        (None, {"SETSMART_CONFIG": ""}, DEFAULT_CONFIG_PATH),
        ("", {}, DEFAULT_CONFIG_PATH),
        (None, {}, Path("/etc/setsmart/config.yaml")),
    ],
)
def test_resolve_config_path(cli: str | None, environ: dict[str, str], expected: Path) -> None:
    assert resolve_config_path(cli, environ) == expected


def test_resolve_config_path_reads_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SETSMART_CONFIG", "/srv/setsmart.yaml")
    assert resolve_config_path(None) == Path("/srv/setsmart.yaml")


def test_summary_fields_are_the_lines_as_a_document(load: Load) -> None:
    config = load(
        """
        mqtt: {username: admin, password: hunter2}
        cloud: {region: us, api_key: id-123, api_secret: s3cret}
        devices: [{id: a, name: one, type: plug, local_key: 0123456789abcdef}]
        """
    )
    fields = summary_fields(config)
    assert list(fields) == ["file", "broker", "homeassistant", "lan", "cloud", "devices"]
    assert fields["devices"] == "1 (1 plug)"
    assert fields["cloud"] == "on (region us, fallback on, poll 60s)"
    text = " ".join(fields.values())
    for secret in ("hunter2", "s3cret", "0123456789abcdef"):
        assert secret not in text
