"""Writing an import: merged into the user's file with everything else kept as written,
and a private (0600) file that is never silently overwritten."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from setsmart.config import Config, DeviceConfig, Secret, load_config
from setsmart.config.importers import (
    ImportResult,
    OutputError,
    OutputExistsError,
    SourceDevice,
    build_devices,
    moved_paths_note,
    render_config,
    write_private_file,
)

BASE = """\
# My setsmart configuration
mqtt:
  host: broker.lan
  password: ${MQTT_PASSWORD}   # from the environment
cloud:
  region: eu
  api_key: fakeaccessid0001
  api_secret_file: tuya_secret.txt
devices:
  - id: bfkept00000000000001
    name: desk
    local_key: "0123456789abcdef"
  # the hall light
  - id: bfhall00000000000001
    name: hall
    type: bulb

# LAN tuning
lan:
  poll: 60
"""
ENV = {"MQTT_PASSWORD": "mqtt-password-1"}


def write_base(directory: Path, text: str = BASE) -> Config:
    (directory / "tuya_secret.txt").write_text("cloud-secret-000000000000000001\n")
    path = directory / "config.yaml"
    path.write_text(text)
    return load_config(path, environ=ENV)


def imported(base: Config) -> ImportResult:
    sources = [
        SourceDevice(id="bfkept00000000000001", name="Desk lamp", local_key="newkey0123456789"),
        SourceDevice(id="bfnew000000000000001", name="Desk", local_key="fedcba9876543210"),
    ]
    return build_devices(sources, origin="the Tuya cloud", existing=base.devices)


def test_the_merge_keeps_other_sections_comments_and_references(tmp_path: Path) -> None:
    base = write_base(tmp_path)
    result = imported(base)
    text = render_config(result, base=base)
    for kept in (
        "# My setsmart configuration\n",
        "  password: ${MQTT_PASSWORD}   # from the environment\n",
        "  api_secret_file: tuya_secret.txt\n",
        "# LAN tuning\nlan:\n  poll: 60\n",
    ):
        assert kept in text
    assert "the hall light" not in text  # the old devices block is replaced whole
    out = tmp_path / "merged.yaml"
    out.write_text(text)
    merged = load_config(out, environ=ENV)
    assert merged.mqtt == base.mqtt
    assert merged.cloud == base.cloud
    assert merged.lan == base.lan
    assert [(d.id, d.name) for d in merged.devices] == [
        ("bfkept00000000000001", "desk"),  # the configured name stays: topics do not move
        ("bfhall00000000000001", "hall"),  # not in the cloud: kept
        ("bfnew000000000000001", "desk_2"),
    ]
    assert merged.devices[0].local_key == Secret("newkey0123456789")
    assert merged.devices[1].type == "bulb"
    assert "desk: local key updated from the Tuya cloud" in result.notes
    assert any(note.startswith("kept 1 configured device(s)") for note in result.notes)


@pytest.mark.parametrize(
    "devices_part",
    ["devices: []\n", "devices:\n", "", "devices: [{id: bfx0000000000000001, name: x}]"],
    ids=["empty-flow", "null", "absent", "flow-without-newline"],
)
def test_the_devices_block_is_found_or_added(tmp_path: Path, devices_part: str) -> None:
    base = write_base(tmp_path, "mqtt:\n  host: broker.lan\n" + devices_part)
    result = build_devices(
        [SourceDevice(id="bfnew000000000000001", name="Lamp", local_key="fedcba9876543210")],
        origin="devices.json",
        existing=base.devices,
    )
    out = tmp_path / "merged.yaml"
    out.write_text(render_config(result, base=base))
    merged = load_config(out, environ={})
    assert merged.mqtt.host == "broker.lan"
    assert "lamp" in [d.name for d in merged.devices]


def test_a_key_kept_in_a_file_is_not_rewritten(tmp_path: Path) -> None:
    (tmp_path / "desk.key").write_text("0123456789abcdef\n")
    base = write_base(
        tmp_path,
        "devices:\n  - id: bfkept00000000000001\n    name: desk\n    local_key_file: desk.key\n",
    )
    result = imported(base)
    assert result.devices[0].local_key == Secret("0123456789abcdef")
    assert any("local_key_file" in note and "desk.key" in note for note in result.notes)
    out = tmp_path / "merged.yaml"
    out.write_text(render_config(result, base=base))
    assert "local_key_file: desk.key" in out.read_text()
    assert "newkey0123456789" not in out.read_text()


def test_without_a_base_the_header_comes_first(tmp_path: Path) -> None:
    result = build_devices([SourceDevice(id="bfnew000000000000001", name="Lamp")], origin="x")
    text = render_config(result, header="Imported by setsmart\nkeep this file private")
    assert text.startswith("# Imported by setsmart\n# keep this file private\ndevices:\n")
    out = tmp_path / "out.yaml"
    out.write_text(text)
    assert load_config(out, environ={}).devices == (
        DeviceConfig(id="bfnew000000000000001", name="lamp"),
    )


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("open_umask")
def test_the_file_is_private_whatever_the_umask(tmp_path: Path) -> None:
    path = write_private_file(tmp_path / "devices.yaml", "devices: []\n")
    assert mode(path) == 0o600
    assert path.read_text() == "devices: []\n"


def test_an_existing_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "config.yaml"
    target.write_text("mine\n")
    with pytest.raises(OutputExistsError, match=r"config.yaml exists: give --force to replace it"):
        write_private_file(target, "devices: []\n")
    assert target.read_text() == "mine\n"


@pytest.mark.usefixtures("open_umask")
def test_force_replaces_it_atomically_and_privately(tmp_path: Path) -> None:
    target = tmp_path / "config.yaml"
    target.write_text("mine\n")
    target.chmod(0o644)
    write_private_file(target, "devices: []\n", force=True)
    assert target.read_text() == "devices: []\n"
    assert mode(target) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.yaml"]  # no temporary left


@pytest.mark.parametrize("force", [False, True])
def test_unwritable_places_are_one_readable_error(tmp_path: Path, force: bool) -> None:
    with pytest.raises(OutputError, match=r"cannot write .*missing/out.yaml: No such file"):
        write_private_file(tmp_path / "missing" / "out.yaml", "x", force=force)
    with pytest.raises(OutputError, match=r"cannot write .*: Is a directory"):
        write_private_file(tmp_path, "x", force=force)


def test_a_merge_key_at_the_end_of_the_devices_does_not_confuse_the_merge(
    tmp_path: Path,
) -> None:
    base = write_base(
        tmp_path,
        "devices:\n"
        "  - &plug {id: bfx0000000000000001, name: x, type: plug}\n"
        "  - id: bfy0000000000000001\n"
        "    name: y\n"
        "    <<: *plug\n"
        "lan:\n  poll: 60\n",
    )
    assert [d.type for d in base.devices] == ["plug", "plug"]
    result = build_devices(
        [SourceDevice(id="bfnew000000000000001", name="Lamp")], origin="x", existing=base.devices
    )
    out = tmp_path / "merged.yaml"
    out.write_text(render_config(result, base=base))
    merged = load_config(out, environ={})
    assert [d.name for d in merged.devices] == ["x", "y", "lamp"]
    assert merged.lan.poll == 60


def test_a_merged_file_written_elsewhere_warns_about_relative_paths(tmp_path: Path) -> None:
    base = write_base(tmp_path)
    assert moved_paths_note(base, tmp_path / "next-to-it.yaml") is None
    note = moved_paths_note(base, tmp_path / "sub" / "elsewhere.yaml")
    assert note is not None
    assert "relative paths are read from the configuration's directory" in note
    plain = write_base(tmp_path, "devices: []\n")
    assert moved_paths_note(plain, tmp_path / "sub" / "elsewhere.yaml") is None
