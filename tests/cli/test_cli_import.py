"""`setsmart import tinytuya devices.json` as a user runs it: YAML out, summary on stderr,
private files, readable errors."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from setsmart.config import Secret, load_config
from tests.cli.helpers import run_cli, write_config

pytestmark = pytest.mark.timeout(60)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "tinytuya"
MAPPINGS = FIXTURES / "wizard_mappings.json"


def keys_in(path: Path) -> list[str]:
    return [entry["key"] for entry in json.loads(path.read_text()) if entry.get("key")]


async def test_to_stdout_with_a_summary_on_stderr(tmp_path: Path) -> None:
    done = await run_cli("import", "tinytuya", str(MAPPINGS))
    assert done.code == 0, done.err
    written = tmp_path / "out.yaml"
    written.write_text(done.out)
    devices = load_config(written, environ={}).devices
    assert len(devices) == 10
    assert done.err.splitlines()[0].startswith("10 devices: 6 plug, 1 strip, 2 bulb")
    assert "skipped 1:" in done.err
    assert "Door sensor" in done.err
    for key in keys_in(MAPPINGS):
        assert key not in done.err


async def test_to_a_private_file_that_loads(tmp_path: Path) -> None:
    target = tmp_path / "devices.yaml"
    done = await run_cli("import", "tinytuya", str(MAPPINGS), "-o", str(target))
    assert done.code == 0, done.err
    assert done.out == ""
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert f"wrote {target} (mode 0600" in done.err
    devices = {d.name: d for d in load_config(target, environ={}).devices}
    assert devices["regleta_salon"].local_key == Secret("a'b\"c#d: e{f}[g]")
    check = await run_cli("check-config", "-c", str(target))
    assert check.code == 0, check.err


async def test_an_existing_file_needs_force(tmp_path: Path) -> None:
    target = write_config(tmp_path / "devices.yaml", "devices: []\n")
    refused = await run_cli("import", "tinytuya", str(MAPPINGS), "-o", str(target))
    assert refused.code == 2
    assert refused.err == f"setsmart: {target} exists: give --force to replace it\n"
    assert target.read_text() == "devices: []\n"
    forced = await run_cli("import", "tinytuya", str(MAPPINGS), "-o", str(target), "--force")
    assert forced.code == 0, forced.err
    assert len(load_config(target, environ={}).devices) == 10


async def test_merging_into_a_configuration_keeps_its_sections(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "config.yaml",
        "mqtt:\n  host: broker.lan  # the Pi\ndevices:\n"
        "  - id: bf2815c3b03c2afccbfu7g\n    name: freezer\n",
    )
    target = tmp_path / "merged.yaml"
    done = await run_cli("import", "tinytuya", str(MAPPINGS), "-c", str(config), "-o", str(target))
    assert done.code == 0, done.err
    assert "host: broker.lan  # the Pi" in target.read_text()
    merged = load_config(target, environ={})
    assert merged.mqtt.host == "broker.lan"
    assert merged.devices[0].name == "freezer"  # the configured name is kept
    assert len(merged.devices) == 10


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "{not json",
            "devices.json:1: not JSON (Expecting property name enclosed in double quotes)",
        ),
        ('{"a": 1}', "devices.json: must be a JSON list of devices, got an object"),
        ('[{"name": "Lamp"}]', "devices.json: [0]: has no id (name 'Lamp')"),
    ],
)
async def test_bad_files_are_one_line_and_exit_2(
    tmp_path: Path, content: str, message: str
) -> None:
    source = tmp_path / "devices.json"
    source.write_text(content)
    done = await run_cli("import", "tinytuya", str(source))
    assert done.code == 2
    assert done.out == ""
    assert done.err.startswith(f"setsmart: {tmp_path}/{message}")
    assert len(done.err.splitlines()) == 1


async def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    done = await run_cli("import", "tinytuya", str(tmp_path / "nope.json"))
    assert done.code == 2
    assert (
        done.err
        == f"setsmart: {tmp_path}/nope.json: cannot read the file: No such file or directory\n"
    )
