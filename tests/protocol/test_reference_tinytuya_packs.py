"""What tinytuya packs, we parse to the same seqno, cmd, retcode and JSON.

Client frames come from tinytuya's own `_encode_message`; device frames and beacons from
its `pack_message` and `AESCipher` (see reference.py). 3.4/3.5 sessions negotiate a
session key first, against tinytuya's side, with nonces hypothesis picks.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from setsmart.protocol import (
    AppRequest,
    Beacon,
    Push,
    Reply,
    Request,
    Version,
    decode_datagram,
)
from setsmart.protocol.codec import PayloadCodec
from setsmart.protocol.crypto import AesKey
from setsmart.protocol.frame import Frame, decode_frame

from .reference import (
    PREFIX_55AA,
    PREFIX_6699,
    UDP_KEY,
    TuyaMessage,
    device_beacon,
    device_frame,
    pack_message,
    ready_client,
    ready_device,
    tt_encode,
)
from .strategies import (
    PROFILE,
    Link,
    commands,
    compact,
    ivs,
    json_objects,
    links,
    retcodes,
    seqnos,
    versions,
)

bodies = st.one_of(st.none(), json_objects)
"""None stands for an empty payload (an acknowledgement)."""


def _codec(link: Link, session_key: bytes) -> PayloadCodec:
    """A codec in the state our session's is in after the handshake."""
    codec = PayloadCodec(link.version, AesKey(link.local_key))
    if link.version in ("3.4", "3.5"):
        codec.session_key = AesKey(session_key)
    return codec


@PROFILE
@given(
    link=links,
    seqno=seqnos,
    cmd=commands,
    retcode=retcodes,
    obj=bodies,
    iv=ivs,
)
def test_device_frames_built_by_tinytuya_parse_to_the_same_content(
    *,
    link: Link,
    seqno: int,
    cmd: int,
    retcode: int,
    obj: dict[str, Any] | None,
    iv: bytes,
) -> None:
    client, key = ready_client(link)
    body = b"" if obj is None else compact(obj)
    data = device_frame(link.version, key, seqno, cmd, body, retcode=retcode, iv=iv)

    codec = _codec(link, key)
    result = decode_frame(data, codec.framing, codec.frame_key, retcode=True)
    assert result is not None
    frame, used = result
    assert isinstance(frame, Frame)
    assert used == len(data)
    assert (frame.seqno, frame.cmd, frame.retcode) == (seqno, cmd, retcode)
    assert codec.open(frame).text == body

    if obj is not None and cmd == 8:
        expected: object = Push(seqno, obj)
    else:
        expected = Reply(seqno, cmd, retcode, obj)
    assert client.receive_data(data) == [expected]


@PROFILE
@given(
    link=links,
    seqno=seqnos,
    cmd=commands,
    obj=bodies,
)
def test_client_frames_encoded_by_tinytuya_parse_to_the_same_request(
    *,
    link: Link,
    seqno: int,
    cmd: int,
    obj: dict[str, Any] | None,
) -> None:
    device, tt = ready_device(link)
    body = b"" if obj is None else compact(obj)
    data = tt_encode(tt, seqno, cmd, body)

    codec = _codec(link, tt.local_key)
    result = decode_frame(data, codec.framing, codec.frame_key, retcode=False)
    assert result is not None
    frame, used = result
    assert isinstance(frame, Frame)
    assert used == len(data)
    assert (frame.seqno, frame.cmd, frame.retcode) == (seqno, cmd, None)
    assert codec.open(frame).text == body

    assert device.receive_data(data) == [Request(seqno, cmd, obj)]


beacon_infos = st.fixed_dictionaries(
    {
        "ip": st.ip_addresses(v=4).map(str),
        "gwId": st.text("0123456789abcdefghijklmnopqrstuvwxyz", min_size=20, max_size=22),
        "active": st.integers(0, 2),
        "ablilty": st.integers(0, 1),
        "encrypt": st.booleans(),
        "productKey": st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=16, max_size=16),
    },
    optional={"token": st.booleans(), "wf_cfg": st.booleans(), "clientLink": st.integers(0, 99)},
)


@PROFILE
@given(
    info=beacon_infos,
    version=versions,
    cmd=st.sampled_from([None, 0x23]),
)
def test_beacons_built_by_tinytuya_decode_to_the_same_device(
    *, info: dict[str, Any], version: Version, cmd: int | None
) -> None:
    info = {**info, "version": version}
    beacon = decode_datagram(device_beacon(version, compact(info), cmd))
    assert beacon == Beacon(info["gwId"], info["ip"], version, info["productKey"], info)
    assert beacon.raw == info


@PROFILE
@given(ip=st.ip_addresses(v=4).map(str), seqno=seqnos)
def test_app_requests_built_by_tinytuya_decode_as_app_requests(ip: str, seqno: int) -> None:
    body = json.dumps({"from": "app", "ip": ip}, separators=(",", ":")).encode()
    message = TuyaMessage(seqno, 0x25, None, body, 0, True, PREFIX_6699, True)
    assert decode_datagram(pack_message(message, hmac_key=UDP_KEY)) == AppRequest(ip)


@PROFILE
@given(link=links, seqno=seqnos, cmd=commands, retcode=retcodes)
def test_empty_acknowledgements_are_replies_without_data(
    *, link: Link, seqno: int, cmd: int, retcode: int
) -> None:
    # Devices acknowledge CONTROL with no payload at all (just the retcode), unsealed.
    client, key = ready_client(link)
    if link.version == "3.5":
        message = TuyaMessage(seqno, cmd, retcode, b"", 0, True, PREFIX_6699, True)
        data = pack_message(message, hmac_key=key)
    else:
        message = TuyaMessage(
            seqno, cmd, None, retcode.to_bytes(4, "big"), 0, True, PREFIX_55AA, False
        )
        data = pack_message(message, hmac_key=key if link.version == "3.4" else None)
    assert client.receive_data(data) == [Reply(seqno, cmd, retcode, None)]
