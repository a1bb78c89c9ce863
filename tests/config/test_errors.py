"""Every problem is one line: ``<file>:<line>: <key path>: <message>``."""

from __future__ import annotations

from pathlib import Path

import pytest

from setsmart.config import ConfigError, ConfigIssue, load_config

from .conftest import Problems

ERRORS = [
    pytest.param(
        """
        mqtt:
          host: broker
          prot: 1883
        """,
        ["config.yaml:4: mqtt.prot: unknown key (did you mean 'port'?)"],
        id="typo-suggests-key",
    ),
    pytest.param(
        "mqqt: {}\n",
        ["config.yaml:1: mqqt: unknown key (did you mean 'mqtt'?)"],
        id="top-level-typo",
    ),
    pytest.param(
        "lan: {zzz: 1}\n",
        [
            "config.yaml:1: lan.zzz: unknown key (valid keys: discovery, bind, discovery_ports, "
            "probe, heartbeat, poll, energy_poll, timeout)"
        ],
        id="unknown-key-without-close-match",
    ),
    pytest.param(
        """
        mqtt:
          host: a
          host: b
        """,
        ["config.yaml:4: mqtt.host: duplicate key (first at line 3)"],
        id="duplicate-key",
    ),
    pytest.param(
        "mqtt: {port: 0}\n",
        ["config.yaml:1: mqtt.port: must be between 1 and 65535, got 0"],
        id="port-zero",
    ),
    pytest.param(
        "mqtt: {port: true}\n",
        ["config.yaml:1: mqtt.port: must be an integer, got a boolean"],
        id="port-bool",
    ),
    pytest.param(
        "mqtt: {port: '1883'}\n",
        ["config.yaml:1: mqtt.port: must be an integer, got a string"],
        id="port-quoted",
    ),
    pytest.param(
        "mqtt: {port: [1]}\n",
        ["config.yaml:1: mqtt.port: must be a single value, got a list"],
        id="port-list",
    ),
    pytest.param(
        "mqtt: {host: {a: 1}}\n",
        ["config.yaml:1: mqtt.host: must be a string, got a mapping"],
        id="host-mapping",
    ),
    pytest.param(
        "mqtt: {host: 'my broker'}\n",
        ["config.yaml:1: mqtt.host: must be a host name or address, got 'my broker'"],
        id="host-space",
    ),
    pytest.param(
        "mqtt: {host: !!binary aGVsbG8=}\n",
        ["config.yaml:1: mqtt.host: unsupported YAML tag tag:yaml.org,2002:binary"],
        id="host-tagged",
    ),
    pytest.param(
        "mqtt: {port: !!python/name:os.system x}\n",
        [
            "config.yaml:1: mqtt.port: unsupported value: could not determine a constructor "
            "for the tag 'tag:yaml.org,2002:python/name:os.system'"
        ],
        id="unsafe-tag-refused",
    ),
    pytest.param(
        "mqtt: {tls: maybe}\n",
        [
            "config.yaml:1: mqtt.tls: must be true, false or a mapping of "
            "ca_file, cert_file, key_file"
        ],
        id="tls-string",
    ),
    pytest.param(
        "mqtt: {tls: !!python/none x}\n",
        [
            "config.yaml:1: mqtt.tls: must be true, false or a mapping of "
            "ca_file, cert_file, key_file"
        ],
        id="tls-unsupported-tag",
    ),
    pytest.param(
        "mqtt: {tls: {cafile: x}}\n",
        ["config.yaml:1: mqtt.tls.cafile: unknown key (did you mean 'ca_file'?)"],
        id="tls-unknown-key",
    ),
    pytest.param(
        "mqtt: {tls: {ca_file: ''}}\n",
        ["config.yaml:1: mqtt.tls.ca_file: must not be empty"],
        id="tls-empty-path",
    ),
    pytest.param(
        "mqtt: {base_topic: 'home/#'}\n",
        ["config.yaml:1: mqtt.base_topic: must not contain '+', '#' or NUL, got 'home/#'"],
        id="topic-wildcard",
    ),
    pytest.param(
        "mqtt: {base_topic: ''}\n",
        ["config.yaml:1: mqtt.base_topic: must not be empty"],
        id="topic-empty",
    ),
    pytest.param(
        "homeassistant: {prefix: /ha/}\n",
        [
            "config.yaml:1: homeassistant.prefix: must not start with '$' or '/' "
            "nor end with '/', got '/ha/'"
        ],
        id="topic-slash",
    ),
    pytest.param(
        "mqtt: {client_id: ''}\n",
        ["config.yaml:1: mqtt.client_id: must not be empty"],
        id="client-id-empty",
    ),
    pytest.param(
        "homeassistant: {discovery: 1}\n",
        ["config.yaml:1: homeassistant.discovery: must be true or false, got an integer"],
        id="bool-int",
    ),
    pytest.param(
        "homeassistant: [1]\n",
        ["config.yaml:1: homeassistant: must be a mapping, got a list"],
        id="section-list",
    ),
    pytest.param(
        "mqtt: localhost\n",
        ["config.yaml:1: mqtt: must be a mapping, got a string"],
        id="section-string",
    ),
    pytest.param(
        "lan: !!set {a}\n",
        ["config.yaml:1: lan: must be a mapping, got a mapping tagged tag:yaml.org,2002:set"],
        id="section-set",
    ),
    pytest.param(
        "lan: {bind: localhost}\n",
        ["config.yaml:1: lan.bind: must be an IP address, got 'localhost'"],
        id="bind-not-ip",
    ),
    pytest.param(
        "lan: {heartbeat: 0}\n",
        ["config.yaml:1: lan.heartbeat: must be more than 0, got 0"],
        id="heartbeat-zero",
    ),
    pytest.param(
        "lan: {poll: -1}\n",
        ["config.yaml:1: lan.poll: must be 0 or more, got -1"],
        id="poll-negative",
    ),
    pytest.param(
        "lan: {timeout: .inf}\n",
        ["config.yaml:1: lan.timeout: must be a finite number"],
        id="timeout-infinite",
    ),
    pytest.param(
        "lan: {energy_poll: 2024-01-01}\n",
        ["config.yaml:1: lan.energy_poll: must be a number, got a date"],
        id="number-date",
    ),
    pytest.param(
        "lan: {discovery_ports: 6666}\n",
        [
            "config.yaml:1: lan.discovery_ports: must be a list of UDP ports, "
            "like [6666, 6667, 7000]"
        ],
        id="ports-not-list",
    ),
    pytest.param(
        """
        lan:
          discovery_ports:
            - 6666
            - 6666
            - 0
            - x
        """,
        [
            "config.yaml:5: lan.discovery_ports[1]: port 6666 is listed twice",
            "config.yaml:6: lan.discovery_ports[2]: must be between 1 and 65535, got 0",
            "config.yaml:7: lan.discovery_ports[3]: must be an integer, got a string",
        ],
        id="ports-items",
    ),
    pytest.param(
        """
        cloud:
          region: europe
        """,
        [
            "config.yaml:2: cloud.api_key: required when the cloud section is present "
            "(or api_key_file)",
            "config.yaml:2: cloud.api_secret: required when the cloud section is present "
            "(or api_secret_file)",
            "config.yaml:3: cloud.region: must be one of us, us-e, eu, eu-w, in, cn, sg; "
            "got 'europe'",
        ],
        id="cloud-required-and-region",
    ),
    pytest.param(
        "cloud: {api_key: '', api_secret: x, endpoint: 'ftp://x'}\n",
        [
            "config.yaml:1: cloud.api_key: must not be empty",
            "config.yaml:1: cloud.endpoint: must be an http:// or https:// URL, got 'ftp://x'",
        ],
        id="cloud-empty-key-bad-url",
    ),
    pytest.param(
        "cloud: {api_key: a, api_secret: b, endpoint: 'http://x:99999'}\n",
        ["config.yaml:1: cloud.endpoint: must be an http:// or https:// URL, got 'http://x:99999'"],
        id="cloud-url-bad-port",
    ),
    pytest.param(
        "cloud: {api_key: a, api_secret: b, endpoint: 'https://'}\n",
        ["config.yaml:1: cloud.endpoint: must be an http:// or https:// URL, got 'https://'"],
        id="cloud-url-no-host",
    ),
    pytest.param(
        "devices: {id: a}\n",
        ["config.yaml:1: devices: must be a list of devices (each '- id: ...' with a name)"],
        id="devices-mapping",
    ),
    pytest.param(
        """
        devices:
          - id: a
            name: one
          - id: a
            name: one
          - name: three
          - id: ''
            name: ~
          - plug
        """,
        [
            "config.yaml:5: devices[1].id: 'a' is already used by devices[0] (line 3)",
            "config.yaml:6: devices[1].name: 'one' is already used by devices[0] (line 4)",
            "config.yaml:7: devices[2].id: required",
            "config.yaml:8: devices[3].name: required",
            "config.yaml:8: devices[3].id: must not be empty",
            "config.yaml:10: devices[4]: must be a mapping with at least id and name",
        ],
        id="devices-required-unique",
    ),
    pytest.param(
        """
        devices:
          - id: bf01
            name: kitchen plug
            type: plugg
            port: 70000
            version: 3.6
            cloud: no way
        """,
        [
            "config.yaml:4: devices[0].name: must be 1-64 of A-Z a-z 0-9 _ -, got 'kitchen plug'",
            "config.yaml:5: devices[0].type: must be one of auto, plug, strip, switch, dimmer, "
            "bulb, bulb_v1, cover, fan, climate, sensor, raw; got 'plugg'",
            "config.yaml:6: devices[0].port: must be between 1 and 65535, got 70000",
            "config.yaml:7: devices[0].version: must be one of 3.1, 3.2, 3.3, 3.4, 3.5; got '3.6'",
            "config.yaml:8: devices[0].cloud: must be true or false, got a string",
        ],
        id="device-fields",
    ),
    pytest.param(
        "devices: [{id: 'a/b', name: bridge, lcal_key: x}]\n",
        [
            "config.yaml:1: devices[0].lcal_key: unknown key (did you mean 'local_key'?)",
            "config.yaml:1: devices[0].id: must not contain spaces, '/', '+' or '#', got 'a/b'",
            "config.yaml:1: devices[0].name: 'bridge' is reserved for the bridge's own topics",
        ],
        id="device-id-name-rules",
    ),
    pytest.param(
        "devices: [{id: a, name: " + "n" * 65 + "}]\n",
        ["config.yaml:1: devices[0].name: must be 1-64 of A-Z a-z 0-9 _ -, got '" + "n" * 65 + "'"],
        id="name-too-long",
    ),
    pytest.param(
        """
        devices:
          - id: a
            name: b
            dps:
              power: 19
              Power: 20
              swtch_9: 1
              energy: 0
              current: x
              voltage:
              color: 256
              state: 19
        """,
        [
            "config.yaml:7: devices[0].dps.Power: unknown role (did you mean 'power'?)",
            "config.yaml:8: devices[0].dps.swtch_9: unknown role (did you mean 'switch_9'?)",
            "config.yaml:9: devices[0].dps.energy: DP id must be between 1 and 255, got 0",
            "config.yaml:10: devices[0].dps.current: DP id must be an integer, got a string",
            "config.yaml:12: devices[0].dps.color: DP id must be between 1 and 255, got 256",
            "config.yaml:13: devices[0].dps.state: DP 19 is already mapped to power",
        ],
        id="dps",
    ),
    pytest.param(
        "devices: [{id: a, name: b, dps: [19]}]\n",
        ["config.yaml:1: devices[0].dps: must be a mapping of role: DP id, like {power: 19}"],
        id="dps-list",
    ),
    pytest.param(
        """
        devices:
          - id: a
            name: b
            local_key: 'abc#def'
        """,
        ["config.yaml:5: devices[0].local_key: must be 16 characters, got 7"],
        id="local-key-length",
    ),
    pytest.param(
        'devices: [{id: a, name: b, local_key: "0123456789abcd\\té"}]\n',
        ["config.yaml:1: devices[0].local_key: must be printable ASCII characters"],
        id="local-key-not-ascii",
    ),
    pytest.param(
        "? [a, b]\n: 1\n",
        ["config.yaml:1: keys must be plain names"],
        id="complex-key",
    ),
    pytest.param(
        "devices:\n  - <<: 5\n    id: a\n    name: b\n",
        ["config.yaml:2: devices[0]: '<<' must merge a mapping or a list of them"],
        id="merge-scalar",
    ),
    pytest.param(
        "devices:\n  - &d\n    id: a\n    name: b\n    <<: *d\n",
        ["config.yaml:2: devices[0]: '<<' merges a mapping into itself"],
        id="merge-cycle",
    ),
]


@pytest.mark.parametrize(("text", "expected"), ERRORS)
def test_error_lines(problems: Problems, text: str, expected: list[str]) -> None:
    assert problems(text) == expected


def test_error_carries_the_first_problem(problems: Problems, config_dir: Path) -> None:
    (config_dir / "config.yaml").write_text(
        "mqtt:\n  port: 0\ndevices:\n  - id: a\n    name: b\n    local_key: short\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config("config.yaml", environ={})
    error = caught.value
    assert (error.file, error.line, error.path) == ("config.yaml", 2, "mqtt.port")
    assert error.message == "must be between 1 and 65535, got 0"
    assert [issue.line for issue in error.issues] == [2, 6]
    assert error.issues[1] == ConfigIssue(
        "config.yaml", 6, "devices[0].local_key", "must be 16 characters, got 5"
    )


def test_missing_file(config_dir: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config("nope.yaml", environ={})
    assert str(caught.value) == "nope.yaml: cannot read the file: No such file or directory"
    assert caught.value.line is None


def test_directory_instead_of_file(config_dir: Path) -> None:
    (config_dir / "conf.d").mkdir()
    with pytest.raises(ConfigError, match=r"^conf\.d: cannot read the file: Is a directory$"):
        load_config("conf.d", environ={})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "config.yaml:1: the file is empty (it needs at least a devices list)"),
        (
            "# only a comment\n",
            "config.yaml:1: the file is empty (it needs at least a devices list)",
        ),
        ("- a\n- b\n", "config.yaml:1: the top level must be a mapping of sections, got a list"),
        (
            "\n\nhello\n",
            "config.yaml:3: the top level must be a mapping of sections, got a string",
        ),
        (
            "mqtt:\n  host: a\n   port: 1\n",
            "config.yaml:3: YAML syntax error: mapping values are not allowed here",
        ),
        (
            "devices: [a, b\n",
            "config.yaml:2: YAML syntax error: expected ',' or ']', but got '<stream end>' "
            "(while parsing a flow sequence at line 1)",
        ),
        (
            "mqtt:\n\thost: a\n",
            "config.yaml:2: YAML syntax error: found character '\\t' that cannot start any "
            "token (while scanning for the next token)",
        ),
        ("a: *nowhere\n", "config.yaml:1: YAML syntax error: found undefined alias 'nowhere'"),
        (
            "a: 1\n---\nb: 2\n",
            "config.yaml:2: YAML syntax error: but found another document "
            "(expected a single document in the stream at line 1)",
        ),
        ("a: 1\nb: x\x07y\n", "config.yaml:2: YAML syntax error: unacceptable character #x0007"),
    ],
)
def test_file_level_errors(problems: Problems, text: str, expected: str) -> None:
    assert problems(text) == [expected]


def test_not_utf8(config_dir: Path) -> None:
    (config_dir / "config.yaml").write_bytes(b"mqtt:\n  host: caf\xe9\n")
    with pytest.raises(ConfigError) as caught:
        load_config("config.yaml", environ={})
    assert str(caught.value) == "config.yaml:2: the file is not UTF-8 text"


def test_error_names_the_path_as_given(tmp_path: Path) -> None:
    path = tmp_path / "etc" / "setsmart.yaml"
    path.parent.mkdir()
    path.write_text("mqtt: {port: x}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert str(caught.value) == f"{path}:1: mqtt.port: must be an integer, got a string"


def test_issue_without_path_or_line() -> None:
    assert str(ConfigIssue("c.yaml", None, "", "gone")) == "c.yaml: gone"
    assert str(ConfigIssue("c.yaml", 3, "", "bad")) == "c.yaml:3: bad"
    assert str(ConfigIssue("c.yaml", 3, "a.b", "bad")) == "c.yaml:3: a.b: bad"


def test_from_issues_sorts_and_needs_one() -> None:
    late = ConfigIssue("c.yaml", 9, "b", "late")
    early = ConfigIssue("c.yaml", 2, "a", "early")
    whole = ConfigIssue("c.yaml", None, "", "whole")
    error = ConfigError.from_issues([late, early, whole])
    assert error.issues == (whole, early, late)
    assert str(error) == "c.yaml: whole\nc.yaml:2: a: early\nc.yaml:9: b: late"
    with pytest.raises(ValueError, match="at least one issue"):
        ConfigError.from_issues([])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mqtt: {port: 1.5}", "config.yaml:1: mqtt.port: must be an integer, got a number"),
        (
            "lan: {heartbeat: !!binary aGk=}",
            "config.yaml:1: lan.heartbeat: must be a number, got a bytes value",
        ),
    ],
)
def test_value_kinds_in_messages(problems: Problems, text: str, expected: str) -> None:
    assert problems(text) == [expected]
