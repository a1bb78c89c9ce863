"""`setsmart run` and `setsmart demo` as processes: signals, reload, exit codes, the CLI path."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from setsmart.sim import SimDevice
from tests.cli.helpers import run_cli
from tests.daemon.harness import BASE, KEY, Dev, config_text
from tests.support.broker import Broker, running_broker
from tests.support.mqtt_client import recorder

pytestmark = pytest.mark.timeout(90)


@asynccontextmanager
async def process(
    *args: str, env: dict[str, str] | None = None
) -> AsyncIterator[asyncio.subprocess.Process]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "setsmart",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_run_stops_cleanly_on_sigterm_and_reloads_on_sighup(tmp_path: Path) -> None:
    async with (
        running_broker(tmp_path) as broker,
        SimDevice("bfproc00000000000001", KEY, "3.3", "plug", host="127.0.0.41") as first,
        SimDevice("bfproc00000000000002", KEY, "3.4", "plug", host="127.0.0.42") as second,
        recorder(broker.host, broker.port, f"{BASE}/#") as mqtt,
    ):
        config = tmp_path / "config.yaml"
        config.write_text(config_text(broker, [Dev("first", first)]))
        env = {"SETSMART_STATE_DIR": str(tmp_path / "state")}
        async with process("run", "-c", str(config), env=env) as daemon:
            await mqtt.wait_for(f"{BASE}/first/availability", lambda m: m.payload == b"online")
            connections = first.stats.connections

            config.write_text(config_text(broker, [Dev("first", first), Dev("second", second)]))
            daemon.send_signal(signal.SIGHUP)
            await mqtt.wait_for(f"{BASE}/second/availability", lambda m: m.payload == b"online")
            assert first.stats.connections == connections, "an untouched device keeps its session"

            config.write_text("devices: [this is not a device]\n")
            mark = mqtt.mark()
            daemon.send_signal(signal.SIGHUP)
            log = await mqtt.wait_for(f"{BASE}/bridge/log", since=mark)
            assert "reload failed" in log.json()["message"]
            assert "config.yaml:1" in log.json()["message"]

            mark = mqtt.mark()
            daemon.send_signal(signal.SIGTERM)
            async with asyncio.timeout(15):
                code = await daemon.wait()
            _, err = await daemon.communicate()
        assert code == 0, err.decode()
        assert (await mqtt.wait_for(f"{BASE}/bridge/state", since=mark)).payload == b"offline"
        for name in ("first", "second"):
            gone = await mqtt.wait_for(f"{BASE}/{name}/availability", since=mark)
            assert gone.payload == b"offline"
        assert KEY not in err.decode()


async def test_run_with_a_broken_config_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("mqtt:\n  port: eighty\n")
    result = await run_cli("run", "-c", str(config))
    assert result.code == 2
    assert f"{config}:2: mqtt.port:" in result.err
    assert "Traceback" not in result.err


async def test_status_and_set_go_through_a_running_daemon(tmp_path: Path) -> None:
    async with (
        running_broker(tmp_path) as broker,
        SimDevice(
            "bfproc00000000000003", KEY, "3.5", "plug", host="127.0.0.43", dps={"1": False}
        ) as plug,
        recorder(broker.host, broker.port, f"{BASE}/#") as mqtt,
    ):
        config = tmp_path / "config.yaml"
        config.write_text(config_text(broker, [Dev("desk", plug)]))
        env = {"SETSMART_STATE_DIR": str(tmp_path / "state")}
        async with process("run", "-c", str(config), env=env) as daemon:
            await mqtt.wait_for(f"{BASE}/desk/availability", lambda m: m.payload == b"online")
            connections = plug.stats.connections

            status = await run_cli("status", "desk", "--json", "-c", str(config))
            assert status.code == 0, status.err
            assert json.loads(status.out)["state"] == "OFF"

            changed = await run_cli("set", "desk", "state=ON", "-c", str(config))
            assert changed.code == 0, changed.err
            assert json.loads(changed.out)["state"] == "ON"
            assert plug.dps["1"] is True

            refused = await run_cli("set", "desk", "brightness=3", "-c", str(config))
            assert refused.code == 1
            assert "brightness" in refused.err

            assert plug.stats.connections == connections, "the CLI never opened its own connection"
            daemon.send_signal(signal.SIGTERM)
            async with asyncio.timeout(15):
                assert await daemon.wait() == 0


async def test_demo_runs_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    broker = Broker(tmp_path)
    await broker.start()
    try:
        config = tmp_path / "demo.yaml"
        config.write_text(f"mqtt:\n  host: {broker.host}\n  port: {broker.port}\n")
        async with (
            recorder(broker.host, broker.port, "setsmart/#") as mqtt,
            process("demo", "-c", str(config)) as demo,
        ):
            assert demo.stdout is not None
            printed: list[str] = []
            async with asyncio.timeout(30):
                while not printed or "Press Ctrl-C" not in printed[-1]:
                    printed.append((await demo.stdout.readline()).decode())
            text = "".join(printed)
            assert "mosquitto_sub" in text
            assert "mosquitto_pub" in text
            # The page the demo prints: served, with every demo device in its API.
            page = re.search(r"http://127\.0\.0\.1:\d+/", text)
            assert page is not None, text
            async with aiohttp.ClientSession() as http:
                async with http.get(page[0]) as answer:
                    assert answer.status == 200
                    assert "<title>setsmart</title>" in await answer.text()
                async with http.get(page[0] + "api/devices") as answer:
                    listed = {device["name"] for device in await answer.json()}
            versions = {
                "demo_plug": "3.3",
                "demo_plug_32": "3.2",
                "demo_strip": "3.4",
                "demo_bulb": "3.5",
                "demo_bulb_v1": "3.1",
                "demo_switch": "3.3",
                "demo_dimmer": "3.4",
                "demo_cover": "3.3",
                "demo_battery_sensor": "3.3",
                "demo_fan": "3.4",
                "demo_thermostat": "3.3",
                "demo_sensor": "3.4",
                "demo_gateway": "3.4",
            }
            # Behind the gateway, on its one session: no address or version of their own.
            children = {"demo_zb_plug", "demo_zb_climate", "demo_zb_door"}
            assert listed == set(versions) | children
            for name in [*versions, *children]:
                await mqtt.wait_for(
                    f"setsmart/{name}/availability", lambda m: m.payload == b"online"
                )
            await mqtt.publish("setsmart/demo_plug/set", "ON")
            await mqtt.wait_for("setsmart/demo_plug", lambda m: m.json()["state"] == "ON")
            # What the demo tells a user to try on the new kinds: the curtain travels there,
            # the thermostat takes the setpoint and its room starts warming.
            await mqtt.publish("setsmart/demo_cover/set", '{"position": 30}')
            await mqtt.wait_for("setsmart/demo_cover", lambda m: m.json().get("position") == 30)
            await mqtt.publish("setsmart/demo_thermostat/set", '{"current_heating_setpoint": 23.5}')
            await mqtt.wait_for(
                "setsmart/demo_thermostat",
                lambda m: (
                    m.json().get("current_heating_setpoint") == 23.5
                    and m.json().get("running_state") == "heat"
                ),
            )
            assert '{"effect": "rainbow"}' in text
            # The gateway's sub-devices: each with its state on its own topic.
            climate = await mqtt.wait_for("setsmart/demo_zb_climate")
            assert climate.json()["temperature"] == 21.5
            door = await mqtt.wait_for("setsmart/demo_zb_door")
            assert door.json()["contact"] is True
            assert "demo_zb_plug/set -m TOGGLE" in text
            await mqtt.publish("setsmart/demo_zb_plug/set", "ON")
            await mqtt.wait_for("setsmart/demo_zb_plug", lambda m: m.json()["state"] == "ON")
            assert "demo_zb_door (via demo_gateway)" in text
            await mqtt.wait_for("setsmart/demo_bulb", lambda m: m.json().get("effect") == "read")
            await mqtt.wait_for(
                "setsmart/demo_bulb_v1", lambda m: m.json().get("effect") == "scene_1"
            )

            # The battery sensor is read when it wakes, and its readings move wake by wake.
            assert "demo_battery_sensor is a battery sensor" in text
            first = await mqtt.wait_for(
                "setsmart/demo_battery_sensor", lambda m: "temperature" in m.json()
            )
            assert {"humidity", "battery"} <= set(first.json())
            await mqtt.wait_for(
                "setsmart/demo_battery_sensor",
                lambda m: m.json().get("temperature") != first.json()["temperature"],
            )

            # What the demo tells a new user to try with the command line.
            cli_config = next(w for w in text.split() if w.endswith("config.yaml"))
            scan = await run_cli("scan", "--timeout", "5", "--json", "-c", cli_config)
            assert scan.code == 0, scan.err
            found = {row["name"]: row["version"] for row in json.loads(scan.out)}
            assert found == versions
            status = await run_cli("status", "demo_bulb_v1", "--json", "-c", cli_config)
            assert status.code == 0, status.err
            assert "brightness" in json.loads(status.out)
            switched = await run_cli("set", "demo_strip", "state_l2=ON", "-c", cli_config)
            assert switched.code == 0, switched.err
            assert json.loads(switched.out)["state_l2"] == "ON"

            demo.send_signal(signal.SIGINT)
            async with asyncio.timeout(15):
                out, _ = await demo.communicate()
            assert demo.returncode == 0
            assert "Demo stopped." in out.decode()
            await mqtt.wait_for("setsmart/bridge/state", lambda m: m.payload == b"offline")
    finally:
        await broker.stop()


async def test_a_demo_on_a_base_topic_held_by_another_daemon_says_so_and_exits_1(
    tmp_path: Path,
) -> None:
    async with running_broker(tmp_path) as broker:
        async with recorder(broker.host, broker.port, "setsmart/#") as mqtt:
            for topic, payload in (
                ("setsmart/bridge/info", b'{"instance": "setsmart-kitchen-pi"}'),
                ("setsmart/bridge/state", b"online"),
            ):
                await mqtt.connection.window()
                mqtt.connection.publish(topic, payload, qos=1, retain=True)
                await mqtt.connection.settled()
        config = tmp_path / "demo.yaml"
        config.write_text(f"mqtt:\n  host: {broker.host}\n  port: {broker.port}\n")
        async with process("demo", "-c", str(config)) as demo:
            async with asyncio.timeout(30):
                _, stderr = await demo.communicate()
        assert demo.returncode == 1
        lines = stderr.decode().strip().splitlines()
        assert len(lines) == 1, lines
        assert "held by another instance, setsmart-kitchen-pi" in lines[0]
        assert "not starting" in lines[0]
