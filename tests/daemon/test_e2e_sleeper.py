"""A battery sensor that wakes, reports and sleeps, end to end through mosquitto: each
wake's readings are published, it stays `online` across its sleeps with nothing said on
`bridge/log`, goes `offline` once when silent past its `sleep:`, and is back on its next
wake. Its broadcast (on a loopback discovery port) starts each session."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from setsmart.sim import SimDevice
from tests.daemon.harness import BASE, KEY, Dev, config_text, daemon
from tests.daemon.test_cloud_e2e import cloud_section
from tests.lan.helpers import wait_until
from tests.support.broker import running_broker
from tests.support.fake_cloud import FakeCloud, FakeDevice, FakeDp
from tests.support.mqtt_client import Received, Recorder, recorder

pytestmark = pytest.mark.timeout(60)

SLEEP = 3.0  # the device's `sleep:`
WAKE_EVERY = 1.0
AWAKE_FOR = 0.5
WAKES = 4


def _sleeper(device_id: str, host: str, port: int) -> SimDevice:
    """A sleeping temperature sensor that announces each wake on the loopback `port`."""
    return SimDevice(
        device_id,
        KEY,
        "3.3",
        "sensor",
        host=host,
        beacon_target=("127.0.0.1", port),
        wake_every=WAKE_EVERY,
        awake_for=AWAKE_FOR,
    )


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _availability(mqtt: Recorder, since: int) -> list[bytes]:
    return [m.payload for m in mqtt.messages[since:] if m.topic == f"{BASE}/th/availability"]


def _said(mqtt: Recorder, since: int) -> list[dict[str, str]]:
    """The warnings and errors on bridge/log since `since`."""
    lines = [m.json() for m in mqtt.messages[since:] if m.topic == f"{BASE}/bridge/log"]
    return [line for line in lines if line["level"] in ("warning", "error")]


def _temperature(expected: float) -> Callable[[Received], bool]:
    def check(message: Received) -> bool:
        state = message.json()
        return bool(state.get("temperature") == expected and state.get("source") == "lan")

    return check


async def _next_wake(sensor: SimDevice, mqtt: Recorder) -> None:
    """Wait for the sensor's next wake to end, and for what it measured to be published."""
    since, wake = mqtt.mark(), sensor.stats.wakes + 1
    await wait_until(lambda: sensor.stats.wakes >= wake and sensor.asleep, within=5.0)
    measured = sensor.dps["1"]
    assert isinstance(measured, int)
    await mqtt.wait_for(f"{BASE}/th", _temperature(measured / 10), since=since)


async def test_a_sleeping_sensor_stays_online_while_it_reports_and_is_offline_once_when_silent(
    tmp_path: Path,
) -> None:
    port = _free_udp_port()
    sensor = _sleeper("bfsleeper00000000001", "127.0.0.71", port)
    async with (
        running_broker(tmp_path) as broker,
        sensor,
        recorder(broker.host, broker.port, f"{BASE}/#") as mqtt,
        daemon(
            tmp_path,
            config_text(broker, [Dev("th", sensor, "sensor", sleep=SLEEP)], discovery_port=port),
        ),
    ):
        await mqtt.wait_for(f"{BASE}/th/availability", lambda m: m.payload == b"online")
        online = mqtt.mark()

        # Every wake's readings are published, and nothing else is said.
        for _ in range(WAKES):
            await _next_wake(sensor, mqtt)
        assert sensor.stats.connections >= WAKES  # a session each wake
        assert _availability(mqtt, online) == []  # never offline, never said again
        assert _said(mqtt, online) == []

        # Silent past its `sleep:`: offline once, with one line saying why.
        await wait_until(lambda: sensor.asleep)
        await sensor.stop()
        loop = asyncio.get_running_loop()
        silent_from = loop.time()
        await mqtt.wait_for(
            f"{BASE}/th/availability", lambda m: m.payload == b"offline", since=online
        )
        # Its last session ended at most AWAKE_FOR before it went silent.
        assert loop.time() - silent_from >= SLEEP - AWAKE_FOR - 0.1
        await asyncio.sleep(WAKE_EVERY)  # time for a second offline, or a storm of lines
        assert _availability(mqtt, online) == [b"offline"]
        said = _said(mqtt, online)
        assert len(said) == 1, said
        assert said[0]["level"] == "warning"
        assert said[0]["device"] == "th"
        assert said[0]["message"].startswith("th: not heard from for 3 s (its sleep:)")

        # Its next wake: online again, its readings published.
        back = mqtt.mark()
        await sensor.start()
        await _next_wake(sensor, mqtt)
        assert _availability(mqtt, back) == [b"online"]


async def test_a_sleeping_sensor_is_read_through_the_cloud_while_it_sleeps(
    tmp_path: Path,
) -> None:
    port, device_id = _free_udp_port(), "bfsleeper00000000002"
    sensor = _sleeper(device_id, "127.0.0.72", port)
    async with running_broker(tmp_path) as broker, FakeCloud() as cloud, sensor:
        cloud.add_device(
            FakeDevice(
                device_id,
                KEY,
                name="th",
                category="wsdcg",
                dps=[
                    FakeDp("va_temperature", 1, "Integer", {"scale": 1}, writable=False),
                    FakeDp("va_humidity", 2, "Integer", {}, writable=False),
                    FakeDp("battery_percentage", 4, "Integer", {}, writable=False),
                ],
                status={"va_temperature": 235, "va_humidity": 41, "battery_percentage": 90},
            )
        )
        text = config_text(broker, [Dev("th", sensor, "sensor", sleep=SLEEP)], discovery_port=port)
        async with (
            recorder(broker.host, broker.port, f"{BASE}/#") as mqtt,
            daemon(tmp_path, text + cloud_section(cloud, poll=0.3)),
        ):
            await mqtt.wait_for(f"{BASE}/th/availability", lambda m: m.payload == b"online")
            await wait_until(lambda: sensor.asleep and sensor.stats.wakes >= 1)
            await sensor.stop()
            asleep = mqtt.mark()

            # Asleep for good: what the cloud heard last keeps it online, past its sleep:.
            read = await mqtt.wait_for(
                f"{BASE}/th", lambda m: m.json().get("source") == "cloud", since=asleep
            )
            assert read.json()["temperature"] == 23.5
            await asyncio.sleep(SLEEP + 1)
            assert _availability(mqtt, asleep) == []

            # The cloud no longer hears it either: offline, once.
            cloud.set_online(device_id, False)
            await mqtt.wait_for(
                f"{BASE}/th/availability", lambda m: m.payload == b"offline", since=asleep
            )
            await asyncio.sleep(WAKE_EVERY)
            assert _availability(mqtt, asleep) == [b"offline"]
