"""Sub-devices behind a gateway: our requests are tinytuya's for a child, byte for byte.

tinytuya 1.20 builds a child's payloads when a `Device` is given `cid` and `parent`; the
gateway's session (seqno, session key) is the parent's. Our ClientSession's child
requests and online query are compared with those; our DeviceSession's child replies
and pushes are read by a tinytuya gateway, which must hand them to the right child.
"""

from __future__ import annotations

import string
from typing import Any

import pytest
import tinytuya
from hypothesis import given
from hypothesis import strategies as st

from setsmart.protocol import (
    DeviceError,
    DpValue,
    Push,
    Reply,
    Request,
    SubdevOnline,
    Version,
)
from setsmart.protocol.messages import extract_subdev_online

from .reference import (
    ready_client,
    ready_device,
    tt_client,
    tt_decode,
    tt_generate,
    tt_open_plain,
    tt_unpack,
)
from .strategies import PROFILE, Link, keys, nonces, seqnos
from .test_reference_we_pack import comparable_dps

GATEWAY_VERSIONS: tuple[Version, ...] = ("3.3", "3.4", "3.5")
gateway_links = st.builds(Link, st.sampled_from(GATEWAY_VERSIONS), keys, nonces, nonces)

# Node ids are hex (Zigbee: 16 digits) or short ids; anything JSON writes the same way
# in both (no space: tinytuya deletes every space of its JSON, no quote or backslash).
cids = st.text(string.ascii_letters + string.digits + "-_.:", min_size=1, max_size=24)
CHILD_ID = "bfchild0123456789abc"


def _tt_gateway(link: Link, session_key: bytes, cids_: list[str]) -> tuple[Any, list[Any]]:
    """A tinytuya gateway with one child per cid, holding the negotiated key."""
    gateway = tt_client(link.version, link.local_key)
    children = [
        tinytuya.Device(f"{CHILD_ID}{n:02d}", cid=cid, parent=gateway)
        for n, cid in enumerate(cids_)
    ]
    gateway.local_key = session_key
    return gateway, children


@PROFILE
@given(
    link=gateway_links,
    t=st.floats(0, 2**31),
    cid=cids,
    control=st.booleans(),
    dps=comparable_dps,
)
def test_child_requests_are_what_tinytuya_sends_for_a_child(
    *, link: Link, t: float, cid: str, control: bool, dps: dict[str, DpValue]
) -> None:
    client, key = ready_client(link, clock=lambda: t)
    out = client.child_control(cid, dps) if control else client.child_query(cid)

    _, (child,) = _tt_gateway(link, key, [cid])
    expected = tt_generate(child, 7 if control else 10, dps if control else None, t)

    message = tt_unpack(out.data, link.version, key, retcode=False)
    assert message.crc_good
    assert (message.seqno, message.cmd) == (out.seqno, out.cmd) == (out.seqno, expected.cmd)
    assert tt_open_plain(link.version, key, out.cmd, message.payload) == expected.payload


@PROFILE
@given(link=gateway_links)
def test_the_online_query_is_tinytuyas_subdev_query(link: Link) -> None:
    client, key = ready_client(link)
    out = client.subdev_online_query()

    gateway, _ = _tt_gateway(link, key, ["a4c1380000000001"])
    expected = gateway.generate_payload(
        tinytuya.LAN_EXT_STREAM, rawData={"cids": []}, reqType="subdev_online_stat_query"
    )
    message = tt_unpack(out.data, link.version, key, retcode=False)
    assert message.crc_good
    assert out.cmd == expected.cmd == 0x40
    assert tt_open_plain(link.version, key, out.cmd, message.payload) == expected.payload


@PROFILE
@given(
    link=gateway_links,
    seqno=seqnos,
    cmd=st.sampled_from([8, 10, 16]),
    chosen=st.data(),
    all_cids=st.lists(cids, min_size=1, max_size=4, unique=True),
    dps=st.dictionaries(st.integers(1, 255).map(str), st.booleans() | st.integers(), max_size=8),
    t=st.integers(0, 2**31),
)
def test_tinytuya_routes_our_child_reports_to_that_child(
    *,
    link: Link,
    seqno: int,
    cmd: int,
    chosen: st.DataObject,
    all_cids: list[str],
    dps: dict[str, DpValue],
    t: int,
) -> None:
    cid = chosen.draw(st.sampled_from(all_cids))
    device, tt = ready_device(link, clock=lambda: t)
    data = device.child_status(seqno, cmd, cid, dps)

    gateway, children = _tt_gateway(link, tt.local_key, all_cids)
    message = tt_unpack(data, link.version, tt.local_key, retcode=True)
    assert message.crc_good
    decoded = tt_decode(gateway, message.payload)
    assert decoded["dps"] == dps
    routed = gateway._process_message(message)
    assert routed["device"] is children[all_cids.index(cid)]

    # and our own client reads the same cid and DPs from it
    client, _ = ready_client(link)
    (event,) = client.receive_data(data)
    assert isinstance(event, Push if cmd == 8 else Reply)
    assert (event.cid, event.dps) == (cid, dps)


@PROFILE
@given(
    link=gateway_links,
    seqno=seqnos,
    online=st.lists(cids, max_size=5, unique=True),
    offline=st.lists(cids, max_size=5, unique=True),
)
def test_online_reports_read_the_same_by_tinytuya_and_us(
    *, link: Link, seqno: int, online: list[str], offline: list[str]
) -> None:
    device, tt = ready_device(link)
    data = device.subdev_online_report(seqno, online, offline)

    message = tt_unpack(data, link.version, tt.local_key, retcode=True)
    assert message.crc_good
    assert message.cmd == 0x40
    assert tt_decode(tt, message.payload) == {
        "reqType": "subdev_online_stat_report",
        "data": {"online": online, "offline": offline},
    }
    client, _ = ready_client(link)
    (event,) = client.receive_data(data)
    assert isinstance(event, Reply)
    assert event.subdev_online == SubdevOnline(frozenset(online), frozenset(offline))
    assert event.cid is None


@pytest.mark.parametrize("version", GATEWAY_VERSIONS)
def test_a_gateway_refusing_a_query_without_cid_is_not_device22(version: Version) -> None:
    link = Link(version, b"0123456789abcdef", b"C" * 16, b"D" * 16)
    device, _ = ready_device(link)
    data = device.error(1, 10, b"json obj data unvalid", encrypted=True)

    client, _ = ready_client(link, device22=False)
    client.gateway = True
    assert client.receive_data(data) == [DeviceError(1, 10, 1, "json obj data unvalid")]
    assert not client.device22
    assert client.query().cmd == tt_generate(tt_client(version, link.local_key), 10, None, 0).cmd


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"reqType": "subdev_online_stat_report", "data": {"online": ["a"]}}, ({"a"}, set())),
        (
            {
                "reqType": "subdev_online_stat_report",
                "data": {"online": "a", "offline": [1, "", "b"]},
            },
            (set(), {"b"}),
        ),
        ({"reqType": "subdev_online_stat_report", "data": []}, None),
        ({"reqType": "other", "data": {"online": ["a"]}}, None),
        ({"dps": {"1": True}}, None),
    ],
)
def test_online_reports_of_odd_shapes(
    data: dict[str, Any], expected: tuple[set[str], set[str]] | None
) -> None:
    report = extract_subdev_online(data)
    if expected is None:
        assert report is None
    else:
        assert report == (frozenset(expected[0]), frozenset(expected[1]))


@pytest.mark.parametrize(
    ("data", "cid"),
    [
        ({"cid": "a", "dps": {}}, "a"),
        ({"data": {"cid": "b", "dps": {}}}, "b"),
        ({"cid": "", "data": {"cid": "c"}}, None),
        ({"cid": 7}, None),
        ({"data": "x"}, None),
        ({"dps": {"1": 1}}, None),
    ],
)
def test_the_cid_of_replies_pushes_and_requests(data: dict[str, Any], cid: str | None) -> None:
    assert Reply(1, 10, 0, data).cid == cid
    assert Push(1, data).cid == cid
    assert Request(1, 10, data).cid == cid
    assert Reply(1, 10, 0, None).cid is None
    assert Reply(1, 10, 0, None).subdev_online is None
    assert Request(1, 10, None).cid is None
