"""The example configurations shipped in examples/ load and say what they claim."""

from __future__ import annotations

from pathlib import Path

from setsmart.config import dump_config, load_config, summary

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_full_example() -> None:
    config = load_config(EXAMPLES / "config.yaml", environ={})
    assert [(d.name, d.type) for d in config.devices] == [
        ("kitchen_plug", "plug"),
        ("desk_strip", "strip"),
        ("living_room_lamp", "bulb"),
        ("hall_bulb", "bulb_v1"),
    ]
    assert all(device.local_key is not None for device in config.devices)
    assert config.cloud is None
    assert "devices: 4 (1 plug, 1 strip, 1 bulb, 1 bulb_v1)" in summary(config)


def test_full_example_cloud_section_works_when_uncommented(tmp_path: Path) -> None:
    text = (EXAMPLES / "config.yaml").read_text()
    start = text.index("# cloud:")
    block = text[start:].split("\n\n", 1)[0]
    uncommented = "\n".join(line.removeprefix("# ") for line in block.splitlines())
    (tmp_path / "tuya-api-secret").write_text("secret\n")
    (tmp_path / "config.yaml").write_text(text.replace(block, uncommented))
    config = load_config(tmp_path / "config.yaml", environ={})
    assert config.cloud is not None
    assert config.cloud.region == "eu"


def test_minimal_example(tmp_path: Path) -> None:
    config = load_config(EXAMPLES / "minimal.yaml", environ={})
    (device,) = config.devices
    assert (device.name, device.type, device.host, device.version) == (
        "kitchen_plug",
        "auto",
        None,
        None,
    )
    (tmp_path / "again.yaml").write_text(dump_config(config))
    assert load_config(tmp_path / "again.yaml", environ={}) == config
