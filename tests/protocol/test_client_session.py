"""ClientSession: every row of its state table (top of session.py), with a DeviceSession peer."""

from __future__ import annotations

import hmac
from hashlib import sha256

import pytest

from setsmart.protocol import (
    VERSIONS,
    ChecksumError,
    ClientSession,
    DeviceError,
    Event,
    Fault,
    FrameError,
    HandshakeComplete,
    HandshakeError,
    NotReadyError,
    PayloadError,
    Push,
    Reply,
    Request,
    SessionState,
    Version,
    VersionMismatchError,
    WrongKeyError,
)
from setsmart.protocol.codec import PayloadCodec, framing_for
from setsmart.protocol.crypto import AesKey
from setsmart.protocol.frame import Frame, Framing, decode_frame, encode_frame
from tests.protocol.test_perf_crypto import _made

from .pairing import CLIENT_NONCE, DEVICE_NONCE, KEY, NOW, client, connected, device
from .strategies import DEVICE_ID

OLD: list[Version] = ["3.1", "3.2", "3.3"]
NEW: list[Version] = ["3.4", "3.5"]
OTHER_KEY = b"re-paired-key!!!"
WRONG_KEY_HINT = "probable wrong local key"


def _fault(events: list[Event]) -> Fault:
    [event] = events
    assert isinstance(event, Fault)
    return event


def _sent(data: bytes, version: Version, key: bytes = KEY) -> Frame:
    """A frame the client sent, read under `key`, its 3.4 payload decrypted."""
    result = decode_frame(data, framing_for(version), AesKey(key), retcode=False)
    assert result is not None
    frame, used = result
    assert isinstance(frame, Frame)
    assert used == len(data)
    if version == "3.4":
        return Frame(frame.seqno, frame.cmd, AesKey(key).ecb_decrypt(frame.payload))
    return frame


def _from_device(version: Version, cmd: int, body: bytes, key: bytes = KEY) -> bytes:
    """A frame sealed as a device holding `key` seals it before any session key."""
    codec = PayloadCodec(version, AesKey(key))
    frame = Frame(1, cmd, codec.seal(cmd, body), 0)
    return encode_frame(frame, codec.framing, codec.frame_key)


def _negotiating(version: Version) -> ClientSession:
    session = client(version)
    session.start()
    session.data_to_send()
    return session


def _proof(nonce: bytes, key: bytes = KEY) -> bytes:
    return hmac.new(key, nonce, sha256).digest()


# --- IDLE -----------------------------------------------------------------------------


@pytest.mark.parametrize("version", OLD)
def test_start_on_3_1_to_3_3_is_ready_at_once(version: Version) -> None:
    assert client(version).state is SessionState.IDLE
    session = client(version)
    assert session.start() == [HandshakeComplete()]
    assert session.state is SessionState.READY
    assert session.data_to_send() == b""


@pytest.mark.parametrize("version", NEW)
def test_start_on_3_4_and_3_5_sends_start_with_the_client_nonce(version: Version) -> None:
    session = client(version)
    assert session.start() == []
    assert session.state is SessionState.NEGOTIATING
    assert _sent(session.data_to_send(), version) == Frame(1, 3, CLIENT_NONCE)
    assert session.data_to_send() == b""  # handed out once


# --- NEGOTIATING ----------------------------------------------------------------------


@pytest.mark.parametrize("version", NEW)
def test_a_verified_answer_completes_the_handshake_and_sends_finish(version: Version) -> None:
    ours, peer = client(version), device(version)
    ours.start()
    peer.receive_data(ours.data_to_send())
    assert ours.receive_data(peer.data_to_send()) == [HandshakeComplete()]
    assert ours.state is SessionState.READY
    finish = ours.data_to_send()
    assert _sent(finish, version) == Frame(2, 5, _proof(DEVICE_NONCE))  # under the local key
    assert peer.receive_data(finish) == [HandshakeComplete()]
    assert ours.codec.key.raw == peer.codec.key.raw != KEY
    # The local key's OpenSSL state is let go: the session key does the rest.
    assert _made(ours.codec.local_key) == set()


@pytest.mark.parametrize("version", NEW)
def test_an_answer_sealed_with_another_key_is_a_fatal_wrong_key(version: Version) -> None:
    session = _negotiating(version)
    answer = _from_device(version, 4, DEVICE_NONCE + _proof(CLIENT_NONCE, OTHER_KEY), OTHER_KEY)
    fault = _fault(session.receive_data(answer))
    assert fault.fatal
    assert isinstance(fault.error, WrongKeyError)
    assert str(fault.error) == (
        "handshake reply failed its check: probable wrong local key (re-paired device?)"
    )
    assert session.state is SessionState.FAILED


@pytest.mark.parametrize("version", NEW)
def test_an_answer_proving_another_nonce_is_a_fatal_wrong_key(version: Version) -> None:
    session = _negotiating(version)
    answer = _from_device(version, 4, DEVICE_NONCE + _proof(b"some other nonce"))
    fault = _fault(session.receive_data(answer))
    assert fault.fatal
    assert isinstance(fault.error, WrongKeyError)
    assert "handshake proof does not match" in str(fault.error)
    assert WRONG_KEY_HINT in str(fault.error)
    assert session.state is SessionState.FAILED


@pytest.mark.parametrize("version", NEW)
def test_another_command_during_negotiation_is_a_fatal_handshake_error(version: Version) -> None:
    session = _negotiating(version)
    fault = _fault(session.receive_data(_from_device(version, 8, b'{"dps":{"1":true}}')))
    assert fault.fatal
    assert isinstance(fault.error, HandshakeError)
    assert str(fault.error) == "expected the handshake reply (cmd 4), got cmd 8"
    assert session.state is SessionState.FAILED


@pytest.mark.parametrize("version", NEW)
def test_a_short_answer_is_a_fatal_handshake_error(version: Version) -> None:
    session = _negotiating(version)
    fault = _fault(session.receive_data(_from_device(version, 4, DEVICE_NONCE)))
    assert fault.fatal
    assert isinstance(fault.error, HandshakeError)
    assert "too short (16 bytes)" in str(fault.error)


def test_a_3_4_answer_that_does_not_decrypt_is_a_fatal_wrong_key() -> None:
    session = _negotiating("3.4")
    junk = bytes(range(200, 248))  # whole blocks, not printable, no valid padding
    answer = encode_frame(Frame(1, 4, junk, 0), Framing.HMAC, AesKey(KEY))
    fault = _fault(session.receive_data(answer))
    assert fault.fatal
    assert isinstance(fault.error, WrongKeyError)
    assert "does not decrypt" in str(fault.error)


@pytest.mark.parametrize(
    ("version", "framing"),
    [("3.4", Framing.CRC), ("3.4", Framing.GCM), ("3.5", Framing.CRC), ("3.5", Framing.HMAC)],
)
def test_an_answer_in_another_framing_is_a_fatal_version_mismatch(
    version: Version, framing: Framing
) -> None:
    session = _negotiating(version)
    answer = encode_frame(Frame(1, 4, bytes(48), 1), framing, AesKey(KEY))
    fault = _fault(session.receive_data(answer))
    assert fault.fatal
    assert isinstance(fault.error, VersionMismatchError)
    assert session.state is SessionState.FAILED


@pytest.mark.parametrize("version", NEW)
def test_garbage_during_negotiation_is_fatal(version: Version) -> None:
    session = _negotiating(version)
    fault = _fault(session.receive_data(b"\x01" * 10))
    assert fault.fatal
    assert isinstance(fault.error, FrameError)


@pytest.mark.parametrize("version", NEW)
def test_a_silent_device_leaves_the_client_waiting_without_resending(version: Version) -> None:
    # Timeouts belong to the I/O layer: the session just stays where it is.
    session = _negotiating(version)
    assert session.receive_data(b"") == []
    assert session.state is SessionState.NEGOTIATING
    assert session.data_to_send() == b""
    with pytest.raises(NotReadyError, match="cannot send DP_QUERY_NEW: session is negotiating"):
        session.query()


# --- FAILED ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", NEW)
def test_a_failed_session_ignores_everything(version: Version) -> None:
    session, peer = client(version), device(version)
    session.start()
    peer.receive_data(session.data_to_send())
    session.receive_data(b"\x01" * 10)  # garbage: the negotiation fails
    assert session.state is SessionState.FAILED
    assert session.receive_data(peer.data_to_send()) == []  # the right answer, too late
    assert session.state is SessionState.FAILED
    assert session.data_to_send() == b""
    with pytest.raises(NotReadyError, match="session is failed"):
        session.heartbeat()


def test_events_after_a_fatal_fault_in_the_same_read_are_dropped() -> None:
    session = _negotiating("3.4")
    good = _from_device("3.4", 8, b"{}")  # wrong command: fatal; the rest is not read
    assert len(session.receive_data(good + good)) == 1


# --- READY ----------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_replies_pushes_and_acks_become_events(version: Version) -> None:
    ours, peer = connected(version)
    assert ours.receive_data(peer.reply(5, 10, {"dps": {"1": True}})) == [
        Reply(5, 10, 0, {"dps": {"1": True}})
    ]
    [push] = ours.receive_data(peer.status(0, 8, {"1": False, "20": 123}))
    assert isinstance(push, Push)
    assert (push.seqno, push.dps) == (0, {"1": False, "20": 123})
    [reply] = ours.receive_data(peer.status(6, 16, {"1": True}))
    assert isinstance(reply, Reply)
    assert reply.dps == {"1": True}
    assert ours.receive_data(peer.reply(7, 7, None)) == [Reply(7, 7, 0, None)]
    assert Reply(7, 7, 0, None).dps is None
    assert ours.state is SessionState.READY


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("encrypted", [False, True])
def test_device_errors_become_device_error_events(version: Version, encrypted: bool) -> None:
    ours, peer = connected(version)
    data = peer.error(9, 13, b"data format error\x00\x00", retcode=2, encrypted=encrypted)
    assert ours.receive_data(data) == [DeviceError(9, 13, 2, "data format error")]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("encrypted", [False, True])
def test_data_unvalid_switches_the_query_to_device22(version: Version, encrypted: bool) -> None:
    ours, peer = connected(version, device22=False)
    assert ours.query().cmd == (16 if version in NEW else 10)
    [error] = ours.receive_data(peer.error(3, 10, b"json obj data unvalid", encrypted=encrypted))
    assert isinstance(error, DeviceError)
    assert error.data_unvalid
    assert ours.device22
    ours.dps_to_query = ("1", "20")
    query = ours.query()
    [request] = peer.receive_data(query.data)
    assert request == Request(
        query.seqno,
        13,
        {"devId": DEVICE_ID, "uid": DEVICE_ID, "t": str(int(NOW)), "dps": {"1": None, "20": None}},
    )


def test_3_2_queries_the_device22_way_unless_told_otherwise() -> None:
    assert client("3.2").device22
    assert not client("3.2", device22=False).device22
    assert not client("3.3").device22


@pytest.mark.parametrize("version", VERSIONS)
def test_a_corrupted_frame_is_a_fault_and_the_session_goes_on(version: Version) -> None:
    ours, peer = connected(version)
    bad = bytearray(peer.reply(5, 10, {"dps": {"1": True}}))
    bad[-10] ^= 0xFF
    fault = _fault(ours.receive_data(bytes(bad)))
    assert not fault.fatal
    assert isinstance(fault.error, ChecksumError if version in OLD else WrongKeyError)
    assert ours.receive_data(peer.reply(6, 10, {})) == [Reply(6, 10, 0, {})]


@pytest.mark.parametrize("version", VERSIONS)
def test_a_frame_in_another_framing_fails_a_ready_session(version: Version) -> None:
    ours, _ = connected(version)
    other = Framing.CRC if version == "3.5" else Framing.GCM
    fault = _fault(ours.receive_data(encode_frame(Frame(1, 8, b"{}", 0), other, AesKey(KEY))))
    assert fault.fatal
    assert isinstance(fault.error, VersionMismatchError)
    assert ours.state is SessionState.FAILED


@pytest.mark.parametrize("version", OLD)
def test_junk_that_decrypted_with_a_wrong_key_is_a_wrong_key_fault(version: Version) -> None:
    ours, peer = connected(version)
    if version == "3.1":
        junk = peer.status(0, 8, {"1": True})  # signed and encrypted under the device's key
        ours = client(version, OTHER_KEY)
        ours.start()
    else:
        junk = peer.raw(0, 10, AesKey(KEY).ecb_encrypt(bytes(range(1, 40))))
    fault = _fault(ours.receive_data(junk))
    assert not fault.fatal
    assert isinstance(fault.error, WrongKeyError)
    assert WRONG_KEY_HINT in str(fault.error)


@pytest.mark.parametrize("version", OLD)
def test_printable_non_json_with_retcode_0_after_decryption_is_a_wrong_key(
    version: Version,
) -> None:
    # Only an error (retcode != 0) or "data unvalid" may be text where JSON was sealed.
    ours, peer = connected(version)
    sealed = peer.error(4, 7, b"looks like text", retcode=0, encrypted=True)  # 3.1 seals 7
    assert isinstance(_fault(ours.receive_data(sealed)).error, WrongKeyError)


@pytest.mark.parametrize("version", NEW)
def test_junk_in_a_frame_that_passed_its_check_is_a_payload_error(version: Version) -> None:
    ours, peer = connected(version)
    junk = peer.raw(4, 10, bytes(range(1, 40)) if version == "3.5" else b"\x01" * 17)
    fault = _fault(ours.receive_data(junk))
    assert isinstance(fault.error, PayloadError)
    assert WRONG_KEY_HINT not in str(fault.error)
    assert ours.receive_data(peer.error(5, 10, b"busy", retcode=0, encrypted=True)) == [
        DeviceError(5, 10, 0, "busy")
    ]


@pytest.mark.parametrize("version", OLD)
def test_binary_in_clear_is_a_payload_error(version: Version) -> None:
    ours, peer = connected(version)
    fault = _fault(ours.receive_data(peer.raw(4, 10, b"\x01\x02\x03")))
    assert isinstance(fault.error, PayloadError)
    assert "cmd 10 is not a JSON object (3 bytes)" in str(fault.error)


@pytest.mark.parametrize("version", VERSIONS)
def test_a_json_value_that_is_not_an_object_is_not_a_reply(version: Version) -> None:
    ours, peer = connected(version)
    [event] = ours.receive_data(peer.error(4, 10, b"[1,2]", retcode=1, encrypted=True))
    assert event == DeviceError(4, 10, 1, "[1,2]")


# --- Requests and seqnos --------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_requests_reach_the_device_as_sent(version: Version) -> None:
    ours, peer = connected(version)
    t = str(int(NOW))
    first = 3 if version in NEW else 1  # START and FINISH took 1 and 2
    sent = [ours.query(), ours.control({"1": True}), ours.heartbeat(), ours.update_dps([18, 19])]
    assert [out.seqno for out in sent] == list(range(first, first + 4))
    requests = [peer.receive_data(out.data) for out in sent]
    if version in NEW:
        query = Request(first, 16, {})
        control = Request(
            first + 1, 13, {"protocol": 5, "t": int(NOW), "data": {"dps": {"1": True}}}
        )
    else:
        query = Request(
            first, 10, {"gwId": DEVICE_ID, "devId": DEVICE_ID, "uid": DEVICE_ID, "t": t}
        )
        control = Request(
            first + 1, 7, {"devId": DEVICE_ID, "uid": DEVICE_ID, "t": t, "dps": {"1": True}}
        )
    if version == "3.2":  # device22 by default
        query = Request(
            first, 13, {"devId": DEVICE_ID, "uid": DEVICE_ID, "t": t, "dps": {"1": None}}
        )
    assert requests == [
        [query],
        [control],
        [Request(first + 2, 9, {"gwId": DEVICE_ID, "devId": DEVICE_ID})],
        [Request(first + 3, 18, {"dpId": [18, 19]})],
    ]
    assert control.dps == {"1": True}
    assert [out.cmd for out in sent] == [query.cmd, control.cmd, 9, 18]


@pytest.mark.parametrize("version", OLD)
def test_requests_before_start_raise_not_ready(version: Version) -> None:
    session = client(version)
    with pytest.raises(NotReadyError, match="cannot send CONTROL: session is idle"):
        session.control({"1": True})


def test_the_seqno_wraps_to_1_after_the_largest_u32() -> None:
    session = client("3.3")
    session.start()
    session._seqno = 0xFFFFFFFE  # 4 billion requests later
    assert [session.heartbeat().seqno for _ in range(3)] == [0xFFFFFFFF, 1, 2]


@pytest.mark.parametrize("version", VERSIONS)
def test_the_repr_says_version_and_state_only(version: Version) -> None:
    session = client(version)
    assert repr(session) == f"ClientSession(version={version!r}, state='idle')"


@pytest.mark.parametrize("version", NEW)
def test_the_handshake_completes_when_its_frames_arrive_byte_by_byte(version: Version) -> None:
    ours, peer = client(version), device(version)
    ours.start()
    for byte in ours.data_to_send():
        assert peer.receive_data(bytes([byte])) == []
    answer = peer.data_to_send()
    events = [event for byte in answer for event in ours.receive_data(bytes([byte]))]
    assert events == [HandshakeComplete()]
    finish = ours.data_to_send()
    device_events = [event for byte in finish for event in peer.receive_data(bytes([byte]))]
    assert device_events == [HandshakeComplete()]
    assert ours.receive_data(peer.reply(1, 10, {})) == [Reply(1, 10, 0, {})]
