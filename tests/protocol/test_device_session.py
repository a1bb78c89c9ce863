"""DeviceSession: AWAIT_START --START--> AWAIT_FINISH --FINISH ok--> READY, and its failures."""

from __future__ import annotations

import hmac
from hashlib import sha256

import pytest

from setsmart.protocol import (
    VERSIONS,
    ChecksumError,
    DeviceEvent,
    DeviceSession,
    Fault,
    FrameError,
    HandshakeComplete,
    HandshakeError,
    PayloadError,
    Request,
    SessionState,
    Version,
    WrongKeyError,
)
from setsmart.protocol.codec import PayloadCodec
from setsmart.protocol.crypto import AesKey
from setsmart.protocol.frame import Frame, decode_frame, encode_frame

from .pairing import CLIENT_NONCE, DEVICE_NONCE, KEY, connected, device

OLD: list[Version] = ["3.1", "3.2", "3.3"]
NEW: list[Version] = ["3.4", "3.5"]
OTHER_KEY = b"re-paired-key!!!"
WRONG_KEY_HINT = "probable wrong local key"


def _fault(events: list[DeviceEvent]) -> Fault:
    [event] = events
    assert isinstance(event, Fault)
    return event


def _from_client(version: Version, seqno: int, cmd: int, body: bytes, key: bytes = KEY) -> bytes:
    """A frame sealed as a client holding `key` seals it before any session key."""
    codec = PayloadCodec(version, AesKey(key))
    return encode_frame(Frame(seqno, cmd, codec.seal(cmd, body)), codec.framing, codec.frame_key)


def _answer(data: bytes, version: Version) -> Frame:
    """The RESP the device sent, its payload decrypted with the local key."""
    codec = PayloadCodec(version, AesKey(KEY))
    result = decode_frame(data, codec.framing, codec.frame_key, retcode=True)
    assert result is not None
    frame, used = result
    assert isinstance(frame, Frame)
    assert used == len(data)
    return Frame(frame.seqno, frame.cmd, codec.open(frame).text, frame.retcode)


def _awaiting_finish(version: Version) -> DeviceSession:
    session = device(version)
    assert session.receive_data(_from_client(version, 1, 3, CLIENT_NONCE)) == []
    session.data_to_send()
    return session


def _fails(session: DeviceSession, data: bytes, error: type[Exception], message: str) -> None:
    fault = _fault(session.receive_data(data))
    assert fault.fatal
    assert isinstance(fault.error, error)
    assert message in str(fault.error)
    assert session.state is SessionState.FAILED
    assert session.receive_data(data) == []  # FAILED: anything -> nothing


@pytest.mark.parametrize("version", VERSIONS)
def test_the_first_state_depends_on_the_version(version: Version) -> None:
    expected = SessionState.AWAIT_START if version in NEW else SessionState.READY
    assert device(version).state is expected


# --- AWAIT_START ----------------------------------------------------------------------


@pytest.mark.parametrize("version", NEW)
def test_start_is_answered_with_the_device_nonce_and_the_proof(version: Version) -> None:
    session = device(version)
    assert session.receive_data(_from_client(version, 41, 3, CLIENT_NONCE)) == []
    assert session.state is SessionState.AWAIT_FINISH
    proof = hmac.new(KEY, CLIENT_NONCE, sha256).digest()
    seqno = 1 if version == "3.5" else 41  # 3.5 counts on its own, 3.4 echoes
    assert _answer(session.data_to_send(), version) == Frame(seqno, 4, DEVICE_NONCE + proof, 0)


@pytest.mark.parametrize("version", NEW)
def test_another_command_instead_of_start_is_a_fatal_handshake_error(version: Version) -> None:
    data = _from_client(version, 1, 10, b"{}")
    _fails(
        device(version), data, HandshakeError, "expected the handshake start (cmd 3), got cmd 10"
    )


@pytest.mark.parametrize("version", NEW)
def test_a_start_sealed_with_another_key_is_a_fatal_wrong_key(version: Version) -> None:
    data = _from_client(version, 1, 3, CLIENT_NONCE, OTHER_KEY)
    _fails(device(version), data, WrongKeyError, WRONG_KEY_HINT)


@pytest.mark.parametrize("version", NEW)
def test_a_nonce_of_the_wrong_size_is_a_fatal_handshake_error(version: Version) -> None:
    data = _from_client(version, 1, 3, b"short")
    _fails(device(version), data, HandshakeError, "client nonce of 5 bytes")


def test_a_3_4_start_that_does_not_decrypt_is_fatal() -> None:
    data = device("3.4").raw(1, 3, bytes(range(200, 232)), retcode=None)
    _fails(device("3.4"), data, WrongKeyError, "bad AES padding")


@pytest.mark.parametrize("version", NEW)
def test_garbage_before_start_is_fatal(version: Version) -> None:
    _fails(device(version), b"\x07" * 9, FrameError, "skipped 9 bytes")


# --- AWAIT_FINISH ---------------------------------------------------------------------


@pytest.mark.parametrize("version", NEW)
def test_a_right_finish_completes_the_handshake(version: Version) -> None:
    session = _awaiting_finish(version)
    proof = hmac.new(KEY, DEVICE_NONCE, sha256).digest()
    assert session.receive_data(_from_client(version, 2, 5, proof)) == [HandshakeComplete()]
    assert session.state is SessionState.READY
    assert session.data_to_send() == b""  # the device does not answer FINISH


@pytest.mark.parametrize("version", NEW)
def test_both_ends_then_share_a_session_key(version: Version) -> None:
    ours, theirs = connected(version)
    assert theirs.state is SessionState.READY
    assert theirs.codec.key.raw == ours.codec.key.raw != KEY


@pytest.mark.parametrize("version", NEW)
def test_a_finish_with_a_bad_proof_is_a_fatal_wrong_key(version: Version) -> None:
    bad = hmac.new(KEY, b"not the device nonce", sha256).digest()
    _fails(
        _awaiting_finish(version),
        _from_client(version, 2, 5, bad),
        WrongKeyError,
        "client's handshake proof does not match: probable wrong local key",
    )


@pytest.mark.parametrize("version", NEW)
def test_another_command_instead_of_finish_is_a_fatal_handshake_error(version: Version) -> None:
    data = _from_client(version, 2, 3, CLIENT_NONCE)
    _fails(
        _awaiting_finish(version),
        data,
        HandshakeError,
        "expected the handshake finish (cmd 5), got cmd 3",
    )


def test_a_3_4_finish_that_does_not_decrypt_is_fatal() -> None:
    data = device("3.4").raw(2, 5, bytes(range(100, 132)), retcode=None)
    _fails(_awaiting_finish("3.4"), data, WrongKeyError, "bad AES padding")


@pytest.mark.parametrize("version", NEW)
def test_a_finish_sealed_with_another_key_is_fatal(version: Version) -> None:
    proof = hmac.new(OTHER_KEY, DEVICE_NONCE, sha256).digest()
    _fails(
        _awaiting_finish(version),
        _from_client(version, 2, 5, proof, OTHER_KEY),
        WrongKeyError,
        WRONG_KEY_HINT,
    )


# --- READY ----------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_requests_become_request_events(version: Version) -> None:
    ours, theirs = connected(version)
    out = ours.control({"1": True})
    [request] = theirs.receive_data(out.data)
    assert isinstance(request, Request)
    assert (request.seqno, request.cmd, request.dps) == (out.seqno, out.cmd, {"1": True})


@pytest.mark.parametrize("version", VERSIONS)
def test_an_empty_request_has_no_data(version: Version) -> None:
    _, theirs = connected(version)
    raw = theirs.raw(5, 9, b"", retcode=None)  # the same framing both ways, no retcode
    assert theirs.receive_data(raw) == [Request(5, 9, None)]
    assert Request(5, 9, None).dps is None


@pytest.mark.parametrize("version", VERSIONS)
def test_a_corrupted_request_is_a_fault_and_the_session_goes_on(version: Version) -> None:
    ours, theirs = connected(version)
    bad = bytearray(ours.heartbeat().data)
    bad[-9] ^= 0x01
    fault = _fault(theirs.receive_data(bytes(bad)))
    assert not fault.fatal
    assert isinstance(fault.error, ChecksumError if version in OLD else WrongKeyError)
    assert theirs.state is SessionState.READY
    assert len(theirs.receive_data(ours.heartbeat().data)) == 1


@pytest.mark.parametrize("version", VERSIONS)
def test_a_request_that_is_not_json_is_a_payload_error(version: Version) -> None:
    _, theirs = connected(version)
    fault = _fault(theirs.receive_data(theirs.raw(5, 10, b"[1]", retcode=None)))
    assert isinstance(fault.error, PayloadError)
    assert str(fault.error) == "request cmd 10 is not a JSON object: malformed request"


def test_a_request_that_decrypts_to_junk_hints_at_the_key() -> None:
    _, theirs = connected("3.3")
    junk = theirs.raw(5, 10, AesKey(KEY).ecb_encrypt(b"\x01\x02"), retcode=None)
    fault = _fault(theirs.receive_data(junk))
    assert isinstance(fault.error, PayloadError)
    assert WRONG_KEY_HINT in str(fault.error)


def test_a_3_4_request_that_does_not_decrypt_is_a_fault() -> None:
    _, theirs = connected("3.4")
    junk = bytes(range(200, 232))  # whole blocks, not printable, no valid padding
    fault = _fault(theirs.receive_data(theirs.raw(5, 10, junk, retcode=None)))
    assert isinstance(fault.error, WrongKeyError)
    assert not fault.fatal


# --- Output ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_reply_seqnos_echo_the_request_except_on_3_5(version: Version) -> None:
    session = device(version)
    if version == "3.5":
        assert [session.reply_seqno(77) for _ in range(2)] == [1, 2]
    else:
        assert [session.reply_seqno(77) for _ in range(2)] == [77, 77]


def test_the_device_counter_wraps_to_1_after_the_largest_u32() -> None:
    session = device("3.5")
    session._seqno = 0xFFFFFFFE  # 4 billion frames later
    assert [session.next_seqno() for _ in range(3)] == [0xFFFFFFFF, 1, 2]


def test_an_empty_acknowledgement_has_no_payload_at_all() -> None:
    ack = device("3.3").reply(5, 7, None)
    assert len(ack) == 28  # tinytuya's "null ack": header, retcode, CRC, suffix


@pytest.mark.parametrize("version", VERSIONS)
def test_the_repr_says_version_and_state_only(version: Version) -> None:
    state = "await-start" if version in NEW else "ready"
    assert repr(device(version)) == f"DeviceSession(version={version!r}, state={state!r})"
