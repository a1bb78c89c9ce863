"""The HTTP API end to end: the daemon with its server, simulated devices, a real broker."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from setsmart.sim import SimDevice
from tests.daemon.harness import BASE, KEY, Dev, config_text, daemon
from tests.support.broker import free_tcp_port, running_broker
from tests.support.mqtt_client import recorder

pytestmark = pytest.mark.timeout(60)

TOKEN = "s3cret-token-for-tests"


def http_section(port: int, token: str | None = TOKEN) -> str:
    line = f"  token: {token}\n" if token else ""
    return f"http:\n  bind: 127.0.0.1\n  port: {port}\n{line}"


@asynccontextmanager
async def client(port: int, token: str | None = TOKEN) -> AsyncIterator[aiohttp.ClientSession]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession(f"http://127.0.0.1:{port}", headers=headers) as session:
        yield session


async def answer(response: aiohttp.ClientResponse) -> tuple[int, object]:
    async with response:
        return response.status, await response.json()


async def wait_for_state(session: aiohttp.ClientSession, name: str) -> dict[str, object]:
    async with asyncio.timeout(10):
        while True:
            status, entry = await answer(await session.get(f"/api/devices/{name}"))
            assert status == 200
            assert isinstance(entry, dict)
            if entry["state"] is not None and entry["available"]:
                return entry
            await asyncio.sleep(0.05)


async def test_every_route_answers_as_the_contract_says(tmp_path: Path) -> None:
    port = free_tcp_port()
    async with (
        running_broker(tmp_path) as broker,
        SimDevice("bfhttp00000000000001", KEY, "3.4", "plug", host="127.0.0.61") as plug,
        SimDevice("bfhttp00000000000002", KEY, "3.3", "bulb", host="127.0.0.62") as bulb,
        daemon(
            tmp_path,
            config_text(broker, [Dev("plug", plug), Dev("bulb", bulb)]) + http_section(port),
        ) as supervisor,
        client(port) as http,
        client(port, None) as anonymous,
        client(port, "wrong") as wrong,
    ):
        status, health = await answer(await anonymous.get("/api/health"))
        assert status == 200
        assert isinstance(health, dict)
        assert health["status"] == "ok"
        assert health["mqtt"] == "connected"
        assert health["devices"] == {"online": health["devices"]["online"], "total": 2}
        assert isinstance(health["tasks"], int)
        assert health["tasks"] > 0
        # Without the token, or with a wrong one: 401 in the error shape.
        for session in (anonymous, wrong):
            status, refused = await answer(await session.get("/api/devices"))
            assert status == 401
            assert isinstance(refused, dict)
            assert refused["status"] == "error"
            assert "Bearer" in refused["error"]
        entry = await wait_for_state(http, "plug")
        assert entry["id"] == plug.device_id
        assert entry["type"] == "plug"
        assert entry["connection"] == "lan"
        await wait_for_state(http, "bulb")
        status, listed = await answer(await http.get("/api/devices"))
        assert status == 200
        assert isinstance(listed, list)
        assert [d["name"] for d in listed] == ["plug", "bulb"]

        # set: answered with the state the device confirmed.
        status, done = await answer(await http.post("/api/devices/plug/set", json={"state": "ON"}))
        assert status == 200, done
        assert isinstance(done, dict)
        assert done["status"] == "ok"
        assert isinstance(done["state"], dict)
        assert done["state"]["state"] == "ON"
        assert plug.dps["1"] is True
        status, done = await answer(
            await http.post("/api/devices/bulb/set", json={"brightness": 40})
        )
        assert status == 200, done
        status, done = await answer(await http.post("/api/devices/plug/get"))
        assert status == 200
        # Bad input: 400, nothing sent.
        for body in (b"{not json", b'{"brigthness": 3}', b'{"state": 5}', b"[1]"):
            status, refused = await answer(await http.post("/api/devices/plug/set", data=body))
            assert status == 400, body
            assert isinstance(refused, dict)
            assert refused["status"] == "error"
            assert "plug" in refused["error"]
        assert plug.dps["1"] is True
        status, refused = await answer(
            await http.post("/api/devices/plug/set", data=b"x" * 100_000)
        )
        assert status == 413
        # No such device: 404.
        for method, path in (
            ("GET", "/api/devices/nope"),
            ("POST", "/api/devices/nope/set"),
            ("GET", "/api/devices/nope/history"),
        ):
            status, refused = await answer(await http.request(method, path, json={}))
            assert status == 404
            assert refused == {"status": "error", "error": "no device named 'nope' is configured"}
        status, refused = await answer(await http.get("/api/nothing/here"))
        assert status == 404
        assert isinstance(refused, dict)
        assert refused["status"] == "error"

        # The log has the rejected commands; the bridge requests answer as on MQTT.
        status, log = await answer(await http.get("/api/log?limit=50"))
        assert status == 200
        assert isinstance(log, list)
        assert any("brigthness" in line["message"] for line in log)
        status, refused = await answer(await http.get("/api/log?limit=x"))
        assert status == 400
        status, devices = await answer(await http.post("/api/bridge/devices", json={}))
        assert status == 200
        assert isinstance(devices, dict)
        assert [d["name"] for d in devices["data"]] == ["plug", "bulb"]
        status, health = await answer(await http.post("/api/bridge/health_check"))
        assert status == 200
        assert isinstance(health, dict)
        assert health["data"]["healthy"] is True
        status, refused = await answer(await http.post("/api/bridge/nope", json={}))
        assert status == 404
        status, refused = await answer(await http.post("/api/bridge/firmware/check", json={}))
        assert status == 503  # no cloud configured
        assert isinstance(refused, dict)
        assert "cloud" in refused["error"]

        # History and energy, from what the daemon published.
        assert supervisor.history is not None
        await supervisor.history.ready.wait()
        await supervisor.history.flush()
        status, history = await answer(await http.get("/api/devices/plug/history?key=power"))
        assert status == 200
        assert isinstance(history, dict)
        assert history["key"] == "power"
        assert history["unit"] == "W"
        assert isinstance(history["points"], list)
        status, energy = await answer(await http.get("/api/devices/plug/energy?resolution=day"))
        assert status == 200
        assert isinstance(energy, dict)
        assert energy["unit"] == "kWh"
        status, refused = await answer(await http.get("/api/devices/plug/history?from=yesterday"))
        assert status == 400
        status, refused = await answer(await http.get("/api/devices/plug/energy?resolution=week"))
        assert status == 400

        status, document = await answer(await anonymous.get("/api/openapi.json"))
        assert status == 200
        assert isinstance(document, dict)
        assert document["openapi"].startswith("3.")
        async with anonymous.get("/") as page:
            assert page.status == 200
            assert "app.js" in await page.text()


async def test_offline_and_silent_devices(tmp_path: Path) -> None:
    port = free_tcp_port()
    async with (
        running_broker(tmp_path) as broker,
        SimDevice("bfhttp00000000000003", KEY, "3.4", "plug", host="127.0.0.63") as plug,
        SimDevice("bfhttp00000000000004", KEY, "3.4", "plug", host="127.0.0.64") as gone,
    ):
        text = config_text(broker, [Dev("plug", plug), Dev("gone", gone)]) + http_section(port)
        await gone.stop()
        async with daemon(tmp_path, text), client(port) as http:
            status, refused = await answer(
                await http.post("/api/devices/gone/set", json={"state": "ON"})
            )
            assert status == 503, refused
            assert isinstance(refused, dict)
            assert refused["status"] == "error"
            assert "gone" in refused["error"]
            await wait_for_state(http, "plug")
            plug.dark = True
            status, refused = await answer(
                await http.post("/api/devices/plug/set", json={"state": "ON"})
            )
            assert status in (503, 504), refused
            assert isinstance(refused, dict)
            assert "plug" in refused["error"]


async def read_events(response: aiohttp.ClientResponse) -> AsyncIterator[tuple[str, object]]:
    event = ""
    async for raw in response.content:
        line = raw.decode().rstrip("\n")
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            yield event, json.loads(line[6:])


async def test_the_event_stream_starts_with_the_state_and_pushes_changes(
    tmp_path: Path,
) -> None:
    port = free_tcp_port()
    async with (
        running_broker(tmp_path) as broker,
        SimDevice(
            "bfhttp00000000000005", KEY, "3.4", "plug", host="127.0.0.65", dps={"1": False}
        ) as plug,
        recorder(broker.host, broker.port, f"{BASE}/bridge/response/#") as mqtt,
        daemon(tmp_path, config_text(broker, [Dev("plug", plug)]) + http_section(port)),
        client(port, None) as anonymous,
    ):
        async with anonymous.get("/api/events") as refused:
            assert refused.status == 401
        await wait_for_state_with_token(port)
        url = f"/api/events?access_token={TOKEN}"
        async with anonymous.get(url) as stream, asyncio.timeout(10):
            assert stream.headers["Content-Type"].startswith("text/event-stream")
            events = read_events(stream)
            seen = [await anext(events), await anext(events)]
            assert ("availability", {"device": "plug", "available": True}) in seen
            state = next(data for name, data in seen if name == "state")
            assert isinstance(state, dict)
            assert state["state"]["state"] == "OFF"
            await plug.set_dps({"1": True})  # someone pressed the button
            async for name, data in events:
                if name == "state":
                    assert isinstance(data, dict)
                    assert data["device"] == "plug"
                    assert data["state"]["state"] == "ON"
                    break

        # The same operations as MQTT bridge requests, with the transaction echoed.
        await mqtt.publish(f"{BASE}/bridge/request/devices", json.dumps({"transaction": 7}))
        reply = await mqtt.wait_for(f"{BASE}/bridge/response/devices")
        document = reply.json()
        assert document["status"] == "ok"
        assert document["transaction"] == 7
        assert [d["name"] for d in document["data"]] == ["plug"]
        await mqtt.publish(f"{BASE}/bridge/request/health_check", "")
        reply = await mqtt.wait_for(f"{BASE}/bridge/response/health_check")
        assert reply.json()["data"]["healthy"] is True
        await mqtt.publish(f"{BASE}/bridge/request/firmware/upgrade", json.dumps({"devices": 3}))
        reply = await mqtt.wait_for(f"{BASE}/bridge/response/firmware/upgrade")
        assert reply.json()["status"] == "error"
        assert "devices" in reply.json()["error"]
        await mqtt.publish(f"{BASE}/bridge/request/scan", "{}")
        reply = await mqtt.wait_for(f"{BASE}/bridge/response/scan")
        assert reply.json() == {"status": "ok", "data": []}


async def wait_for_state_with_token(port: int) -> None:
    async with client(port) as http:
        await wait_for_state(http, "plug")


async def test_a_reload_moves_the_server(tmp_path: Path) -> None:
    first, second = free_tcp_port(), free_tcp_port()
    async with (
        running_broker(tmp_path) as broker,
        SimDevice("bfhttp00000000000006", KEY, "3.4", "plug", host="127.0.0.66") as plug,
    ):
        text = config_text(broker, [Dev("plug", plug)])
        async with daemon(tmp_path, text + http_section(first)), client(first) as http:
            (tmp_path / "config.yaml").write_text(text + http_section(second))
            status, reloaded = await answer(await http.post("/api/bridge/reload"))
            assert status == 200, reloaded
            async with client(second) as moved, asyncio.timeout(10):
                while True:
                    with contextlib.suppress(aiohttp.ClientConnectionError):
                        status, _ = await answer(await moved.get("/api/health"))
                        break
                    await asyncio.sleep(0.05)
                assert status == 200
            with pytest.raises(aiohttp.ClientConnectionError):
                await http.get("/api/health")
