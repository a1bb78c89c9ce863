"""CloudClient against the fake Tuya cloud over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
import time

import httpx
import pytest

from setsmart.cloud import (
    CallBudget,
    CloudAuthError,
    CloudBusyError,
    CloudClient,
    CloudConfigError,
    CloudError,
    CloudPermissionError,
    CloudPlanError,
    CloudProtocolError,
    CloudRequestError,
    CloudTimeout,
    CloudTokenError,
    CloudUnreachableError,
)
from tests.support.fake_cloud import FakeCloud, FakeFirmware, Fault

from .conftest import BULB_ID, BULB_KEY, PLUG_ID, PLUG_KEY, Clock, MakeClient, Sleeps

STATUS = f"/v1.0/iot-03/devices/{PLUG_ID}/status"


# -- the endpoints ------------------------------------------------------------------


async def test_status_fetches_a_token_lazily_then_reads(
    cloud: FakeCloud, client: CloudClient
) -> None:
    assert cloud.calls == []
    status = await client.status(PLUG_ID)
    assert {"code": "switch_1", "value": False} in status
    assert {"code": "cur_voltage", "value": 2300} in status
    assert [call.path for call in cloud.calls] == ["/v1.0/token", STATUS]
    assert all(call.signed_ok for call in cloud.calls)
    assert client.uid == cloud.project_uid


async def test_commands_change_the_device_status(cloud: FakeCloud, client: CloudClient) -> None:
    commands = [{"code": "switch_1", "value": True}, {"code": "countdown_1", "value": 30}]
    assert await client.send_commands(PLUG_ID, commands) is True
    assert cloud.device(PLUG_ID).status["switch_1"] is True
    status = {item["code"]: item["value"] for item in await client.status(PLUG_ID)}
    assert status["switch_1"] is True
    assert status["countdown_1"] == 30
    post = next(call for call in cloud.calls if call.method == "POST")
    assert post.body == {"commands": commands}


async def test_a_refused_command_names_the_code_and_changes_nothing(
    cloud: FakeCloud, client: CloudClient
) -> None:
    with pytest.raises(CloudRequestError) as caught:
        await client.send_commands(PLUG_ID, [{"code": "cur_power", "value": 5}])
    assert caught.value.code == 2008
    assert str(caught.value) == (
        f"the Tuya cloud refused POST /v1.0/iot-03/devices/{PLUG_ID}/commands: "
        "command or value not support (code 2008)"
    )
    assert cloud.device(PLUG_ID).status["cur_power"] == 0


async def test_specifications_are_parsed_and_cached(cloud: FakeCloud, client: CloudClient) -> None:
    spec = await client.specifications(BULB_ID)
    assert spec.category == "dj"
    bright = next(dp for dp in spec.functions if dp.code == "bright_value_v2")
    assert (bright.dp_id, bright.type) == (22, "Integer")
    assert bright.values == {"min": 10, "max": 1000, "step": 1}
    assert await client.specifications(BULB_ID) is spec
    assert cloud.count("/specifications") == 1
    await client.specifications(BULB_ID, refresh=True)
    assert cloud.count("/specifications") == 2


async def test_dp_code_map_goes_both_ways(cloud: FakeCloud, client: CloudClient) -> None:
    codes = await client.dp_code_map(PLUG_ID)
    assert codes.code_by_id[1] == "switch_1"
    assert codes.id_by_code["cur_power"] == 19  # a status-only DP is mapped too
    assert codes.code_by_id[19] == "cur_power"
    await client.dp_code_map(PLUG_ID)
    assert cloud.count("/specifications") == 1


async def test_device_detail_has_the_local_key_but_its_repr_does_not(
    client: CloudClient,
) -> None:
    device = await client.device(PLUG_ID)
    assert device.id == PLUG_ID
    assert device.local_key == PLUG_KEY
    assert (device.name, device.category, device.online) == ("kitchen_plug", "cz", True)
    assert device.uid
    assert device.product_id
    assert device.ip == "127.0.0.1"
    assert PLUG_KEY not in repr(device)


async def test_user_devices_lists_every_device_with_keys(
    cloud: FakeCloud, client: CloudClient
) -> None:
    uid = (await client.device(PLUG_ID)).uid
    devices = {device.id: device for device in await client.user_devices(uid)}
    assert set(devices) == {PLUG_ID, BULB_ID}
    assert devices[BULB_ID].local_key == BULB_KEY
    assert devices[BULB_ID].name == "desk_bulb"
    cloud.set_local_key(BULB_ID, "rekeyed_after_re")
    assert {d.id: d.local_key for d in await client.user_devices(uid)}[BULB_ID] == (
        "rekeyed_after_re"
    )


async def test_firmware_upgrade_is_reported_and_confirmed(
    cloud: FakeCloud, client: CloudClient
) -> None:
    [wifi] = await client.upgrade_infos(PLUG_ID)
    assert (wifi.module_type, wifi.current_version, wifi.available) == (0, "1.1.5", False)
    assert await client.confirm_upgrade(PLUG_ID) is False
    assert cloud.count("/confirm-upgrade") == 0

    cloud.device(PLUG_ID).firmware = [
        FakeFirmware(0, "1.1.5", "1.1.6", upgrade_status=1),
        FakeFirmware(9, "1.0.0", "1.0.0", upgrade_status=0),
    ]
    infos = await client.upgrade_infos(PLUG_ID)
    assert [(i.module_type, i.available, i.upgrade_version) for i in infos] == [
        (0, True, "1.1.6"),
        (9, False, "1.0.0"),
    ]
    assert await client.confirm_upgrade(PLUG_ID) is True
    assert cloud.count("/confirm-upgrade") == 1
    assert [i.upgrading for i in await client.upgrade_infos(PLUG_ID)] == [True, False]
    cloud.finish_upgrade(PLUG_ID)
    assert (await client.upgrade_infos(PLUG_ID))[0].current_version == "1.1.6"


async def test_confirm_upgrade_of_one_module(cloud: FakeCloud, client: CloudClient) -> None:
    cloud.device(BULB_ID).firmware = [FakeFirmware(9, "2.0", "2.1", upgrade_status=1)]
    assert await client.confirm_upgrade(BULB_ID, module_type=9) is True
    post = next(call for call in cloud.calls if call.method == "POST")
    assert post.body == {"module_type": 9}
    with pytest.raises(CloudRequestError, match=r"code 1109"):
        await client.confirm_upgrade(BULB_ID, module_type=9)


@pytest.mark.parametrize("bad_id", ["", "a/b", "a?b", "..", "a b", "a%2f"])
async def test_an_id_that_would_change_the_path_is_refused(
    cloud: FakeCloud, client: CloudClient, bad_id: str
) -> None:
    with pytest.raises(CloudConfigError, match="not a valid Tuya device id"):
        await client.status(bad_id)
    assert cloud.calls == []


# -- the access token ----------------------------------------------------------------


async def test_token_is_renewed_before_it_expires(
    cloud: FakeCloud, client: CloudClient, clock: Clock
) -> None:
    await client.status(PLUG_ID)
    clock.advance(7200 * 0.9 - 1)  # 2 h token: renewed 12 min (10 %) before it expires
    await client.status(PLUG_ID)
    assert len(cloud.issued_tokens) == 1
    clock.advance(2)
    await client.status(PLUG_ID)
    assert len(cloud.issued_tokens) == 2
    assert all(call.code is None for call in cloud.calls)  # no request ever met 1010


async def test_a_short_token_is_renewed_halfway(
    cloud: FakeCloud, client: CloudClient, clock: Clock
) -> None:
    cloud.token_ttl_s = 60
    await client.status(PLUG_ID)
    clock.advance(29)
    await client.status(PLUG_ID)
    assert len(cloud.issued_tokens) == 1
    clock.advance(1)
    await client.status(PLUG_ID)
    assert len(cloud.issued_tokens) == 2


@pytest.mark.parametrize(("spoil", "code"), [("expire_tokens", 1010), ("revoke_tokens", 1011)])
async def test_a_refused_token_is_fetched_anew_and_the_request_retried_once(
    cloud: FakeCloud, client: CloudClient, spoil: str, code: int
) -> None:
    await client.status(PLUG_ID)
    getattr(cloud, spoil)()
    assert await client.send_commands(PLUG_ID, [{"code": "switch_1", "value": True}])
    assert [(call.path.rsplit("/", 1)[-1], call.code) for call in cloud.calls] == [
        ("token", None),
        ("status", None),
        ("commands", code),
        ("token", None),
        ("commands", None),
    ]
    assert cloud.device(PLUG_ID).status["switch_1"] is True


async def test_a_token_refused_twice_is_an_error_after_a_single_retry(
    cloud: FakeCloud, client: CloudClient
) -> None:
    cloud.inject(Fault.TOKEN_INVALID, times=5, path="/status")
    with pytest.raises(CloudTokenError) as caught:
        await client.status(PLUG_ID)
    assert cloud.count("/status") == 2
    assert len(cloud.issued_tokens) == 2
    assert "token invalid, code 1011" in str(caught.value)


async def test_concurrent_calls_share_one_token_fetch(
    cloud: FakeCloud, client: CloudClient
) -> None:
    results = await asyncio.gather(*(client.status(PLUG_ID) for _ in range(8)))
    assert len(results) == 8
    assert len(cloud.issued_tokens) == 1


# -- backoff --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [Fault.TOO_FREQUENT, Fault.CONCURRENT_LIMIT, Fault.SYSTEM_BUSY, Fault.HTTP_429, Fault.HTTP_500],
)
async def test_busy_answers_are_retried_with_exponential_backoff(
    cloud: FakeCloud, client: CloudClient, sleeps: Sleeps, fault: Fault
) -> None:
    cloud.inject(fault, times=3, path="/status")
    assert await client.status(PLUG_ID)
    assert cloud.count("/status") == 4
    assert sleeps.delays == [0.5, 1.0, 2.0]


async def test_backoff_gives_up_after_the_last_attempt(
    cloud: FakeCloud, client: CloudClient, sleeps: Sleeps
) -> None:
    cloud.inject(Fault.TOO_FREQUENT, times=10, path="/status")
    with pytest.raises(CloudBusyError) as caught:
        await client.status(PLUG_ID)
    assert cloud.count("/status") == 4
    assert len(sleeps.delays) == 3
    assert caught.value.code == 1199
    assert str(caught.value) == (
        "the Tuya cloud is busy (requests too frequent, code 1199); tried 4 times, try again later"
    )


async def test_backoff_is_capped_and_fully_jittered(
    cloud: FakeCloud, make_client: MakeClient, sleeps: Sleeps
) -> None:
    client = make_client(max_attempts=7, backoff_base=0.5, backoff_cap=3.0, jitter=lambda: 0.5)
    cloud.inject(Fault.HTTP_500, times=10, path="/status")
    with pytest.raises(CloudBusyError, match=r"busy \(HTTP 500\); tried 7 times"):
        await client.status(PLUG_ID)
    assert sleeps.delays == [0.25, 0.5, 1.0, 1.5, 1.5, 1.5]


async def test_the_token_call_backs_off_too(
    cloud: FakeCloud, client: CloudClient, sleeps: Sleeps
) -> None:
    cloud.inject(Fault.HTTP_429, times=2, path="/v1.0/token")
    assert await client.status(PLUG_ID)
    assert cloud.count("/v1.0/token") == 3
    assert sleeps.delays == [0.5, 1.0]


async def test_one_attempt_means_no_retry(
    cloud: FakeCloud, make_client: MakeClient, sleeps: Sleeps
) -> None:
    client = make_client(max_attempts=1)
    cloud.inject(Fault.SYSTEM_BUSY, path="/status")
    with pytest.raises(CloudBusyError, match="tried once"):
        await client.status(PLUG_ID)
    assert sleeps.delays == []


# -- timeouts and transport failures -----------------------------------------------------


async def test_a_slow_reply_times_out(cloud: FakeCloud, make_client: MakeClient) -> None:
    client = make_client(timeout=0.2)
    await client.status(PLUG_ID)
    cloud.inject(Fault.SLOW, path="/status", delay=5.0)
    started = time.monotonic()
    with pytest.raises(CloudTimeout) as caught:
        await client.status(PLUG_ID)
    assert time.monotonic() - started < 1.0
    assert str(caught.value) == (
        f"the Tuya cloud at 127.0.0.1 did not answer GET {STATUS} within 0.2 s"
    )


async def test_a_slow_reply_within_the_timeout_is_fine(
    cloud: FakeCloud, make_client: MakeClient
) -> None:
    client = make_client(timeout=2.0)
    cloud.inject(Fault.SLOW, path="/status", delay=0.05)
    assert await client.status(PLUG_ID)


async def test_nobody_listening_is_unreachable_after_backing_off(
    make_client: MakeClient, sleeps: Sleeps
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = make_client(endpoint=f"http://127.0.0.1:{port}")
    with pytest.raises(CloudUnreachableError) as caught:
        await client.status(PLUG_ID)
    assert str(caught.value) == (
        "cannot reach the Tuya cloud at 127.0.0.1 (ConnectError; tried 4 times): "
        "check the network and cloud.region"
    )
    assert sleeps.delays == [0.5, 1.0, 2.0]


async def test_a_dropped_connection_is_retried(cloud: FakeCloud, client: CloudClient) -> None:
    cloud.inject(Fault.DROP, path="/status")
    assert await client.status(PLUG_ID)
    assert cloud.count("/status") == 2


# -- replies that are not the OpenAPI ----------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "status", "body", "expected"),
    [
        (Fault.HTML, 200, b"", r"not JSON \(HTTP 200, text/html\): '<html><head><title>"),
        (Fault.NOT_JSON, 200, b"", r"not JSON \(HTTP 200, text/plain\): 'upstream connect"),
        (Fault.MISSING_FIELDS, 200, b"", r"no 'success' field \(HTTP 200, application/json\)"),
        (Fault.RAW, 200, b"[1, 2]", r"no 'success' field"),
        (Fault.RAW, 200, b'{"success": true}', r"no 'result' field"),
        (Fault.RAW, 404, b'{"success": true, "result": 1}', r"success with an error status"),
        (Fault.RAW, 200, b'{"success": false, "msg": "x"}', r"an error without a code"),
        (Fault.RAW, 200, b'{"success": false, "code": true}', r"an error without a code"),
        (Fault.RAW, 200, b"", r"not JSON \(HTTP 200, application/json\): ''"),
    ],
)
async def test_a_reply_that_is_not_the_openapi_is_a_protocol_error(
    *,
    cloud: FakeCloud,
    client: CloudClient,
    fault: Fault,
    status: int,
    body: bytes,
    expected: str,
) -> None:
    cloud.inject(fault, path="/status", status=status, body=body)
    with pytest.raises(CloudProtocolError, match=expected) as caught:
        await client.status(PLUG_ID)
    assert str(caught.value).startswith(f"unexpected reply from the Tuya cloud to GET {STATUS}: ")


@pytest.mark.parametrize(
    ("path", "call"),
    [
        ("/status", "status"),
        ("/commands", "send_commands"),
        ("/specifications", "specifications"),
        (f"/devices/{PLUG_ID}", "device"),
        ("/upgrade-infos", "upgrade_infos"),
    ],
)
async def test_a_result_of_the_wrong_shape_is_a_protocol_error(
    cloud: FakeCloud, client: CloudClient, path: str, call: str
) -> None:
    cloud.inject(Fault.RAW, path=path, body=b'{"success": true, "result": 7}')
    args: tuple[object, ...] = (PLUG_ID,)
    if call == "send_commands":
        args = (PLUG_ID, [{"code": "switch_1", "value": True}])
    with pytest.raises(CloudProtocolError, match="unexpected reply from the Tuya cloud"):
        await getattr(client, call)(*args)


async def test_a_bad_token_reply_is_a_protocol_error(cloud: FakeCloud, client: CloudClient) -> None:
    cloud.inject(Fault.EMPTY_RESULT, path="/v1.0/token")
    with pytest.raises(CloudProtocolError, match="the token result has no int 'expire_time'"):
        await client.status(PLUG_ID)


async def test_an_error_code_given_as_a_string_is_understood(
    cloud: FakeCloud, client: CloudClient
) -> None:
    cloud.inject(Fault.RAW, path="/status", body=b'{"success": false, "code": "1106"}')
    with pytest.raises(CloudPermissionError):
        await client.status(PLUG_ID)


# -- what the user is told --------------------------------------------------------------


async def test_wrong_secret_says_the_api_secret_is_wrong(make_client: MakeClient) -> None:
    client = make_client(api_secret="not-the-secret")
    with pytest.raises(CloudAuthError) as caught:
        await client.status(PLUG_ID)
    assert caught.value.code == 1004
    assert "the API secret is wrong (sign invalid)" in str(caught.value)
    assert "cloud.api_secret" in str(caught.value)


async def test_wrong_access_id_says_the_api_key_is_wrong(make_client: MakeClient) -> None:
    client = make_client(api_key="someone-elses-id")
    with pytest.raises(CloudAuthError, match=r"the API key is wrong .*cloud\.api_key"):
        await client.status(PLUG_ID)


async def test_permission_deny_names_the_region_and_the_data_centre(
    make_client: MakeClient,
) -> None:
    client = make_client(region="us-e")
    with pytest.raises(CloudPermissionError) as caught:
        await client.status("bfunknowndevice00000")
    message = str(caught.value)
    assert caught.value.code == 1106
    assert "region 'us-e'" in message
    assert "data centre" in message
    assert "must match the app account's" in message


@pytest.mark.parametrize(
    ("fault", "kind", "expected"),
    [
        (Fault.PLAN_EXPIRED, CloudPlanError, "the Tuya cloud plan has expired"),
        (Fault.QUOTA_USED_UP, CloudPlanError, "the Tuya cloud trial quota is used up"),
        (1013, CloudRequestError, "set this computer's clock right"),
        (2009, CloudRequestError, f"refused GET {STATUS}: error (code 2009)"),
    ],
)
async def test_plan_and_other_refusals(
    cloud: FakeCloud,
    client: CloudClient,
    fault: Fault | int,
    kind: type[CloudError],
    expected: str,
) -> None:
    cloud.inject(fault, path="/status")
    with pytest.raises(kind) as caught:
        await client.status(PLUG_ID)
    assert expected in str(caught.value)
    assert cloud.count("/status") == 1  # not retried


async def test_a_skewed_clock_is_reported(make_client: MakeClient, clock: Clock) -> None:
    skewed = Clock(clock.ms + 3600 * 1000)
    client = make_client(now_ms=skewed)
    with pytest.raises(CloudRequestError, match="request time invalid, code 1013"):
        await client.status(PLUG_ID)


async def test_no_secret_token_or_local_key_in_any_message_or_repr(
    cloud: FakeCloud, client: CloudClient, make_client: MakeClient
) -> None:
    assert (await client.device(PLUG_ID)).local_key == PLUG_KEY
    token = cloud.issued_tokens[-1]
    leak = f"secret {cloud.secret} token {token} key {PLUG_KEY}"
    failures: list[CloudError] = []

    async def collect(fault: Fault | int, **options: object) -> None:
        cloud.inject(fault, path="/status", **options)  # type: ignore[arg-type]
        try:
            await client.status(PLUG_ID)
        except CloudError as exc:
            failures.append(exc)

    await collect(2009, msg=leak)
    await collect(Fault.RAW, body=f'{{"oops": "{leak}"}}'.encode())
    await collect(
        Fault.RAW,
        body=(
            f'{{"success": true, "result": {{"local_key": "{PLUG_KEY}", '
            f'"access_token": "{token}", "secret": "{cloud.secret}"}}}}'
        ).encode(),
    )
    await collect(Fault.RAW, status=403, body=f'<p>{{"localKey":"{PLUG_KEY}</p>'.encode())
    await collect(Fault.HTML)
    cloud.revoke_tokens()  # the client fetches a new token; the old one stays secret
    await client.status(PLUG_ID)
    await collect(2009, msg=leak)
    assert cloud.issued_tokens[-1] != token
    with pytest.raises(CloudAuthError) as bad_secret:
        await make_client(api_secret=cloud.secret + "x").status(PLUG_ID)
    failures.append(bad_secret.value)
    assert len(failures) == 7
    secrets = [cloud.secret, token, PLUG_KEY, cloud.secret + "x"]
    for failure in failures:
        for text in (str(failure), repr(failure), failure.message):
            for secret in secrets:
                assert secret not in text
    assert "***" in str(failures[0])
    for text in (repr(client), str(client)):
        for secret in [*secrets, cloud.client_id]:
            assert secret not in text
    assert "region='eu'" in repr(client)


# -- the call budget --------------------------------------------------------------------


async def test_every_http_request_is_counted(
    cloud: FakeCloud, client: CloudClient, clock: Clock
) -> None:
    cloud.inject(Fault.HTTP_429, path="/status")
    await client.status(PLUG_ID)
    assert client.calls_this_month == 3  # token, 429, status
    assert client.calls_this_month == len(cloud.calls)
    budget = client.call_budget
    assert budget == CallBudget("2026-01", 3, 50_000, 40_000)
    assert (budget.remaining, budget.warning) == (49_997, False)


async def test_the_count_starts_again_each_month(client: CloudClient, clock: Clock) -> None:
    await client.status(PLUG_ID)
    assert client.calls_this_month == 2
    clock.advance(31 * 24 * 3600)
    assert client.call_budget.month == "2026-02"
    assert client.calls_this_month == 0
    await client.status(PLUG_ID)  # the old token expired long ago
    assert client.calls_this_month == 2


async def test_the_budget_hook_warns_at_80_percent_and_at_the_limit(
    cloud: FakeCloud, make_client: MakeClient, clock: Clock
) -> None:
    seen: list[CallBudget] = []
    client = make_client(monthly_call_limit=10, on_budget=seen.append)
    for _ in range(7):
        await client.status(PLUG_ID)  # 1 token + 7 reads = 8 calls
    assert [(b.calls, b.warning) for b in seen] == [(8, True)]
    for _ in range(5):
        await client.status(PLUG_ID)
    assert [(b.calls, b.remaining) for b in seen] == [(8, 2), (10, 0)]
    clock.advance(31 * 24 * 3600)
    for _ in range(7):
        await client.status(PLUG_ID)
    assert [b.month for b in seen] == ["2026-01", "2026-01", "2026-02"]


async def test_a_saved_count_of_this_month_is_restored(make_client: MakeClient) -> None:
    seen: list[CallBudget] = []
    client = make_client(monthly_call_limit=100, on_budget=seen.append)
    client.restore_calls("2025-12", 99)
    assert client.calls_this_month == 0
    client.restore_calls("2026-01", 85)
    assert client.calls_this_month == 85
    await client.status(PLUG_ID)
    assert client.calls_this_month == 87
    assert seen == []  # the 80 % warning was already due before the restart


# -- construction -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"api_key": ""}, "cloud.api_key"),
        ({"api_secret": ""}, "cloud.api_secret"),
        ({"timeout": 0}, "timeout must be positive"),
        ({"max_attempts": 0}, "at least one attempt"),
        ({"monthly_call_limit": 0}, "monthly call limit"),
        ({"warn_ratio": 0}, "warning ratio"),
        ({"warn_ratio": 1.5}, "warning ratio"),
        ({"region": "mars"}, "unknown cloud region 'mars'"),
        ({"endpoint": "http://example.com"}, "uses plain http"),
    ],
)
def test_unusable_settings_are_refused(overrides: dict[str, object], expected: str) -> None:
    options: dict[str, object] = {"api_key": "id", "api_secret": "secret", "region": "eu"}
    options.update(overrides)
    with pytest.raises(CloudConfigError, match=expected):
        CloudClient(**options)  # type: ignore[arg-type]


async def test_the_default_base_url_is_the_regions() -> None:
    async with CloudClient("id", "secret", "eu") as client:
        assert client.base_url == "https://openapi.tuyaeu.com"
        assert client.region == "eu"
        assert client.uid is None
        assert client.calls_this_month == 0


async def test_a_given_http_client_is_used_and_left_open(
    cloud: FakeCloud, clock: Clock, sleeps: Sleeps
) -> None:
    async with httpx.AsyncClient() as http:
        client = CloudClient(
            cloud.client_id,
            cloud.secret,
            "eu",
            endpoint=cloud.base_url,
            now_ms=clock,
            sleep=sleeps,
            http_client=http,
        )
        async with client:
            assert await client.status(PLUG_ID)
        assert not http.is_closed


async def test_concurrent_requests_refused_the_same_token_fetch_one_new_token(
    cloud: FakeCloud, client: CloudClient
) -> None:
    await client.status(PLUG_ID)
    cloud.expire_tokens()
    results = await asyncio.gather(client.status(PLUG_ID), client.status(BULB_ID))
    assert all(results)
    assert len(cloud.issued_tokens) == 2
    assert [call.code for call in cloud.calls].count(1010) == 2


async def test_the_budget_without_a_hook_still_counts(make_client: MakeClient) -> None:
    client = make_client(monthly_call_limit=2)
    await client.status(PLUG_ID)
    await client.status(PLUG_ID)
    budget = client.call_budget
    assert (budget.calls, budget.warning, budget.remaining) == (3, True, 0)
