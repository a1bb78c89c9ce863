"""Parsing OpenAPI results into checked models."""

from __future__ import annotations

from typing import Any

import pytest

from setsmart.cloud.errors import CloudProtocolError
from setsmart.cloud.models import (
    CallBudget,
    DpCodeMap,
    DpSpec,
    Specification,
    parse_commands_result,
    parse_device,
    parse_devices,
    parse_specification,
    parse_status,
    parse_token,
    parse_upgrade_infos,
)


def test_token() -> None:
    token = parse_token(
        {"access_token": "at", "refresh_token": "rt", "expire_time": 7200, "uid": "u"}
    )
    assert (token.access_token, token.refresh_token, token.expire_time_s, token.uid) == (
        "at",
        "rt",
        7200,
        "u",
    )
    assert "at" not in repr(token).replace("expire_time", "")
    minimal = parse_token({"access_token": "at", "expire_time": 1})
    assert (minimal.refresh_token, minimal.uid) == ("", "")


@pytest.mark.parametrize(
    ("result", "problem"),
    [
        ([], "the token result is not an object"),
        ({"access_token": "at"}, "the token result has no int 'expire_time'"),
        ({"access_token": "at", "expire_time": True}, "has no int 'expire_time'"),
        ({"access_token": "at", "expire_time": "7200"}, "has no int 'expire_time'"),
        ({"access_token": "at", "expire_time": 0}, "a non-positive 'expire_time'"),
        ({"expire_time": 10}, "the token result has no str 'access_token'"),
        ({"access_token": "", "expire_time": 10}, "an empty 'access_token'"),
        ({"access_token": "a", "expire_time": 10, "uid": 5}, "has no str 'uid'"),
    ],
)
def test_bad_token(result: object, problem: str) -> None:
    with pytest.raises(CloudProtocolError) as caught:
        parse_token(result)
    assert str(caught.value).startswith("unexpected reply from the Tuya cloud: the token result")
    assert problem in str(caught.value)


def test_status() -> None:
    assert parse_status([{"code": "switch_1", "value": True, "extra": 1}]) == [
        {"code": "switch_1", "value": True}
    ]
    assert parse_status([]) == []


@pytest.mark.parametrize(
    ("result", "problem"),
    [
        ({}, "the status result is not a list"),
        (["x"], "status item 0 is not an object"),
        ([{"code": "a", "value": 1}, {"code": "b"}], "status item 1 has no 'value'"),
        ([{"value": 1}], "status item 0 has no str 'code'"),
    ],
)
def test_bad_status(result: object, problem: str) -> None:
    with pytest.raises(CloudProtocolError, match=problem):
        parse_status(result)


def test_commands_result() -> None:
    assert parse_commands_result(True) is True
    assert parse_commands_result(False) is False
    with pytest.raises(CloudProtocolError, match="not true or false"):
        parse_commands_result(1)


SPEC: dict[str, Any] = {
    "category": "cz",
    "functions": [
        {"code": "switch_1", "dp_id": 1, "type": "Boolean", "values": "{}"},
        {"code": "countdown_1", "dp_id": 9, "type": "Integer", "values": '{"min":0,"max":86400}'},
    ],
    "status": [
        {"code": "switch_1", "dp_id": 1, "type": "Boolean", "values": ""},
        {"code": "cur_power", "dp_id": 19, "type": "Integer", "values": {"scale": 1}},
        {"code": "relay_status", "dp_id": 38},
    ],
}


def test_specification() -> None:
    spec = parse_specification(SPEC)
    assert spec.category == "cz"
    assert spec.functions[1] == DpSpec("countdown_1", 9, "Integer", {"min": 0, "max": 86400})
    assert spec.status[0].values == {}
    assert spec.status[1].values == {"scale": 1}
    assert spec.status[2] == DpSpec("relay_status", 38, "", {})
    empty = parse_specification({"functions": None})
    assert empty == Specification("", (), ())


@pytest.mark.parametrize(
    ("result", "problem"),
    [
        ([], "the specification result is not an object"),
        ({"functions": {}}, "the specification's 'functions' is not a list"),
        ({"status": [1]}, "status item 0 is not an object"),
        ({"status": [{"code": "a", "dp_id": "1"}]}, "status item 0 has no int 'dp_id'"),
        ({"status": [{"code": "a", "dp_id": 1, "values": "{"}]}, "'values' that are not JSON"),
        ({"status": [{"code": "a", "dp_id": 1, "values": "[1]"}]}, "the 'values' of status"),
    ],
)
def test_bad_specification(result: object, problem: str) -> None:
    with pytest.raises(CloudProtocolError, match=problem):
        parse_specification(result)


def test_dp_code_map_from_a_specification() -> None:
    codes = DpCodeMap.from_specification(parse_specification(SPEC))
    assert codes.code_by_id == {
        1: "switch_1",
        9: "countdown_1",
        19: "cur_power",
        38: "relay_status",
    }
    assert codes.id_by_code == {
        "switch_1": 1,
        "countdown_1": 9,
        "cur_power": 19,
        "relay_status": 38,
    }


def test_dp_code_map_keeps_the_first_code_for_an_id() -> None:
    spec = Specification(
        "dj", (DpSpec("bright_value", 3, "Integer", {}),), (DpSpec("bright", 3, "Integer", {}),)
    )
    codes = DpCodeMap.from_specification(spec)
    assert codes.code_by_id == {3: "bright_value"}
    assert codes.id_by_code == {"bright_value": 3, "bright": 3}


DEVICE = {
    "id": "bf01",
    "name": "Lamp",
    "local_key": "0123456789abcdef",
    "uid": "az01",
    "ip": "203.0.113.5",
    "category": "dj",
    "product_id": "p1",
    "product_name": "Bulb",
    "online": True,
    "sub": False,
}


def test_device_and_device_list() -> None:
    device = parse_device(DEVICE)
    assert (device.id, device.name, device.local_key, device.online) == (
        "bf01",
        "Lamp",
        "0123456789abcdef",
        True,
    )
    assert "0123456789abcdef" not in repr(device)
    sparse = parse_device({"id": "bf02", "name": None})
    assert (sparse.name, sparse.local_key, sparse.online, sparse.ip) == ("", "", False, "")
    assert [d.id for d in parse_devices([DEVICE, {"id": "bf02"}])] == ["bf01", "bf02"]


@pytest.mark.parametrize(
    ("result", "problem"),
    [
        ({"name": "x"}, "the device result has no str 'id'"),
        ({"id": "a", "online": "yes"}, "has no bool 'online'"),
        ({"id": "a", "local_key": 1234}, "has no str 'local_key'"),
        ({"id": "a", "sub": 1}, "has no bool 'sub'"),
        ({"id": "a", "sub": True, "node_id": 42}, "has no str 'node_id'"),
    ],
)
def test_bad_device(result: object, problem: str) -> None:
    with pytest.raises(CloudProtocolError, match=problem):
        parse_device(result)


def test_bad_device_list() -> None:
    with pytest.raises(CloudProtocolError, match="the device list is not a list"):
        parse_devices({"devices": []})
    with pytest.raises(CloudProtocolError, match="device 1 of the list has no str 'id'"):
        parse_devices([DEVICE, {}])


def test_bad_values_are_never_quoted() -> None:
    with pytest.raises(CloudProtocolError) as caught:
        parse_device({"id": "a", "local_key": ["0123456789abcdef"]})
    assert "0123456789abcdef" not in str(caught.value)


def test_upgrade_infos() -> None:
    infos = parse_upgrade_infos(
        [
            {
                "module_type": 0,
                "upgrade_status": 1,
                "current_version": "1.0",
                "upgrade_version": "1.1",
            },
            {"module_type": 9, "upgrade_status": 2, "module_desc": "MCU"},
            {"module_type": 1, "upgrade_status": 0},
        ]
    )
    assert [(i.module_type, i.available, i.upgrading) for i in infos] == [
        (0, True, False),
        (9, False, True),
        (1, False, False),
    ]
    assert (infos[0].current_version, infos[0].upgrade_version) == ("1.0", "1.1")
    assert infos[1].module_desc == "MCU"


@pytest.mark.parametrize(
    ("result", "problem"),
    [
        ({}, "the upgrade information is not a list"),
        ([None], "upgrade module 0 is not an object"),
        ([{"upgrade_status": 0}], "upgrade module 0 has no int 'module_type'"),
        ([{"module_type": 0}], "has no int 'upgrade_status'"),
    ],
)
def test_bad_upgrade_infos(result: object, problem: str) -> None:
    with pytest.raises(CloudProtocolError, match=problem):
        parse_upgrade_infos(result)


def test_call_budget() -> None:
    budget = CallBudget("2026-03", 45_000, 50_000, 40_000)
    assert (budget.remaining, budget.warning) == (5_000, True)
    over = CallBudget("2026-03", 50_010, 50_000, 40_000)
    assert over.remaining == 0
    assert not CallBudget("2026-03", 39_999, 50_000, 40_000).warning
