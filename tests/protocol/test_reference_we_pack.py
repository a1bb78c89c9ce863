"""What we pack, tinytuya parses to the same content.

Requests of our ClientSession are read with tinytuya's `unpack_message` and
`_decode_payload`, and compared byte for byte with what tinytuya's own `generate_payload`
and `_encode_message` send for the same request. Replies, pushes and errors of our
DeviceSession are read the way tinytuya's `_receive` reads them; our beacons with its
`decrypt_udp`.
"""

from __future__ import annotations

import json
import string
from typing import Any, Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from setsmart.protocol import (
    ClientSession,
    DeviceError,
    DpValue,
    Outgoing,
    Version,
    encode_beacon,
    encode_devinfo_request,
)

from .reference import (
    decrypt_udp,
    parse_header,
    ready_client,
    ready_device,
    tt_client,
    tt_decode,
    tt_encode,
    tt_generate,
    tt_open_plain,
    tt_unpack,
)
from .strategies import (
    PROFILE,
    Link,
    commands,
    json_objects,
    links,
    retcodes,
    seqnos,
    tinytuya_view,
    versions,
)

# tinytuya's generate_payload deletes every space of the JSON it builds, inside string
# values too, and escapes non-ASCII (json.dumps' default); we keep both as they are. Where
# request bytes are compared with tinytuya's, DP strings are therefore printable ASCII
# without spaces.
_no_space_ascii = st.text(string.ascii_letters + string.digits + string.punctuation, max_size=16)
_comparable_values: st.SearchStrategy[DpValue] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**31), 2**31),
    st.floats(allow_nan=False, allow_infinity=False),
    _no_space_ascii,
)
comparable_dps = st.dictionaries(st.integers(1, 255).map(str), _comparable_values, max_size=8)

RequestKind = Literal["query", "control", "heartbeat", "update_dps"]
_TT_COMMAND = {"query": 10, "control": 7, "heartbeat": 9, "update_dps": 18}


def _send(client: ClientSession, kind: RequestKind, dps: dict[str, DpValue]) -> Outgoing:
    if kind == "query":
        return client.query()
    if kind == "control":
        return client.control(dps)
    if kind == "heartbeat":
        return client.heartbeat()
    return client.update_dps(int(k) for k in dps)


@PROFILE
@given(
    link=links,
    t=st.floats(0, 2**31),
    device22=st.booleans(),
    kind=st.sampled_from(list(_TT_COMMAND)),
    dps=comparable_dps,
)
def test_requests_are_what_tinytuya_sends_for_the_same_call(
    *,
    link: Link,
    t: float,
    device22: bool,
    kind: RequestKind,
    dps: dict[str, DpValue],
) -> None:
    client, key = ready_client(link, clock=lambda: t, device22=device22)
    client.dps_to_query = tuple(dps) or ("1",)
    out = _send(client, kind, dps)

    version = link.version
    tt = tt_client(version, link.local_key)
    tt.local_key = key  # the session key for 3.4/3.5, as tinytuya's finalize step sets it
    tt.dev_type = "device22" if device22 else "default"
    tt.dps_to_request = dict.fromkeys(client.dps_to_query)
    data: object = None
    if kind == "control":
        data = dps
    elif kind == "update_dps":
        data = [int(k) for k in dps]
    expected = tt_generate(tt, _TT_COMMAND[kind], data, t)

    message = tt_unpack(out.data, version, key, retcode=False)
    assert message.crc_good
    assert (message.seqno, message.cmd) == (out.seqno, out.cmd) == (out.seqno, expected.cmd)
    assert tt_open_plain(version, key, out.cmd, message.payload) == expected.payload
    # A device22 tinytuya cuts 15 bytes off any plaintext that is not whole AES blocks
    # (meant for 3.3 replies): read our request with a default one.
    reader = tt_client(version, link.local_key)
    reader.local_key, reader.dev_type = key, "default"
    assert tt_decode(reader, message.payload) == tinytuya_view(json.loads(expected.payload))
    theirs = tt_encode(tt, out.seqno, expected.cmd, expected.payload)
    if version == "3.5":  # a fresh random IV per frame: compare what the frames carry
        their_message = tt_unpack(theirs, version, key, retcode=False)
        assert their_message.crc_good
        assert (their_message.seqno, their_message.cmd) == (message.seqno, message.cmd)
        assert their_message.payload == message.payload
    else:
        assert out.data == theirs


@PROFILE
@given(
    link=links,
    seqno=seqnos,
    cmd=commands,
    retcode=retcodes,
    obj=st.one_of(st.none(), json_objects),
)
def test_replies_read_by_tinytuya_carry_the_same_content(
    *,
    link: Link,
    seqno: int,
    cmd: int,
    retcode: int,
    obj: dict[str, Any] | None,
) -> None:
    device, tt = ready_device(link)
    data = device.reply(seqno, cmd, obj, retcode)

    message = tt_unpack(data, link.version, tt.local_key, retcode=True)
    assert message.crc_good
    assert (message.seqno, message.cmd, message.retcode) == (seqno, cmd, retcode)
    if obj is None:  # an acknowledgement: tinytuya's _send_receive waits on past it
        assert message.payload == b""
    else:
        assert tt_decode(tt, message.payload) == tinytuya_view(obj)


@PROFILE
@given(
    link=links,
    seqno=seqnos,
    cmd=st.sampled_from([8, 10, 16]),
    dps=st.dictionaries(st.integers(1, 255).map(str), st.booleans() | st.integers(), max_size=8),
    t=st.integers(0, 2**31),
)
def test_status_replies_and_pushes_give_tinytuya_the_same_dps(
    *,
    link: Link,
    seqno: int,
    cmd: int,
    dps: dict[str, DpValue],
    t: int,
) -> None:
    device, tt = ready_device(link, clock=lambda: t)
    data = device.status(seqno, cmd, dps)
    message = tt_unpack(data, link.version, tt.local_key, retcode=True)
    assert message.crc_good
    assert (message.seqno, message.cmd, message.retcode) == (seqno, cmd, 0)
    decoded = tt_decode(tt, message.payload)
    assert decoded["dps"] == dps
    assert decoded["t"] == t


error_texts = st.one_of(
    st.sampled_from([b"json obj data unvalid", b"data format error"]),
    st.text(string.ascii_letters + " ", min_size=1, max_size=64).map(str.encode),
)


@PROFILE
@given(
    link=links,
    seqno=seqnos,
    cmd=commands,
    retcode=st.integers(1, 0xFFFFFFFF),  # retcode 0 with a text: see test_client_session
    text=error_texts,
    encrypted=st.booleans(),
)
def test_device_errors_read_by_tinytuya_carry_the_same_text(
    *,
    link: Link,
    seqno: int,
    cmd: int,
    retcode: int,
    text: bytes,
    encrypted: bool,
) -> None:
    device, tt = ready_device(link)
    data = device.error(seqno, cmd, text, retcode=retcode, encrypted=encrypted)

    message = tt_unpack(data, link.version, tt.local_key, retcode=True)
    assert message.crc_good
    assert (message.seqno, message.cmd, message.retcode) == (seqno, cmd, retcode)
    if encrypted or link.version == "3.5":  # 3.5 has no clear payloads: the frame seals them
        assert tt_open_plain(link.version, tt.local_key, cmd, message.payload) == text
    else:
        assert message.payload == text

    # and our own client makes the same of it
    client, _ = ready_client(link)
    assert client.receive_data(data) == [DeviceError(seqno, cmd, retcode, text.decode())]


@pytest.mark.parametrize("version", ["3.3", "3.4"])
def test_tinytuya_and_we_both_switch_to_device22_on_data_unvalid(version: Version) -> None:
    link = Link(version, b"0123456789abcdef", b"C" * 16, b"D" * 16)
    device, tt = ready_device(link)
    data = device.error(1, 10, b"json obj data unvalid", encrypted=True)
    assert tt_decode(tt, tt_unpack(data, version, tt.local_key, retcode=True).payload) is None
    assert tt.dev_type == "device22"

    client, _ = ready_client(link, device22=False)
    client.receive_data(data)
    assert client.device22
    assert client.query().cmd == tt_generate(tt, 10, None, 0).cmd == 13


@PROFILE
@given(
    link=links,
    seqno=seqnos,
    cmd=commands,
    payload=st.binary(max_size=64),
    retcode=st.one_of(st.none(), retcodes),
)
def test_raw_frames_reach_tinytuya_untouched(
    *,
    link: Link,
    seqno: int,
    cmd: int,
    payload: bytes,
    retcode: int | None,
) -> None:
    device, tt = ready_device(link)
    data = device.raw(seqno, cmd, payload, retcode)
    message = tt_unpack(data, link.version, tt.local_key, retcode=retcode is not None)
    assert message.crc_good
    assert (message.seqno, message.cmd, message.payload) == (seqno, cmd, payload)
    assert message.retcode == (retcode or 0)


beacon_infos = st.fixed_dictionaries(
    {
        "ip": st.ip_addresses(v=4).map(str),
        "gwId": st.text(string.ascii_lowercase + string.digits, min_size=20, max_size=22),
        "active": st.integers(0, 2),
        "encrypt": st.booleans(),
        "productKey": st.text(string.ascii_lowercase + string.digits, min_size=16, max_size=16),
    },
    optional={"token": st.booleans(), "uuid": st.text(string.hexdigits, max_size=16)},
)


@PROFILE
@given(info=beacon_infos, version=versions)
def test_our_beacons_decrypt_with_tinytuya(*, info: dict[str, Any], version: Version) -> None:
    info = {**info, "version": version}
    data = encode_beacon(info, version)
    assert json.loads(decrypt_udp(data)) == info
    assert parse_header(data).cmd == (0 if version == "3.1" else 0x13)


@PROFILE
@given(ip=st.ip_addresses(v=4).map(str), seqno=seqnos)
def test_our_devinfo_requests_decrypt_with_tinytuya(*, ip: str, seqno: int) -> None:
    data = encode_devinfo_request(ip, seqno=seqno)
    assert json.loads(decrypt_udp(data)) == {"from": "app", "ip": ip}
    header = parse_header(data)
    assert (header.seqno, header.cmd) == (seqno, 0x25)
    assert b'"from"' not in data  # sealed by GCM, never in clear
