"""The 3.4/3.5 session-key negotiation against tinytuya, in both roles.

Our ClientSession negotiates with a device side built from tinytuya's functions, and
tinytuya's client steps (1, 3, finalize) negotiate with our DeviceSession. Both must end
with the same session key, and the frames that follow must interoperate. Last, tinytuya's
whole client (`_negotiate_session_key`, `status`, `set_status`) talks to our DeviceSession.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given

from setsmart.protocol import (
    VERSIONS,
    ClientSession,
    DeviceSession,
    DpValue,
    HandshakeComplete,
    Reply,
    Request,
    Version,
)

from .reference import (
    LoopbackSocket,
    Responder,
    TinytuyaDeviceHandshake,
    device_frame,
    ready_client,
    ready_device,
    tt_client,
    tt_decode,
    tt_encode,
    tt_unpack,
)
from .strategies import (
    DEVICE_ID,
    PROFILE,
    Link,
    compact,
    dps,
    json_objects,
    new_links,
    seqnos,
    tinytuya_view,
)


@PROFILE
@given(link=new_links)
def test_our_client_sends_the_handshake_frames_tinytuya_sends(link: Link) -> None:
    version, local_key = link.version, link.local_key
    ours = ClientSession(DEVICE_ID, local_key, version, nonce=lambda n: link.client_nonce[:n])
    assert ours.start() == []
    start = ours.data_to_send()
    device = TinytuyaDeviceHandshake(version, local_key, link.device_nonce)
    resp = device.respond(start)
    assert ours.receive_data(resp) == [HandshakeComplete()]
    finish = ours.data_to_send()
    device.finish(finish)

    tt = tt_client(version, local_key)
    tt._negotiate_session_key_generate_step_1()
    tt.local_nonce = link.client_nonce  # step 1 draws it from os.urandom
    theirs_start = tt_encode(tt, 1, 3, link.client_nonce)
    step3 = tt._negotiate_session_key_generate_step_3(
        tt_unpack(resp, version, local_key, retcode=True)
    )
    theirs_finish = tt_encode(tt, 2, step3.cmd, step3.payload)
    tt._negotiate_session_key_generate_finalize()

    if version == "3.4":  # ECB and HMAC are deterministic: the very same bytes
        assert (start, finish) == (theirs_start, theirs_finish)
    else:  # a random IV per frame: the same seqno, command and plaintext
        for mine, theirs in ((start, theirs_start), (finish, theirs_finish)):
            a = tt_unpack(mine, version, local_key, retcode=False)
            b = tt_unpack(theirs, version, local_key, retcode=False)
            assert a.crc_good
            assert (a.seqno, a.cmd, a.payload) == (b.seqno, b.cmd, b.payload)
    assert ours.codec.key.raw == device.session_key == tt.local_key


@PROFILE
@given(link=new_links, seqno=seqnos, obj=json_objects, new_dps=dps)
def test_our_client_and_a_tinytuya_device_side_share_the_session_key(
    *, link: Link, seqno: int, obj: dict[str, Any], new_dps: dict[str, DpValue]
) -> None:
    client, session_key = ready_client(link)
    assert client.codec.key.raw == session_key != link.local_key

    data = device_frame(link.version, session_key, seqno, 10, compact(obj))
    assert client.receive_data(data) == [Reply(seqno, 10, 0, obj)]

    out = client.control(new_dps)
    message = tt_unpack(out.data, link.version, session_key, retcode=False)
    assert message.crc_good
    reader = tt_client(link.version, link.local_key)
    reader.local_key = session_key
    assert tt_decode(reader, message.payload)["data"] == {"dps": new_dps}


@PROFILE
@given(link=new_links, seqno=seqnos, obj=json_objects)
def test_tinytuya_client_steps_and_our_device_share_the_session_key(
    *, link: Link, seqno: int, obj: dict[str, Any]
) -> None:
    device, tt = ready_device(link)  # runs tinytuya's steps 1, 3 and finalize
    assert device.codec.key.raw == tt.local_key != tt.real_local_key

    request = tt.generate_payload(13, {"1": True})
    data = tt_encode(tt, seqno, request.cmd, request.payload)
    assert device.receive_data(data) == [Request(seqno, 13, json.loads(request.payload))]
    reply = device.reply(device.reply_seqno(seqno), 13, obj)
    message = tt_unpack(reply, link.version, tt.local_key, retcode=True)
    assert message.crc_good
    assert tt_decode(tt, message.payload) == tinytuya_view(obj)


def _plug(device: DeviceSession, state: dict[str, DpValue]) -> Responder:
    """A plug: answers queries with its DPs, CONTROL with an empty ack then a push."""

    def respond(request: Request) -> bytes:
        seqno = device.reply_seqno(request.seqno)
        changed = request.dps or {}
        if request.cmd in (10, 16) or not any(v is not None for v in changed.values()):
            return device.status(seqno, request.cmd, state)
        state.update(changed)
        push = device.status(device.next_seqno(), 8, changed)
        return device.reply(seqno, request.cmd, None) + push

    return respond


@pytest.mark.parametrize("version", VERSIONS)
def test_tinytuya_itself_drives_our_device_end_to_end(version: Version) -> None:
    key = b"ab;cd'ef\"gh>ijk!"
    device = DeviceSession(DEVICE_ID, key, version)
    state: dict[str, DpValue] = {"1": False, "2": 0}
    tt = tt_client(version, key)
    tt.socket = LoopbackSocket(device, _plug(device, state))
    tt.socketPersistent, tt.sendWait = True, None
    if version in ("3.4", "3.5"):
        assert tt._negotiate_session_key()
        assert device.codec.key.raw == tt.local_key

    assert tt.status()["dps"] == {"1": False, "2": 0}
    assert tt.set_status(True, 1)["dps"] == {"1": True}
    assert state == {"1": True, "2": 0}
    assert tt.status()["dps"] == {"1": True, "2": 0}
