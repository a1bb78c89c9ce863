"""The fake Tuya cloud itself: signature checks, tokens, endpoints, faults, HTTP handling."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from setsmart.cloud.signing import path_with_query, signed_headers
from tests.support.fake_cloud import FakeCloud, FakeDevice, FakeDp, Fault

from .conftest import BULB_ID, PLUG_ID, PLUG_KEY, Clock

# Tuya's published test vector (PROTOCOL.md)
VECTOR_CLIENT_ID = "1KAD46OrT9HafiKdsXeg"
VECTOR_SECRET = "4OHBOnWOqaEC1mWXOpVL3yV50s0qGSRC"
VECTOR_T_MS = 1588925778000


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=2.0) as client:
        yield client


async def _request(
    http: httpx.AsyncClient,
    cloud: FakeCloud,
    method: str,
    path: str,
    *,
    query: dict[str, str] | None = None,
    body: object = None,
    token: str = "",
    secret: str | None = None,
    t_ms: int | None = None,
) -> dict[str, Any]:
    content = b"" if body is None else json.dumps(body).encode()
    headers = signed_headers(
        client_id=cloud.client_id,
        secret=cloud.secret if secret is None else secret,
        t_ms=cloud.now_ms() if t_ms is None else t_ms,
        method=method,
        path_with_query=path_with_query(path, query),
        body=content,
        access_token=token,
        nonce="n0",
    )
    reply = await http.request(
        method, cloud.base_url + path, params=query, content=content, headers=headers
    )
    assert reply.status_code == 200
    document: dict[str, Any] = reply.json()
    return document


async def _token(http: httpx.AsyncClient, cloud: FakeCloud) -> str:
    reply = await _request(http, cloud, "GET", "/v1.0/token", query={"grant_type": "1"})
    token: str = reply["result"]["access_token"]
    return token


async def test_the_published_tuya_vector_is_accepted(http: httpx.AsyncClient) -> None:
    async with FakeCloud(
        client_id=VECTOR_CLIENT_ID, secret=VECTOR_SECRET, now_ms=lambda: VECTOR_T_MS
    ) as cloud:
        headers = {
            "client_id": VECTOR_CLIENT_ID,
            "sign": "9E48A3E93B302EEECC803C7241985D0A34EB944F40FB573C7B5C2A82158AF13E",
            "t": str(VECTOR_T_MS),
            "sign_method": "HMAC-SHA256",
            "nonce": "5138cc3a9033d69856923fd07b491173",
            "Signature-Headers": "area_id:call_id",
            "area_id": "29a33e8796834b1efa6",
            "call_id": "8afdb70ab2ed11eb85290242ac130003",
        }
        reply = await http.get(cloud.base_url + "/v1.0/token?grant_type=1", headers=headers)
        document = reply.json()
        assert document["success"] is True
        assert document["result"]["expire_time"] == 7200
        headers["sign"] = headers["sign"][:-1] + "F"
        reply = await http.get(cloud.base_url + "/v1.0/token?grant_type=1", headers=headers)
        assert reply.json()["code"] == 1004
        assert [call.signed_ok for call in cloud.calls] == [True, False]


async def test_signature_client_id_time_and_token_are_checked(
    http: httpx.AsyncClient, cloud: FakeCloud, clock: Clock
) -> None:
    status = f"/v1.0/iot-03/devices/{PLUG_ID}/status"
    assert (await http.get(cloud.base_url + status)).json()["code"] == 1005
    assert (await _request(http, cloud, "GET", status, secret="wrong"))["code"] == 1004
    old = clock.ms - 16 * 60 * 1000
    assert (await _request(http, cloud, "GET", status, t_ms=old))["code"] == 1013
    assert (await _request(http, cloud, "GET", status))["code"] == 1011
    assert (await _request(http, cloud, "GET", status, token="f" * 32))["code"] == 1011
    token = await _token(http, cloud)
    reply = await _request(http, cloud, "GET", status, token=token)
    assert reply["success"] is True
    assert isinstance(reply["t"], int)
    assert len(reply["tid"]) == 32
    clock.advance(7200)
    assert (await _request(http, cloud, "GET", status, token=token))["code"] == 1010
    codes = [call.code for call in cloud.calls]
    assert codes == [1005, 1004, 1013, 1011, 1011, None, None, 1010]


async def test_token_hooks(http: httpx.AsyncClient, cloud: FakeCloud) -> None:
    status = f"/v1.0/iot-03/devices/{PLUG_ID}/status"
    token = await _token(http, cloud)
    cloud.expire_tokens()
    assert (await _request(http, cloud, "GET", status, token=token))["code"] == 1010
    cloud.revoke_tokens()
    assert (await _request(http, cloud, "GET", status, token=token))["code"] == 1011
    assert cloud.issued_tokens == [token]


async def test_unknown_paths_and_bad_parameters(http: httpx.AsyncClient, cloud: FakeCloud) -> None:
    token = await _token(http, cloud)
    bad_grant = await _request(http, cloud, "GET", "/v1.0/token", query={"grant_type": "2"})
    assert bad_grant["code"] == 1109
    assert (await _request(http, cloud, "GET", "/v2.0/nothing", token=token))["code"] == 1108
    wrong_method = await _request(
        http, cloud, "DELETE", f"/v1.0/iot-03/devices/{PLUG_ID}/status", token=token
    )
    assert wrong_method["code"] == 1108
    unknown = await _request(http, cloud, "GET", "/v1.0/devices/bfnothere", token=token)
    assert (unknown["code"], unknown["msg"]) == (1106, "permission deny")
    nobody = await _request(http, cloud, "GET", "/v1.0/users/az-nobody/devices", token=token)
    assert nobody["code"] == 1106


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"commands": [{"code": "switch_1", "value": "on"}]}, 2008),
        ({"commands": [{"code": "countdown_1", "value": 86401}]}, 2008),
        ({"commands": [{"code": "countdown_1", "value": -1}]}, 2008),
        ({"commands": [{"code": "countdown_1", "value": True}]}, 2008),
        ({"commands": [{"code": "cur_power", "value": 1}]}, 2008),
        ({"commands": [{"code": "no_such_dp", "value": 1}]}, 2008),
        ({"commands": [{"code": "switch_1", "value": True}, {"code": "x", "value": 1}]}, 2008),
        ({"commands": [{"code": "switch_1"}]}, 1109),
        ({"commands": ["switch_1"]}, 1109),
        ({"commands": []}, 1109),
        ({"command": []}, 1109),
        ("switch_1=true", 1109),
    ],
)
async def test_refused_commands_change_nothing(
    http: httpx.AsyncClient, cloud: FakeCloud, body: object, code: int
) -> None:
    token = await _token(http, cloud)
    path = f"/v1.0/iot-03/devices/{PLUG_ID}/commands"
    reply = await _request(http, cloud, "POST", path, body=body, token=token)
    assert reply["code"] == code
    assert cloud.device(PLUG_ID).status["switch_1"] is False
    assert cloud.device(PLUG_ID).status["countdown_1"] == 0


async def test_a_body_that_is_not_json_is_recorded_as_text(
    http: httpx.AsyncClient, cloud: FakeCloud
) -> None:
    path = f"/v1.0/iot-03/devices/{PLUG_ID}/commands"
    reply = await http.post(cloud.base_url + path, content=b"\xffnot json")
    assert reply.json()["code"] == 1005
    assert cloud.calls[-1].body == "\ufffdnot json"


async def test_bulb_commands_check_enum_and_json_types(
    http: httpx.AsyncClient, cloud: FakeCloud
) -> None:
    token = await _token(http, cloud)
    path = f"/v1.0/iot-03/devices/{BULB_ID}/commands"

    async def send(code: str, value: object) -> dict[str, Any]:
        body = {"commands": [{"code": code, "value": value}]}
        return await _request(http, cloud, "POST", path, body=body, token=token)

    assert (await send("work_mode", "disco"))["code"] == 2008
    assert (await send("colour_data_v2", 5))["code"] == 2008
    assert (await send("work_mode", "colour"))["result"] is True
    assert (await send("colour_data_v2", "00f003e803e8"))["result"] is True
    assert cloud.device(BULB_ID).status["work_mode"] == "colour"
    assert cloud.device(BULB_ID).status["colour_data_v2"] == "00f003e803e8"


def test_dp_types_without_checks_accept_anything() -> None:
    raw = FakeDp("ir_send", 201, "Raw")
    assert raw.accepts(b"\x00")
    assert FakeDp("label", 5, "String").accepts("x")
    assert not FakeDp("label", 5, "String").accepts(5)
    assert FakeDp("level", 3, "Integer").accepts(10**9)


async def test_an_offline_device_refuses_commands(
    http: httpx.AsyncClient, cloud: FakeCloud
) -> None:
    token = await _token(http, cloud)
    cloud.set_online(PLUG_ID, False)
    path = f"/v1.0/iot-03/devices/{PLUG_ID}/commands"
    body = {"commands": [{"code": "switch_1", "value": True}]}
    reply = await _request(http, cloud, "POST", path, body=body, token=token)
    assert (reply["code"], reply["msg"]) == (2001, "device is offline")
    detail = await _request(http, cloud, "GET", f"/v1.0/devices/{PLUG_ID}", token=token)
    assert detail["result"]["online"] is False


async def test_status_hooks_show_in_the_api(http: httpx.AsyncClient, cloud: FakeCloud) -> None:
    token = await _token(http, cloud)
    cloud.set_status(PLUG_ID, "cur_power", 1234)
    cloud.set_local_key(PLUG_ID, "fresh_key_012345")
    reply = await _request(http, cloud, "GET", f"/v1.0/devices/{PLUG_ID}", token=token)
    assert {"code": "cur_power", "value": 1234} in reply["result"]["status"]
    assert reply["result"]["local_key"] == "fresh_key_012345"
    assert [device.id for device in cloud.devices] == [PLUG_ID, BULB_ID]


async def test_confirming_without_an_upgrade_is_refused(
    http: httpx.AsyncClient, cloud: FakeCloud
) -> None:
    token = await _token(http, cloud)
    path = f"/v1.0/iot-03/devices/{PLUG_ID}/confirm-upgrade"
    assert (await _request(http, cloud, "POST", path, body={"module_type": 0}, token=token))[
        "code"
    ] == 1109
    assert (await _request(http, cloud, "POST", path, body=[0], token=token))["code"] == 1109


async def test_a_failed_upgrade_keeps_the_old_version(cloud: FakeCloud) -> None:
    [module] = cloud.device(PLUG_ID).firmware
    module.upgrade_version, module.upgrade_status = "9.9.9", 2
    cloud.finish_upgrade(PLUG_ID, ok=False)
    assert (module.upgrade_status, module.current_version) == (4, "1.1.5")
    cloud.finish_upgrade(PLUG_ID)  # nothing is running any more
    assert module.upgrade_status == 4


async def test_faults_match_by_path_and_run_out(http: httpx.AsyncClient, cloud: FakeCloud) -> None:
    token = await _token(http, cloud)
    status = f"/v1.0/iot-03/devices/{PLUG_ID}/status"
    detail = f"/v1.0/devices/{PLUG_ID}"
    cloud.inject(Fault.SYSTEM_BUSY, times=2, path="/status")
    cloud.inject(4242, msg="custom")
    assert (await _request(http, cloud, "GET", detail, token=token))["msg"] == "custom"
    assert (await _request(http, cloud, "GET", detail, token=token))["success"] is True
    assert (await _request(http, cloud, "GET", status, token=token))["code"] == 1111
    assert (await _request(http, cloud, "GET", status, token=token))["code"] == 1111
    assert (await _request(http, cloud, "GET", status, token=token))["success"] is True
    cloud.inject(Fault.PLAN_EXPIRED, times=3)
    cloud.clear_faults()
    assert (await _request(http, cloud, "GET", status, token=token))["success"] is True
    assert cloud.count("/status") == 4
    assert cloud.count(method="GET") == 7
    assert cloud.count("/status", method="POST") == 0


@pytest.mark.parametrize(
    ("fault", "status", "content_type"),
    [
        (Fault.HTTP_429, 429, "application/json"),
        (Fault.HTTP_500, 500, "text/plain"),
        (Fault.HTML, 200, "text/html"),
        (Fault.NOT_JSON, 200, "text/plain"),
    ],
)
async def test_http_level_faults(
    http: httpx.AsyncClient, cloud: FakeCloud, fault: Fault, status: int, content_type: str
) -> None:
    cloud.inject(fault)
    reply = await http.get(cloud.base_url + "/v1.0/token?grant_type=1")
    assert reply.status_code == status
    assert reply.headers["content-type"] == content_type
    assert cloud.calls[-1].http_status == status


async def test_missing_fields_and_empty_result(http: httpx.AsyncClient, cloud: FakeCloud) -> None:
    cloud.inject(Fault.MISSING_FIELDS)
    cloud.inject(Fault.EMPTY_RESULT)
    first = (await http.get(cloud.base_url + "/x")).json()
    assert "success" not in first
    assert "result" not in first
    assert (await http.get(cloud.base_url + "/x")).json()["result"] == {}


async def test_a_slow_fault_delays_then_answers(http: httpx.AsyncClient, cloud: FakeCloud) -> None:
    cloud.inject(Fault.SLOW, delay=0.05)
    loop = asyncio.get_running_loop()
    started = loop.time()
    reply = await _request(http, cloud, "GET", "/v1.0/token", query={"grant_type": "1"})
    assert loop.time() - started >= 0.05
    assert reply["success"] is True


async def _raw(cloud: FakeCloud, data: bytes) -> bytes:
    host, port = cloud.base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(data)
    writer.write_eof()
    await writer.drain()
    async with asyncio.timeout(2):
        reply = await reader.read()  # until the fake closes the connection
    writer.close()
    await writer.wait_closed()
    return reply


async def test_keep_alive_serves_several_requests_on_one_connection(cloud: FakeCloud) -> None:
    one = b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n"
    last = b"GET /y HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
    reply = await _raw(cloud, one + one + last)
    assert reply.count(b"HTTP/1.1 200 OK") == 3
    assert reply.count(b"Connection: keep-alive") == 2
    assert reply.count(b"Connection: close") == 1


async def test_http_1_0_closes_after_one_request(cloud: FakeCloud) -> None:
    reply = await _raw(cloud, b"GET /x HTTP/1.0\r\n\r\nGET /y HTTP/1.0\r\n\r\n")
    assert reply.count(b"HTTP/1.1 200 OK") == 1
    assert len(cloud.calls) == 1


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"NONSENSE\r\n\r\n",
        b"POST /x HTTP/1.1\r\nContent-Length: ten\r\n\r\n",
        b"POST /x HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n",
        b"GET /x HTTP/1.1\r\n" + b"X-A: 1\r\n" * 101 + b"\r\n",
        b"POST /x HTTP/1.1\r\nContent-Length: 10\r\n\r\nshort",
    ],
)
async def test_a_malformed_request_closes_the_connection(
    cloud: FakeCloud, request_bytes: bytes
) -> None:
    assert await _raw(cloud, request_bytes) == b""
    assert cloud.calls == []


async def test_stop_closes_idle_connections_and_can_repeat(clock: Clock) -> None:
    cloud = FakeCloud(now_ms=clock)
    await cloud.start()
    host, port = cloud.base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"GET /x HTTP/1.1\r\n\r\n")
    await writer.drain()
    assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
    await cloud.stop()
    await cloud.stop()
    async with asyncio.timeout(2):
        rest = await reader.read()
    assert b"HTTP" not in rest
    writer.close()
    await writer.wait_closed()


def test_the_fake_serves_loopback_only() -> None:
    with pytest.raises(ValueError, match="loopback addresses only"):
        FakeCloud(host="0.0.0.0")
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 address"):
        FakeCloud(host="example.com")
    assert FakeCloud(host="localhost").base_url == "http://localhost:0"
    assert FakeCloud(host="::1", port=8080).base_url == "http://[::1]:8080"


def test_no_local_key_in_reprs() -> None:
    device = FakeDevice.plug(PLUG_ID, PLUG_KEY)
    assert PLUG_KEY not in repr(device)
    assert "devices=0" in repr(FakeCloud())
