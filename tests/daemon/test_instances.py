"""Several daemons on one broker: each base topic held by one instance (CONTRACT.md
"Bridge requests": `B/bridge/info`, and a second daemon on a held base topic refuses to
start), daemons on different base topics side by side with no cross-talk."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from setsmart import __version__
from setsmart.sim import SimDevice
from tests.daemon.harness import BASE, KEY, Dev, config_text, daemon
from tests.support.broker import Broker, running_broker
from tests.support.mqtt_client import recorder

pytestmark = pytest.mark.timeout(90)


def site_config(broker: Broker, base: str, client_id: str, devices: list[Dev]) -> str:
    text = config_text(broker, devices)
    return text.replace(
        f"  base_topic: {BASE}\n", f"  base_topic: {base}\n  client_id: {client_id}\n"
    )


async def run_daemon_process(config: Path, state: Path) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "setsmart", "run", "-c", str(config)),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "SETSMART_STATE_DIR": str(state)},
    )
    try:
        async with asyncio.timeout(30):
            _, err = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return proc.returncode, err.decode()


async def test_two_sites_side_by_side_and_a_duplicate_refused(tmp_path: Path) -> None:
    site_a, site_b = tmp_path / "a", tmp_path / "b"
    site_a.mkdir()
    site_b.mkdir()
    async with (
        running_broker(tmp_path) as broker,
        SimDevice(
            "bfsitea0000000000001", KEY, "3.3", "plug", host="127.0.0.151", dps={"1": False}
        ) as plug_a,
        SimDevice(
            "bfsiteb0000000000001", KEY, "3.4", "plug", host="127.0.0.152", dps={"1": False}
        ) as plug_b,
        recorder(broker.host, broker.port, "site_a/#", "site_b/#") as mqtt,
    ):
        # The same device name on both sites: only the base topic tells them apart.
        text_a = site_config(broker, "site_a", "setsmart-a", [Dev("desk", plug_a)])
        text_b = site_config(broker, "site_b", "setsmart-b", [Dev("desk", plug_b)])
        async with daemon(site_a, text_a), daemon(site_b, text_b):
            for base, instance in (("site_a", "setsmart-a"), ("site_b", "setsmart-b")):
                await mqtt.wait_for(f"{base}/desk/availability", lambda m: m.payload == b"online")
                info = (await mqtt.wait_for(f"{base}/bridge/info")).json()
                assert info["version"] == __version__
                assert info["instance"] == instance
                assert info["devices"] == 1
                assert f"base topic {base}" in info["config"]["broker"]
                assert info["config"]["devices"] == "1 (1 auto)"
                assert KEY not in json.dumps(info)
            async with recorder(broker.host, broker.port, "+/bridge/info") as later:
                for base in ("site_a", "site_b"):
                    assert (await later.wait_for(f"{base}/bridge/info")).retain

            await mqtt.publish("site_a/desk/set", '{"state": "ON"}')
            on = await mqtt.wait_for("site_a/desk", lambda m: m.json()["state"] == "ON")
            assert on.json()["source"] == "lan"
            assert plug_a.dps["1"] is True
            assert plug_b.dps["1"] is False, "site_b's plug never hears site_a's command"
            assert mqtt.last("site_b/desk") is not None
            assert all(m.json()["state"] == "OFF" for m in mqtt.on("site_b/desk"))

            # A third daemon on site_a's base topic, same devices: it must touch nothing.
            duplicate = tmp_path / "c.yaml"
            duplicate.write_text(site_config(broker, "site_a", "setsmart-c", [Dev("desk", plug_a)]))
            connections = plug_a.stats.connections
            mark = mqtt.mark()
            code, err = await run_daemon_process(duplicate, tmp_path / "c-state")
            assert code == 1, err
            errors = [line for line in err.splitlines() if line.startswith("setsmart: ")]
            assert errors == [
                f"setsmart: base topic 'site_a' on {broker.host}:{broker.port} is held by "
                "another instance, setsmart-a (site_a/bridge/state is online): give this daemon "
                "its own mqtt.base_topic, or stop the other; not starting"
            ], err
            assert "Traceback" not in err
            assert plug_a.stats.connections == connections, "the device was not touched"
            # Nothing published, no will taken over: site_a's bridge topics are untouched.
            held = ("site_a/bridge/state", "site_a/bridge/info")
            assert [m for m in mqtt.messages[mark:] if m.topic in held] == []
            assert not (tmp_path / "c-state").exists()

            # The first holder serves on, undisturbed.
            await mqtt.publish("site_a/desk/set", "OFF")
            await mqtt.wait_for("site_a/desk", lambda m: m.json()["state"] == "OFF", since=mark)
            assert plug_a.dps.get("1") is False
            state = mqtt.last("site_a/bridge/state")
            assert state is not None
            assert state.payload == b"online"
