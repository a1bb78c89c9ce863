"""Cloud routing end to end: the daemon against mosquitto, simulated devices on 127.0.0.x
and the signature-checking fake Tuya cloud on 127.0.0.1. Every test also checks that no
secret (API secret, access token, local key) reached any MQTT message. The LAN devices
are configured with their kind: a `type: auto` one would have its specification fetched
once (tests/daemon/test_profile_sources.py), and these tests count every cloud call."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

import pytest

from setsmart.cloud import CloudClient
from setsmart.config import load_config
from setsmart.daemon.cloud_route import CloudTuning
from setsmart.daemon.store import StateStore, load_cloud_usage, load_local_keys
from setsmart.daemon.supervisor import Supervisor
from setsmart.protocol import Version
from setsmart.sim import SimDevice
from tests.daemon.harness import BASE, KEY, Dev, config_text
from tests.lan.helpers import wait_until
from tests.support.broker import Broker, free_tcp_port, running_broker
from tests.support.fake_cloud import FakeCloud, FakeDevice, Fault
from tests.support.mqtt_client import Received, Recorder, recorder

pytestmark = pytest.mark.timeout(90)

FAST = CloudTuning(timeout=2.0, max_attempts=2, backoff_base=0.05, backoff_cap=0.1)
NEW_KEY = "fedcba9876543210"
ONLY_ID = "bfcloudonly000000001"
ONLY_KEY = "cloudonlykey0001"  # the cloud knows it; the YAML does not
VERSIONS: tuple[Version, ...] = ("3.3", "3.4", "3.5", "3.3")


def cloud_section(cloud: FakeCloud, *, poll: float = 0.3, fallback: bool = True) -> str:
    return (
        f"cloud:\n  region: eu\n  api_key: {cloud.client_id}\n  api_secret: {cloud.secret}\n"
        f"  endpoint: {cloud.base_url}\n  poll: {poll}\n"
        f"  fallback: {'true' if fallback else 'false'}\n"
    )


def cloud_only_device(name: str, device_id: str = ONLY_ID, *, allowed: bool = True) -> str:
    return f"  - id: {device_id}\n    name: {name}\n    type: plug\n    cloud: {allowed}\n".lower()


def full_config(
    broker: Broker,
    cloud: FakeCloud,
    lan: Sequence[Dev] = (),
    cloud_only: Sequence[str] = (),
    **cloud_options: float | bool,
) -> str:
    text = config_text(broker, lan)
    text += "".join(cloud_only)
    return text + cloud_section(cloud, **cloud_options)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def daemon(tmp: Path, text: str, tuning: CloudTuning = FAST) -> AsyncIterator[Supervisor]:
    path = tmp / "config.yaml"
    path.write_text(text)
    supervisor = Supervisor(load_config(path), StateStore(tmp / "state"), cloud_tuning=tuning)
    task = asyncio.create_task(supervisor.run())
    try:
        async with asyncio.timeout(10):
            await supervisor.ready.wait()
        yield supervisor
    finally:
        supervisor.stop()
        async with asyncio.timeout(10):
            await task


def state(message: Received) -> dict[str, object]:
    document = message.json()
    assert isinstance(document, dict)
    return document


def is_online(message: Received) -> bool:
    return message.payload == b"online"


def listed(name: str, connection: str) -> Callable[[Received], bool]:
    """`B/bridge/devices` lists `name` with this connection."""

    def check(message: Received) -> bool:
        rows = {row["name"]: row for row in message.json()}
        return name in rows and rows[name]["connection"] == connection

    return check


def cloud_of(supervisor: Supervisor) -> CloudClient | None:
    """The supervisor's client now (a reload may replace it)."""
    return supervisor.cloud


def assert_no_secrets(mqtt: Recorder, cloud: FakeCloud, *keys: str) -> None:
    secrets = [cloud.secret, *cloud.issued_tokens, *keys]
    secrets += [device.local_key for device in cloud.devices]
    for message in mqtt.messages:
        text = message.payload.decode("utf-8", "replace")
        for secret in secrets:
            assert secret not in text, f"a secret leaked on {message.topic}"


def logs(mqtt: Recorder, since: int = 0) -> list[dict[str, str]]:
    return [m.json() for m in mqtt.messages[since:] if m.topic == f"{BASE}/bridge/log"]


async def test_a_cloud_only_device_is_read_set_and_got_through_the_cloud(tmp_path: Path) -> None:
    async with (
        running_broker(tmp_path) as broker,
        FakeCloud() as cloud,
    ):
        cloud.add_device(FakeDevice.plug(ONLY_ID, ONLY_KEY, name="attic"))
        cloud.set_status(ONLY_ID, "cur_power", 1234)
        text = full_config(broker, cloud, cloud_only=[cloud_only_device("attic")], poll=0.3)
        async with (
            recorder(broker.host, broker.port, f"{BASE}/#", "reply/#") as mqtt,
            daemon(tmp_path, text),
        ):
            await mqtt.wait_for(f"{BASE}/attic/availability", is_online)
            first = state(await mqtt.wait_for(f"{BASE}/attic"))
            assert first["source"] == "cloud"
            assert first["state"] == "OFF"
            assert first["power"] == 123.4
            await mqtt.wait_for(f"{BASE}/bridge/devices", listed("attic", "cloud"))

            await mqtt.publish(f"{BASE}/attic/set", "ON", response_topic="reply/on")
            assert (await mqtt.wait_for("reply/on")).json() == {"status": "ok"}
            assert cloud.device(ONLY_ID).status["switch_1"] is True
            on = await mqtt.wait_for(f"{BASE}/attic", lambda m: state(m)["state"] == "ON")
            assert state(on)["source"] == "cloud"

            # Someone switches it off in the app: /get reads it now.
            cloud.set_status(ONLY_ID, "switch_1", False)
            mark = mqtt.mark()
            await mqtt.publish(f"{BASE}/attic/get", "", response_topic="reply/get")
            assert (await mqtt.wait_for("reply/get", since=mark)).json() == {"status": "ok"}
            await mqtt.wait_for(f"{BASE}/attic", lambda m: state(m)["state"] == "OFF", since=mark)

            # Polled: a change in the cloud shows up without asking.
            mark = mqtt.mark()
            cloud.set_status(ONLY_ID, "switch_1", True)
            await mqtt.wait_for(f"{BASE}/attic", lambda m: state(m)["state"] == "ON", since=mark)

            # Offline in the cloud: offline here, and back.
            cloud.set_online(ONLY_ID, False)
            mark = mqtt.mark()
            await mqtt.wait_for(
                f"{BASE}/attic/availability", lambda m: m.payload == b"offline", since=mark
            )
            await mqtt.wait_for(f"{BASE}/bridge/devices", listed("attic", "offline"), since=mark)
            warning = next(e for e in logs(mqtt, mark) if e.get("device") == "attic")
            assert "offline" in warning["message"]
            cloud.set_online(ONLY_ID, True)
            await mqtt.wait_for(f"{BASE}/attic/availability", is_online, since=mark)
        assert_no_secrets(mqtt, cloud, ONLY_KEY)


async def test_a_lan_device_falls_back_to_the_cloud_and_returns(tmp_path: Path) -> None:
    device_id = "bfcloudfallback00001"
    async with running_broker(tmp_path) as broker, FakeCloud() as cloud:
        cloud.add_device(FakeDevice.plug(device_id, KEY, name="desk"))
        plug = SimDevice(device_id, KEY, "3.4", "plug", host="127.0.0.41", dps={"1": False})
        await plug.start()
        try:
            text = full_config(broker, cloud, [Dev("desk", plug, type="plug")], poll=0.3)
            async with (
                recorder(broker.host, broker.port, f"{BASE}/#", "reply/#") as mqtt,
                daemon(tmp_path, text),
            ):
                await mqtt.wait_for(f"{BASE}/desk", lambda m: state(m)["source"] == "lan")
                await mqtt.wait_for(f"{BASE}/desk/availability", is_online)
                await asyncio.sleep(0.5)
                assert cloud.calls == []  # healthy on the LAN: not one cloud call

                port = plug.port
                await plug.stop()
                mark = outage = mqtt.mark()
                # The session is down: the command waits lan.timeout for it, then goes
                # through the cloud.
                await mqtt.publish(f"{BASE}/desk/set", "ON", response_topic="reply/1")
                assert (await mqtt.wait_for("reply/1", since=mark)).json() == {"status": "ok"}
                assert cloud.device(device_id).status["switch_1"] is True
                # A cloud poll may publish what the cloud knew before the command (OFF).
                await mqtt.wait_for(
                    f"{BASE}/desk",
                    lambda m: state(m)["source"] == "cloud" and state(m)["state"] == "ON",
                    since=mark,
                )
                # Past the grace the device stays online, read through the cloud.
                await mqtt.wait_for(
                    f"{BASE}/bridge/devices", listed("desk", "cloud"), since=mark, within=20
                )
                cloud.set_status(device_id, "switch_1", False)
                await mqtt.wait_for(
                    f"{BASE}/desk",
                    lambda m: state(m)["state"] == "OFF" and state(m)["source"] == "cloud",
                    since=mark,
                )
                assert cloud.count("/status") >= 1

                # The device is back: the LAN takes over and the cloud is left alone.
                plug = SimDevice(
                    device_id, KEY, "3.4", "plug", host="127.0.0.41", port=port, dps={"1": True}
                )
                mark = mqtt.mark()
                await plug.start()
                back = await mqtt.wait_for(
                    f"{BASE}/desk", lambda m: state(m)["source"] == "lan", since=mark, within=30
                )
                assert state(back)["state"] == "ON"
                await mqtt.wait_for(f"{BASE}/bridge/devices", listed("desk", "lan"), since=mark)
                availability = [
                    m.payload
                    for m in mqtt.messages[outage:]
                    if m.topic == f"{BASE}/desk/availability"
                ]
                assert b"offline" not in availability  # never unavailable during the outage
                calls = len(cloud.calls)
                await mqtt.publish(f"{BASE}/desk/set", "OFF", response_topic="reply/2")
                assert (await mqtt.wait_for("reply/2")).json() == {"status": "ok"}
                assert plug.dps.get("1") is False
                await asyncio.sleep(1.0)
                assert len(cloud.calls) == calls
        finally:
            await plug.stop()
        assert_no_secrets(mqtt, cloud)


@pytest.mark.parametrize("version", ["3.3", "3.4"])
async def test_a_changed_local_key_is_fetched_used_and_kept(
    tmp_path: Path, version: Version
) -> None:
    """3.4 devices refuse a wrong key; 3.3 devices just never answer."""
    device_id = f"bfcloudnewkey000{version.replace('.', '')}0"
    async with running_broker(tmp_path) as broker, FakeCloud() as cloud:
        cloud.add_device(FakeDevice.plug(device_id, KEY, name="hall"))
        async with SimDevice(device_id, KEY, version, "plug", host="127.0.0.42") as plug:
            # No fallback: the only cloud call is the key's.
            text = full_config(broker, cloud, [Dev("hall", plug, type="plug")], fallback=False)
            async with (
                recorder(broker.host, broker.port, f"{BASE}/#") as mqtt,
                daemon(tmp_path, text) as supervisor,
            ):
                await mqtt.wait_for(f"{BASE}/hall/availability", is_online)
                mark = mqtt.mark()
                plug.change_key(NEW_KEY)  # re-paired in the app
                cloud.set_local_key(device_id, NEW_KEY)
                info = await mqtt.wait_for(
                    f"{BASE}/bridge/log",
                    lambda m: "key" in m.json()["message"] and m.json()["level"] == "info",
                    since=mark,
                    within=20,
                )
                assert info.json()["device"] == "hall"
                # Sent once the new key's connection is open, before its session's first
                # answer: the device is offline until then, and the /set waits for it.
                runtime = supervisor.devices["hall"].runtime
                await wait_until(
                    lambda: runtime.link is not None and runtime.link.connected, within=20
                )
                await mqtt.publish(f"{BASE}/hall/set", "ON")
                await mqtt.wait_for(f"{BASE}/hall", lambda m: state(m)["state"] == "ON")
                shown = repr(supervisor.devices["hall"].runtime)
                assert NEW_KEY not in shown
                assert KEY not in shown
                assert plug.dps.get("1") is True
                assert [call.path for call in cloud.calls if call.path != "/v1.0/token"] == [
                    f"/v1.0/devices/{device_id}"
                ]
            kept = load_local_keys(StateStore(tmp_path / "state")).value
            assert kept[device_id].reveal() == NEW_KEY
            assert "fedcba" not in (tmp_path / "config.yaml").read_text()
            assert_no_secrets(mqtt, cloud, NEW_KEY, KEY)

            # Next start: the YAML key is refused, the kept key works; no cloud call needed.
            calls = len(cloud.calls)
            async with (
                recorder(broker.host, broker.port, f"{BASE}/#") as mqtt,
                daemon(tmp_path, text),
            ):
                await mqtt.wait_for(f"{BASE}/hall/availability", is_online, within=20)
                used = await mqtt.wait_for(
                    f"{BASE}/bridge/log", lambda m: m.json()["level"] == "info"
                )
                assert "learnt from the Tuya cloud earlier" in used.json()["message"]
                await mqtt.publish(f"{BASE}/hall/set", "OFF")
                await mqtt.wait_for(f"{BASE}/hall", lambda m: state(m)["state"] == "OFF")
                assert plug.dps.get("1") is False
            assert len(cloud.calls) == calls
            assert_no_secrets(mqtt, cloud, NEW_KEY, KEY)


async def test_no_cloud_call_while_every_device_is_healthy_on_the_lan(tmp_path: Path) -> None:
    sims = [
        SimDevice(f"bfcloudsteady{n:07d}", KEY, version, "plug", host=f"127.0.0.{50 + n}")
        for n, version in enumerate(VERSIONS)
    ]
    async with running_broker(tmp_path) as broker, FakeCloud() as cloud:
        for sim in sims:
            cloud.add_device(FakeDevice.plug(sim.device_id, KEY))
            await sim.start()
        try:
            devices = [Dev(f"p{n}", sim, type="plug") for n, sim in enumerate(sims)]
            text = full_config(broker, cloud, devices, poll=0.1)
            async with (
                recorder(broker.host, broker.port, f"{BASE}/#") as mqtt,
                daemon(tmp_path, text) as supervisor,
            ):
                for dev in devices:
                    await mqtt.wait_for(f"{BASE}/{dev.name}/availability", is_online)
                for index in range(3):
                    await mqtt.publish(f"{BASE}/p{index}/set", "TOGGLE")
                    await mqtt.publish(f"{BASE}/p{index}/get", "")
                # Past the start-up grace (5 s here) and many cloud poll periods.
                await asyncio.sleep(6.5)
                assert supervisor.cloud is not None
                assert cloud.calls == []
                assert supervisor.cloud.calls_this_month == 0
        finally:
            for sim in sims:
                await sim.stop()


async def test_a_cloud_that_is_down_never_delays_lan_commands(tmp_path: Path) -> None:
    async with running_broker(tmp_path) as broker, FakeCloud() as cloud:
        cloud.add_device(FakeDevice.plug(ONLY_ID, ONLY_KEY))
        # Every request is slow past the client's timeout, or fails.
        cloud.inject(Fault.SLOW, times=1000, delay=5.0, path="/token")
        async with SimDevice("bfclouddownlan000001", KEY, "3.3", "plug", host="127.0.0.61") as plug:
            text = full_config(
                broker, cloud, [Dev("lan", plug, type="plug")], [cloud_only_device("far")]
            )
            async with (
                recorder(broker.host, broker.port, f"{BASE}/#", "reply/#") as mqtt,
                daemon(tmp_path, text),
            ):
                await mqtt.wait_for(f"{BASE}/lan/availability", is_online)
                await mqtt.publish(f"{BASE}/far/get", "", response_topic="reply/far")
                slowest = 0.0
                for index in range(10):
                    started = time.monotonic()
                    await mqtt.publish(
                        f"{BASE}/lan/set", "TOGGLE", response_topic=f"reply/lan{index}"
                    )
                    reply = await mqtt.wait_for(f"reply/lan{index}")
                    slowest = max(slowest, time.monotonic() - started)
                    assert reply.json() == {"status": "ok"}
                assert slowest < 0.5, f"a LAN command took {slowest:.2f} s"
                far = await mqtt.wait_for("reply/far", within=20)
                assert far.json()["status"] == "error"
                assert "did not answer" in far.json()["error"]

                # An HTML error page instead of JSON: one readable line on bridge/log.
                cloud.clear_faults()
                cloud.inject(Fault.HTML, times=1000, path="/status")
                mark = mqtt.mark()
                entry = await mqtt.wait_for(
                    f"{BASE}/bridge/log",
                    lambda m: "unexpected reply" in m.json()["message"],
                    since=mark,
                    within=20,
                )
                assert entry.json()["device"] == "far"
                assert "HTML" in entry.json()["message"] or "text/html" in entry.json()["message"]
                assert "\n" not in entry.json()["message"]
                await asyncio.sleep(1.0)  # many polls, one line
                same = [e for e in logs(mqtt, mark) if "unexpected reply" in e["message"]]
                assert len(same) == 1
                await mqtt.publish(f"{BASE}/lan/set", "ON", response_topic="reply/last")
                assert (await mqtt.wait_for("reply/last")).json() == {"status": "ok"}
        assert_no_secrets(mqtt, cloud, ONLY_KEY)


async def test_the_monthly_quota_warning_and_the_saved_count(tmp_path: Path) -> None:
    tuning = CloudTuning(timeout=2.0, max_attempts=2, backoff_base=0.05, monthly_call_limit=10)
    async with running_broker(tmp_path) as broker, FakeCloud() as cloud:
        cloud.add_device(FakeDevice.plug(ONLY_ID, ONLY_KEY))
        text = full_config(broker, cloud, cloud_only=[cloud_only_device("attic")], poll=0.1)
        async with (
            recorder(broker.host, broker.port, f"{BASE}/#") as mqtt,
            daemon(tmp_path, text, tuning) as supervisor,
        ):
            warning = await mqtt.wait_for(
                f"{BASE}/bridge/log", lambda m: "this month" in m.json()["message"]
            )
            assert warning.json()["level"] == "warning"
            assert "80%" in warning.json()["message"]
            reached = await mqtt.wait_for(
                f"{BASE}/bridge/log", lambda m: "is reached" in m.json()["message"]
            )
            assert reached.json()["level"] == "warning"
            assert supervisor.cloud is not None
            assert supervisor.cloud.calls_this_month >= 10
        usage = load_cloud_usage(StateStore(tmp_path / "state")).value
        assert usage.calls == len(cloud.calls)

        # The count survives a restart: the warning is repeated at once.
        async with (
            recorder(broker.host, broker.port, f"{BASE}/#") as mqtt,
            daemon(tmp_path, text, tuning) as supervisor,
        ):
            await mqtt.wait_for(f"{BASE}/bridge/log", lambda m: "is reached" in m.json()["message"])
            assert supervisor.cloud is not None
            assert supervisor.cloud.calls_this_month >= usage.calls
        assert_no_secrets(mqtt, cloud, ONLY_KEY)


async def test_firmware_is_read_and_upgraded_over_mqtt(tmp_path: Path) -> None:
    async with running_broker(tmp_path) as broker, FakeCloud() as cloud:
        device = cloud.add_device(FakeDevice.plug(ONLY_ID, ONLY_KEY))
        text = full_config(broker, cloud, cloud_only=[cloud_only_device("attic")], poll=30)
        async with (
            recorder(broker.host, broker.port, f"{BASE}/#", "reply/#") as mqtt,
            daemon(tmp_path, text),
        ):
            await mqtt.wait_for(f"{BASE}/attic/availability", is_online)
            await mqtt.publish(f"{BASE}/attic/firmware/get", "", response_topic="reply/get")
            assert (await mqtt.wait_for("reply/get")).json() == {"status": "ok"}
            document = (await mqtt.wait_for(f"{BASE}/attic/firmware")).json()
            assert document["current"] == "1.1.5"
            assert document["available"] is None
            assert document["update_available"] is False
            assert document["modules"][0]["module"] == "wifi"

            await mqtt.publish(f"{BASE}/attic/firmware/set", "upgrade", response_topic="reply/no")
            refused = (await mqtt.wait_for("reply/no")).json()
            assert refused["status"] == "error"
            assert "no firmware upgrade is available" in refused["error"]

            device.firmware[0].upgrade_version = "1.2.0"
            device.firmware[0].upgrade_status = 1
            mark = mqtt.mark()
            await mqtt.publish(f"{BASE}/attic/firmware/get", "")
            seen = await mqtt.wait_for(f"{BASE}/attic/firmware", since=mark)
            assert seen.json()["available"] == "1.2.0"
            assert seen.json()["update_available"] is True

            mark = mqtt.mark()
            await mqtt.publish(
                f"{BASE}/attic/firmware/set",
                json.dumps({"upgrade": True}),
                response_topic="reply/up",
            )
            assert (await mqtt.wait_for("reply/up")).json() == {"status": "ok"}
            assert device.firmware[0].upgrade_status == 2
            started = await mqtt.wait_for(
                f"{BASE}/bridge/log", lambda m: "upgrade started" in m.json()["message"], since=mark
            )
            assert "1.1.5 -> 1.2.0" in started.json()["message"]
            upgrading = await mqtt.wait_for(f"{BASE}/attic/firmware", since=mark)
            assert upgrading.json()["upgrading"] is True

            await mqtt.publish(f"{BASE}/attic/firmware/set", "{}", response_topic="reply/bad")
            assert "no upgrade" in (await mqtt.wait_for("reply/bad")).json()["error"]
            await mqtt.publish(f"{BASE}/nosuch/firmware/get", "", response_topic="reply/none")
            assert "nosuch" in (await mqtt.wait_for("reply/none")).json()["error"]
        async with recorder(broker.host, broker.port, f"{BASE}/+/firmware") as late:
            assert (await late.wait_for(f"{BASE}/attic/firmware")).retain
        assert_no_secrets(mqtt, cloud, ONLY_KEY)


async def test_without_fallback_a_lan_device_that_is_down_is_offline(tmp_path: Path) -> None:
    device_id = "bfcloudnofallback001"
    async with running_broker(tmp_path) as broker, FakeCloud() as cloud:
        cloud.add_device(FakeDevice.plug(device_id, KEY))
        plug = SimDevice(device_id, KEY, "3.3", "plug", host="127.0.0.43")
        await plug.start()
        text = full_config(
            broker,
            cloud,
            [Dev("desk", plug, type="plug")],
            [cloud_only_device("lost", allowed=False)],
            fallback=False,
        )
        async with (
            recorder(broker.host, broker.port, f"{BASE}/#", "reply/#") as mqtt,
            daemon(tmp_path, text),
        ):
            unreachable = await mqtt.wait_for(
                f"{BASE}/bridge/log", lambda m: m.json().get("device") == "lost"
            )
            assert "cannot be reached" in unreachable.json()["message"]
            await mqtt.wait_for(f"{BASE}/desk/availability", is_online)
            mark = mqtt.mark()
            await plug.stop()
            await mqtt.publish(f"{BASE}/desk/set", "ON", response_topic="reply/1")
            assert "no cloud route" in (await mqtt.wait_for("reply/1")).json()["error"]
            await mqtt.wait_for(
                f"{BASE}/desk/availability",
                lambda m: m.payload == b"offline",
                since=mark,
                within=20,
            )
            await mqtt.wait_for(f"{BASE}/bridge/devices", listed("desk", "offline"), since=mark)
            await mqtt.publish(f"{BASE}/lost/get", "", response_topic="reply/2")
            assert "no cloud route" in (await mqtt.wait_for("reply/2")).json()["error"]
        assert cloud.calls == []
        assert_no_secrets(mqtt, cloud)


async def test_a_key_the_cloud_cannot_fix_is_asked_for_once(tmp_path: Path) -> None:
    device_id = "bfcloudsamekey000001"
    async with running_broker(tmp_path) as broker, FakeCloud() as cloud:
        cloud.add_device(FakeDevice.plug(device_id, KEY))  # the cloud's key is stale too
        async with SimDevice(device_id, NEW_KEY, "3.4", "plug", host="127.0.0.44") as plug:
            text = full_config(broker, cloud, [Dev("hall", plug, type="plug")], fallback=False)
            async with (
                recorder(broker.host, broker.port, f"{BASE}/#") as mqtt,
                daemon(tmp_path, text),
            ):
                entry = await mqtt.wait_for(
                    f"{BASE}/bridge/log", lambda m: "same local key" in m.json()["message"]
                )
                assert entry.json()["level"] == "error"
                await asyncio.sleep(3.0)  # several more refused reconnects
                assert cloud.count(f"/v1.0/devices/{device_id}") == 1
                assert len([e for e in logs(mqtt) if "same local key" in e["message"]]) == 1
            assert load_local_keys(StateStore(tmp_path / "state")).value == {}
        assert_no_secrets(mqtt, cloud, NEW_KEY)


async def test_a_reload_adds_and_removes_the_cloud(tmp_path: Path) -> None:
    async with running_broker(tmp_path) as broker, FakeCloud() as cloud:
        cloud.add_device(FakeDevice.plug(ONLY_ID, ONLY_KEY))
        with_cloud = full_config(broker, cloud, cloud_only=[cloud_only_device("attic")])
        without = with_cloud[: with_cloud.index("cloud:\n")]
        async with (
            recorder(broker.host, broker.port, f"{BASE}/#") as mqtt,
            daemon(tmp_path, without) as supervisor,
        ):
            unreachable = await mqtt.wait_for(
                f"{BASE}/bridge/log", lambda m: m.json().get("device") == "attic"
            )
            assert "no cloud is usable" in unreachable.json()["message"]
            assert cloud_of(supervisor) is None

            path = tmp_path / "config.yaml"
            path.write_text(with_cloud)
            supervisor.reload(load_config(path))
            await mqtt.wait_for(f"{BASE}/attic/availability", is_online)
            assert state(await mqtt.wait_for(f"{BASE}/attic"))["source"] == "cloud"
            first = cloud_of(supervisor)
            assert first is not None
            calls = first.calls_this_month
            assert calls > 0

            mark = mqtt.mark()
            path.write_text(with_cloud.replace("poll: 0.3", "poll: 0.2"))
            supervisor.reload(load_config(path))
            await mqtt.wait_for(
                f"{BASE}/bridge/log", lambda m: "reloaded" in m.json()["message"], since=mark
            )
            second = cloud_of(supervisor)
            assert second is not None
            assert second is not first
            assert second.calls_this_month >= calls  # the count carries over
            await mqtt.wait_for(f"{BASE}/attic/availability", is_online, since=mark)

            mark = mqtt.mark()
            path.write_text(without)
            supervisor.reload(load_config(path))
            await mqtt.wait_for(
                f"{BASE}/attic/availability", lambda m: m.payload == b"offline", since=mark
            )
            assert cloud_of(supervisor) is None
            await asyncio.sleep(0.5)
            calls = len(cloud.calls)
            await asyncio.sleep(0.7)
            assert len(cloud.calls) == calls  # nothing polls a cloud that is gone
        assert_no_secrets(mqtt, cloud, ONLY_KEY)


async def test_a_lan_device_that_never_comes_up_is_served_by_the_cloud(tmp_path: Path) -> None:
    device_id = "bfcloudneverup000001"
    host = "127.0.0.46"
    async with running_broker(tmp_path) as broker, FakeCloud() as cloud:
        cloud.add_device(FakeDevice.plug(device_id, KEY))
        cloud.set_status(device_id, "switch_1", True)
        # Nothing listens at its address yet.
        plug = SimDevice(device_id, KEY, "3.3", "plug", host=host, port=free_tcp_port(host))
        text = full_config(broker, cloud, [Dev("shed", plug, type="plug")])
        try:
            async with (
                recorder(broker.host, broker.port, f"{BASE}/#") as mqtt,
                daemon(tmp_path, text),
            ):
                # Within the start-up grace (5 s here) the cloud is left alone.
                await asyncio.sleep(3.0)
                assert cloud.calls == []
                await mqtt.wait_for(f"{BASE}/shed/availability", is_online, within=10)
                served = state(await mqtt.wait_for(f"{BASE}/shed"))
                assert (served["source"], served["state"]) == ("cloud", "ON")
                await mqtt.wait_for(f"{BASE}/bridge/devices", listed("shed", "cloud"))

                mark = mqtt.mark()
                await plug.start()
                await mqtt.wait_for(
                    f"{BASE}/shed", lambda m: state(m)["source"] == "lan", since=mark, within=30
                )
                await mqtt.wait_for(f"{BASE}/bridge/devices", listed("shed", "lan"), since=mark)
        finally:
            await plug.stop()
        assert_no_secrets(mqtt, cloud)
