"""`setsmart status`, `set`, `scan` and `check-config` against simulated devices."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from setsmart.protocol import VERSIONS, Version
from setsmart.sim import DevInfoResponder, SimDevice, SimGateway
from tests.cli.helpers import run_cli, write_config

pytestmark = pytest.mark.timeout(60)

KEY = "0123456789abcdef"


def device_yaml(name: str, device: SimDevice, *, type_: str = "auto", key: str = KEY) -> str:
    return (
        f"  - id: {device.device_id}\n    name: {name}\n    type: {type_}\n"
        f"    local_key: '{key}'\n    host: {device.host}\n    port: {device.port}\n"
        f"    version: '{device.version}'\n"
    )


@pytest.mark.parametrize("version", VERSIONS)
async def test_status_and_set_for_every_version(tmp_path: Path, version: Version) -> None:
    async with SimDevice(
        f"bfcli{version.replace('.', '')}000000000001", KEY, version, "plug", host="127.0.0.9"
    ) as dev:
        config = write_config(
            tmp_path / "c.yaml", "lan:\n  timeout: 2\ndevices:\n" + device_yaml("desk", dev)
        )

        status = await run_cli("status", "desk", "--json", "-c", str(config))
        assert status.code == 0, status.err
        state = json.loads(status.out)
        assert state["state"] == ("ON" if dev.dps["1"] else "OFF")
        assert state["source"] == "lan"
        assert state["dps"]["1"] == dev.dps["1"]
        if version != "3.2":  # device22: the query lists the DPs and gets them all back too
            assert "power" in state

        turned = await run_cli("set", "desk", "state=TOGGLE", "-c", str(config))
        assert turned.code == 0, turned.err
        assert json.loads(turned.out)["state"] == state["state"].replace("ON", "x").replace(
            "OFF", "ON"
        ).replace("x", "OFF")
        assert dev.dps["1"] is (state["state"] == "OFF")

        raw = await run_cli("set", dev.device_id, "dps.1=true", "-c", str(config))
        assert raw.code == 0, raw.err
        assert dev.dps["1"] is True


async def test_bulb_brightness_and_colour(tmp_path: Path) -> None:
    async with SimDevice("bfclibulb00000000001", KEY, "3.4", "bulb", host="127.0.0.9") as dev:
        config = write_config(
            tmp_path / "c.yaml", "devices:\n" + device_yaml("lamp", dev, type_="bulb")
        )
        done = await run_cli("set", "lamp", "state=ON", "brightness=128", "-c", str(config))
        assert done.code == 0, done.err
        assert json.loads(done.out)["brightness"] == 128
        coloured = await run_cli("set", "lamp", "color=#ff0000", "-c", str(config))
        assert coloured.code == 0, coloured.err
        state = json.loads(coloured.out)
        assert state["color_mode"] == "hs"
        assert state["color"]["h"] == 0


async def test_errors_are_one_readable_line(tmp_path: Path) -> None:
    async with SimDevice("bfclierr000000000001", KEY, "3.4", "plug", host="127.0.0.9") as dev:
        good = write_config(
            tmp_path / "c.yaml", "lan:\n  timeout: 1\ndevices:\n" + device_yaml("desk", dev)
        )
        wrong = write_config(
            tmp_path / "w.yaml",
            "lan:\n  timeout: 1\ndevices:\n" + device_yaml("desk", dev, key="fedcba9876543210"),
        )

        bad_value = await run_cli("set", "desk", "brightness=300", "-c", str(good))
        assert (bad_value.code, bad_value.out) == (2, "")
        assert bad_value.err.count("\n") == 1
        assert "setsmart: " in bad_value.err

        unknown = await run_cli("status", "nosuch", "-c", str(good))
        assert unknown.code == 2
        assert "nosuch: no such device in the configuration (known: desk)" in unknown.err

        key_error = await run_cli("status", "desk", "-c", str(wrong))
        assert key_error.code == 1
        assert key_error.err.startswith("setsmart: desk: ")
        assert "wrong local key" in key_error.err
        assert "fedcba9876543210" not in key_error.err + key_error.out
        assert "Traceback" not in key_error.err

        dev.refuse = True
        refused = await run_cli("status", "desk", "-c", str(good))
        assert refused.code == 1
        assert refused.err.startswith(f"setsmart: desk: cannot connect to {dev.host}:{dev.port}")


@pytest.mark.parametrize("version", ["3.3", "3.5"])
async def test_status_and_set_of_a_sub_device_through_its_gateway(
    tmp_path: Path, version: Version
) -> None:
    plug, climate = "a4c1380000000001", "a4c1380000000002"
    sim = SimGateway(
        "bfcligateway00000001",
        KEY,
        version,
        children={plug: "plug", climate: "temperature"},
        host="127.0.0.9",
    )
    async with sim:
        children = "".join(
            f"  - id: bfclizb{n}00000000001\n    name: {name}\n    type: {type_}\n"
            f"    gateway: hub\n    node_id: '{cid}'\n"
            for n, (name, type_, cid) in enumerate(
                [("porch", "plug", plug), ("hall", "sensor", climate), ("lost", "plug", "ffff")]
            )
        )
        hub = (
            f"  - id: {sim.device_id}\n    name: hub\n    local_key: '{KEY}'\n"
            f"    host: {sim.host}\n    port: {sim.port}\n    version: '{version}'\n"
        )
        config = write_config(
            tmp_path / "c.yaml", "lan:\n  timeout: 2\ndevices:\n" + children + hub
        )

        status = await run_cli("status", "hall", "--json", "-c", str(config))
        assert status.code == 0, status.err
        assert json.loads(status.out)["temperature"] == 21.5

        turned = await run_cli("set", "porch", "state=ON", "-c", str(config))
        assert turned.code == 0, turned.err
        assert json.loads(turned.out)["state"] == "ON"
        assert sim.child(plug).dps["1"] is True

        unknown = await run_cli("status", "lost", "-c", str(config))
        assert unknown.code == 1
        assert unknown.err.startswith("setsmart: lost (via gateway hub): ")
        assert "node_id 'ffff'" in unknown.err
        assert unknown.err.count("\n") == 1


async def test_broken_config_exits_2_with_file_line_and_key(tmp_path: Path) -> None:
    config = write_config(tmp_path / "broken.yaml", "mqtt:\n  host: x\n  prot: 1883\n")
    result = await run_cli("check-config", "-c", str(config))
    assert result.code == 2
    assert f"{config}:3: mqtt.prot: unknown key (did you mean 'port'?)" in result.err
    assert "Traceback" not in result.err


async def test_check_config_summarises(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "ok.yaml",
        "devices:\n  - id: bf0123456789abcdefgh\n    name: kitchen_plug\n    type: plug\n"
        "    local_key: '0123456789abcdef'\n",
    )
    result = await run_cli("check-config", "-c", str(config))
    assert result.code == 0, result.err
    assert "devices: 1 (1 plug)" in result.out
    assert "0123456789abcdef" not in result.out


async def test_scan_lists_broadcasting_and_probed_devices(tmp_path: Path) -> None:
    responder_host = "127.0.0.11"
    old = SimDevice("bfscan31000000000001", KEY, "3.1", host="127.0.0.12")
    new = SimDevice("bfscan35000000000001", KEY, "3.5", host="127.0.0.13")
    responder = DevInfoResponder(lambda: [new])
    async with old, new:
        probe_port = (await responder.start(responder_host, 0))[1]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            beacon_port = s.getsockname()[1]
        old.beacon_target = ("127.0.0.1", beacon_port)
        old.beacon_interval = 0.2
        config = write_config(
            tmp_path / "scan.yaml",
            f"lan:\n  bind: 127.0.0.1\n  discovery_ports: [{beacon_port}, {probe_port}]\n"
            f"  probe: {responder_host}\n"
            f"devices:\n  - id: {new.device_id}\n    name: garage_light\n",
        )
        try:
            result = await run_cli("scan", "--timeout", "2", "--json", "-c", str(config))
        finally:
            responder.stop()
    assert result.code == 0, result.err
    rows = {row["id"]: row for row in json.loads(result.out)}
    assert rows[old.device_id]["version"] == "3.1"
    assert rows[old.device_id]["name"] is None
    assert rows[new.device_id] == {
        "id": new.device_id,
        "ip": new.beacon_info()["ip"],
        "version": "3.5",
        "product_key": new.product_key,
        "name": "garage_light",
    }
