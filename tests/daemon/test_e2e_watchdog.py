"""Watchdogs end to end: a simulated plug, a real mosquitto, and an "internet" that is a
TCP listener on loopback the test opens and closes."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from setsmart.config import load_config
from setsmart.sim import SimDevice
from tests.daemon.harness import BASE, KEY, PREFIX, Dev, config_text, daemon
from tests.support.broker import Broker, running_broker
from tests.support.mqtt_client import Received, Recorder, recorder

pytestmark = pytest.mark.timeout(60)

INTERNET = "127.0.0.94"
WATCHDOG = f"{BASE}/watchdog/router"
NODE = "setsmart_watchdog_router"


class Internet:
    """A TCP listener that stands for the internet: up while it listens."""

    def __init__(self) -> None:
        self.port = 0
        self._server: asyncio.Server | None = None

    async def up(self) -> None:
        async def answer(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.close()

        self._server = await asyncio.start_server(answer, INTERNET, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None


@contextlib.asynccontextmanager
async def internet() -> AsyncIterator[Internet]:
    net = Internet()
    await net.up()
    try:
        yield net
    finally:
        await net.down()


def config(broker: Broker, plug: SimDevice, net: Internet, **settings: object) -> str:
    values: dict[str, object] = {
        "every": 0.2,
        "failures": 2,
        "off_for": 1,
        "boot_wait": 0.5,
        "max_per_day": 1,
    }
    values.update(settings)
    lines = "".join(f"    {key}: {value}\n" for key, value in values.items())
    return config_text(broker, [Dev("router_plug", plug, "plug")]) + (
        f"watchdogs:\n  - name: router\n    device: router_plug\n"
        f"    target: {INTERNET}:{net.port}\n{lines}"
    )


def is_state(state: str) -> Callable[[Received], bool]:
    """A retained document (not a clear) whose `state` is `state`: the watchdog's and the
    plug's alike."""
    return lambda m: bool(m.payload) and m.json()["state"] == state


def since(mqtt: Recorder, mark: int, topic: str) -> list[Received]:
    return [m for m in mqtt.messages[mark:] if m.topic == topic]


def is_on(message: Received) -> bool:
    return bool(message.json()["state"] == "ON")


async def log_line(mqtt: Recorder, words: str, since: int) -> Received:
    return await mqtt.wait_for(
        f"{BASE}/bridge/log", lambda m: words in m.json()["message"], since=since
    )


async def test_the_plug_is_cycled_when_the_internet_drops(tmp_path: Path) -> None:
    async with (
        running_broker(tmp_path) as broker,
        internet() as net,
        SimDevice(
            "bfwatchdog0000000001", KEY, "3.3", "plug", host="127.0.0.91", dps={"1": True}
        ) as plug,
        recorder(broker.host, broker.port, f"{BASE}/#", f"{PREFIX}/#") as mqtt,
    ):
        async with daemon(tmp_path, config(broker, plug, net)):
            ok = await mqtt.wait_for(WATCHDOG, lambda m: m.json()["target_up"] is True)
            async with recorder(broker.host, broker.port, WATCHDOG) as late:
                assert (await late.wait_for(WATCHDOG)).retain
            assert ok.json() == {
                "state": "ok",
                "failures": 0,
                "target_up": True,
                "cycles_today": 0,
                "last_cycle": None,
                "reason": None,
            }
            sensor = await mqtt.wait_for(f"{PREFIX}/binary_sensor/{NODE}/target/config")
            assert sensor.json()["device_class"] == "connectivity"
            assert sensor.json()["state_topic"] == WATCHDOG
            assert sensor.json()["device"]["via_device"] == f"setsmart_{plug.device_id}"
            cycles = await mqtt.wait_for(f"{PREFIX}/sensor/{NODE}/cycles_today/config")
            assert cycles.json()["value_template"] == "{{ value_json.cycles_today }}"

            # The internet drops: two failed checks, then the plug goes off and on again.
            mark = mqtt.mark()
            await net.down()
            failing = await mqtt.wait_for(WATCHDOG, is_state("failing"), since=mark)
            assert failing.json()["target_up"] is False
            cycling = await mqtt.wait_for(WATCHDOG, is_state("cycling"), since=mark)
            assert cycling.json()["cycles_today"] == 1
            assert cycling.json()["last_cycle"] is not None
            line = await log_line(mqtt, "power-cycling router_plug", mark)
            assert line.json() == {
                "level": "info",
                "message": (
                    f"watchdog router: {INTERNET}:{net.port} failed 2 checks in a row; "
                    "power-cycling router_plug (off for 1 s, cycle 1 of 1 today)"
                ),
                "device": "router_plug",
                "topic": WATCHDOG,
            }
            off = await mqtt.wait_for(f"{BASE}/router_plug", is_state("OFF"), since=mark)
            await mqtt.wait_for(
                f"{BASE}/router_plug", is_state("ON"), since=mqtt.messages.index(off) + 1
            )
            waiting = await mqtt.wait_for(WATCHDOG, is_state("waiting"), since=mark)
            assert waiting.json()["reason"] == "boot_wait"
            assert plug.dps["1"] is True  # the plug's own countdown switched it back on

            # The router is back: ok again.
            mark = mqtt.mark()
            await net.up()
            await mqtt.wait_for(WATCHDOG, is_state("ok"), since=mark)

            # It drops again: one cycle a day is all it may do, so it gives up.
            mark = mqtt.mark()
            await net.down()
            gave_up = await mqtt.wait_for(WATCHDOG, is_state("gave_up"), since=mark)
            assert gave_up.json()["cycles_today"] == 1
            line = await log_line(mqtt, "giving up", mark)
            assert line.json()["level"] == "warning"
            assert line.json()["message"].startswith("watchdog router: ")
            assert plug.dps["1"] is True
            assert not [m for m in since(mqtt, mark, f"{BASE}/router_plug") if not is_on(m)]

        # A restart keeps the day's count: still given up, not cycling again.
        mark = mqtt.mark()
        async with daemon(tmp_path, config(broker, plug, net)):
            again = await mqtt.wait_for(WATCHDOG, since=mark)
            assert again.json()["cycles_today"] == 1
            await mqtt.wait_for(WATCHDOG, is_state("gave_up"), since=mark)
            await net.up()
            await mqtt.wait_for(WATCHDOG, is_state("ok"), since=mark)
        saved = json.loads((tmp_path / "state" / "watchdogs.json").read_text())
        assert saved["watchdogs"]["router"]["cycles_today"] == 1

        # Removed from the configuration while the daemon was stopped: its retained topics
        # are cleared at the next start, and so is its record.
        mark = mqtt.mark()
        async with daemon(tmp_path, config_text(broker, [Dev("router_plug", plug, "plug")])):
            for topic in (
                WATCHDOG,
                f"{PREFIX}/binary_sensor/{NODE}/target/config",
                f"{PREFIX}/sensor/{NODE}/cycles_today/config",
            ):
                await mqtt.wait_for(topic, lambda m: m.payload == b"", since=mark)
        saved = json.loads((tmp_path / "state" / "watchdogs.json").read_text())
        assert saved["watchdogs"] == {}


async def test_a_watchdog_removed_mid_cycle_switches_the_socket_back_on(tmp_path: Path) -> None:
    async with (
        running_broker(tmp_path) as broker,
        internet() as net,
        SimDevice(
            "bfwatchdog0000000002", KEY, "3.4", "plug", host="127.0.0.92", dps={"1": True}
        ) as plug,
        recorder(broker.host, broker.port, f"{BASE}/#", f"{PREFIX}/#") as mqtt,
    ):
        text = config(broker, plug, net, off_for=600)
        async with daemon(tmp_path, text) as supervisor:
            await mqtt.wait_for(WATCHDOG, lambda m: m.json()["target_up"] is True)
            mark = mqtt.mark()
            await net.down()
            await mqtt.wait_for(WATCHDOG, is_state("cycling"), since=mark)
            await mqtt.wait_for(f"{BASE}/router_plug", is_state("OFF"), since=mark)
            assert plug.dps["9"] == 600  # the countdown that would switch it on

            mark = mqtt.mark()
            path = tmp_path / "reload.yaml"
            path.write_text(config_text(broker, [Dev("router_plug", plug, "plug")]))
            supervisor.reload(load_config(path))
            await log_line(mqtt, "removed while power-cycling router_plug", mark)
            await mqtt.wait_for(f"{BASE}/router_plug", is_state("ON"), since=mark)
            assert plug.dps["9"] == 0
            for topic in (
                WATCHDOG,
                f"{PREFIX}/binary_sensor/{NODE}/target/config",
                f"{PREFIX}/sensor/{NODE}/cycles_today/config",
            ):
                await mqtt.wait_for(topic, lambda m: m.payload == b"", since=mark)


async def test_a_socket_that_is_off_is_never_cycled(tmp_path: Path) -> None:
    async with (
        running_broker(tmp_path) as broker,
        internet() as net,
        SimDevice(
            "bfwatchdog0000000003", KEY, "3.3", "plug", host="127.0.0.93", dps={"1": False}
        ) as plug,
        recorder(broker.host, broker.port, f"{BASE}/#") as mqtt,
        daemon(tmp_path, config(broker, plug, net)),
    ):
        await mqtt.wait_for(WATCHDOG, lambda m: m.json()["target_up"] is True)
        mark = mqtt.mark()
        await net.down()
        line = await log_line(mqtt, "does not answer", mark)
        assert line.json()["level"] == "warning"
        waiting = await mqtt.wait_for(WATCHDOG, is_state("waiting"), since=mark)
        assert waiting.json()["reason"] == (
            "router_plug is switched off (a power cycle would switch it on)"
        )
        await asyncio.sleep(0.6)  # three more failed checks
        lines = [m.json()["message"] for m in since(mqtt, mark, f"{BASE}/bridge/log")]
        assert sum("does not answer" in line for line in lines) == 1  # said once
        assert sum("not power-cycling" in line for line in lines) == 1
        assert not any("power-cycling router_plug" in line for line in lines)
        assert plug.dps["1"] is False
        assert plug.dps["9"] == 0


async def test_a_plug_that_does_not_take_the_cycle_is_reported_not_counted(
    tmp_path: Path,
) -> None:
    async with (
        running_broker(tmp_path) as broker,
        internet() as net,
        SimDevice(
            "bfwatchdog0000000004", KEY, "3.3", "plug", host="127.0.0.96", dps={"1": True}
        ) as plug,
        recorder(broker.host, broker.port, f"{BASE}/#") as mqtt,
        daemon(tmp_path, config(broker, plug, net)),
    ):
        await mqtt.wait_for(WATCHDOG, lambda m: m.json()["target_up"] is True)
        mark = mqtt.mark()
        plug.dark = True  # it hears nothing from now on
        await net.down()
        line = await log_line(mqtt, "the power cycle of router_plug failed", mark)
        assert line.json()["level"] == "error"
        assert "no cycle counted" in line.json()["message"]
        after = mqtt.messages.index(line)
        document = (await mqtt.wait_for(WATCHDOG, is_state("failing"), since=after)).json()
        assert document["failures"] == 2  # the next failed check tries again
        assert document["cycles_today"] == 0
        assert document["last_cycle"] is None
        assert plug.dps["1"] is True
