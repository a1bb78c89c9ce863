"""Request bodies and the two shapes of DP replies."""

from __future__ import annotations

from typing import Any

import pytest

from setsmart.protocol import DeviceError, Push, Reply
from setsmart.protocol.messages import (
    control_body,
    dumps,
    extract_dps,
    heartbeat_body,
    query_body,
    status_body,
    update_dps_body,
)


def test_json_is_compact_and_keeps_non_ascii() -> None:
    assert dumps({"a": [1, "é"], "b": None}) == '{"a":[1,"é"],"b":null}'.encode()


def test_request_bodies_by_version() -> None:
    assert query_body("3.3", "d", 5, device22=False, dps_to_query=["1"]) == (
        10,
        b'{"gwId":"d","devId":"d","uid":"d","t":"5"}',
    )
    assert query_body("3.5", "d", 5, device22=False, dps_to_query=["1"]) == (16, b"{}")
    assert query_body("3.4", "d", 5, device22=True, dps_to_query=["1", "20"]) == (
        13,
        b'{"devId":"d","uid":"d","t":"5","dps":{"1":null,"20":null}}',
    )
    assert control_body("3.1", "d", 5, {"1": True}) == (
        7,
        b'{"devId":"d","uid":"d","t":"5","dps":{"1":true}}',
    )
    assert control_body("3.4", "d", 5, {"1": True}) == (
        13,
        b'{"protocol":5,"t":5,"data":{"dps":{"1":true}}}',
    )
    assert heartbeat_body("d") == (9, b'{"gwId":"d","devId":"d"}')
    assert update_dps_body([18, 19, 20]) == (18, b'{"dpId":[18,19,20]}')


def test_status_bodies_take_the_shape_of_their_version() -> None:
    assert status_body("3.3", "d", 5, {"1": True}) == b'{"devId":"d","dps":{"1":true},"t":5}'
    assert status_body("3.5", "d", 5, {"1": True}) == (
        b'{"protocol":4,"t":5,"data":{"dps":{"1":true}}}'
    )


@pytest.mark.parametrize(
    ("data", "dps"),
    [
        ({"devId": "d", "dps": {"1": True, 2: 3}}, {"1": True, "2": 3}),
        ({"protocol": 4, "data": {"dps": {"20": 10}}}, {"20": 10}),
        ({"dps": {}}, {}),
        ({"t": 1}, None),
        ({"data": "not an object"}, None),
        ({"data": {"cid": "x"}}, None),
        ({"dps": ["not", "a", "map"]}, None),
    ],
)
def test_dps_are_read_from_either_reply_shape(data: dict[str, Any], dps: object) -> None:
    assert extract_dps(data) == dps
    assert Reply(1, 10, 0, data).dps == dps
    assert Push(0, data).dps == dps


def test_only_data_unvalid_errors_ask_for_device22() -> None:
    assert DeviceError(1, 10, 1, "json obj data unvalid").data_unvalid
    assert not DeviceError(1, 10, 1, "data format error").data_unvalid
