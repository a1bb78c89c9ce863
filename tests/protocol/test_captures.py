"""Real captured frames (tests/fixtures/captures): replay every one.

Each valid frame decodes to its recorded `decoded` field through the API that meets it on
the wire (decode_datagram for UDP, decode_frame/PayloadCodec and the sessions for TCP);
each invalid one fails with our own typed error, for the reason its notes give. Then one
test for each oddity the captures' README lists.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from hashlib import sha256
from hmac import new as hmac_new
from typing import Any

import pytest

from setsmart.protocol import (
    AppRequest,
    Beacon,
    ClientSession,
    DeviceError,
    DeviceSession,
    DiscoveryError,
    Event,
    Fault,
    FrameError,
    HandshakeComplete,
    Push,
    Reply,
    Request,
    SessionState,
    VersionMismatchError,
    WrongKeyError,
    decode_datagram,
)
from setsmart.protocol.codec import PayloadCodec
from setsmart.protocol.crypto import AesKey
from setsmart.protocol.frame import Frame, Framing, decode_frame, encode_frame

from .captures import CAPTURES, STAND_IN_KEY, Capture
from .reference import AESCipher, tt_client

DEVICE = "bf0123456789abcdefgh"
VALID = [c for c in CAPTURES.values() if c.valid]
INVALID = [c for c in CAPTURES.values() if not c.valid]


def _ids(capture: Capture) -> str:
    return capture.id


def _client(capture: Capture, **kwargs: Any) -> ClientSession:
    """A ready client of the capture's version and key (3.1-3.3: no handshake)."""
    client = ClientSession(DEVICE, capture.local_key, capture.version, **kwargs)
    assert client.start() == [HandshakeComplete()]
    return client


def _recorded_event(capture: Capture) -> Event:
    """The event the capture's decoded field calls for."""
    d, text = capture.decoded, capture.payload
    if text.startswith(b"{"):
        if d["cmd"] == 8:
            return Push(d["seq"], capture.json)
        return Reply(d["seq"], d["cmd"], d["retcode"], capture.json)
    return DeviceError(d["seq"], d["cmd"], d["retcode"], text.decode())


def test_the_fixture_holds_every_published_capture() -> None:
    assert len(CAPTURES) == 31
    assert len(INVALID) == 6


# --- Replay: valid --------------------------------------------------------------------


@pytest.mark.parametrize("capture", [c for c in VALID if c.datagram], ids=_ids)
def test_valid_datagrams_decode_to_their_recorded_content(capture: Capture) -> None:
    result = decode_datagram(capture.data)
    info = capture.json
    if info.get("from") == "app":
        assert result == AppRequest(info["ip"])
    else:
        assert result == Beacon(info["gwId"], info["ip"], info["version"], info["productKey"], {})
        assert isinstance(result, Beacon)
        assert result.raw == info


@pytest.mark.parametrize("capture", [c for c in VALID if not c.datagram], ids=_ids)
def test_valid_frames_decode_to_their_recorded_content(capture: Capture) -> None:
    # tt597 was published with its session key only: no session can be brought to hold
    # it without the local key, so its codec is given it directly (Capture.codec).
    codec = capture.codec()
    result = decode_frame(capture.data, codec.framing, codec.frame_key, retcode=capture.from_device)
    assert result is not None
    frame, used = result
    assert isinstance(frame, Frame)
    assert used == len(capture.data) == capture.decoded["frame_len"]
    assert (frame.seqno, frame.cmd) == (capture.decoded["seq"], capture.decoded["cmd"])
    assert frame.retcode == capture.decoded.get("retcode")  # client frames carry none
    assert codec.open(frame).text == capture.payload


_OLD_TCP = [c for c in VALID if not c.datagram and c.version in ("3.1", "3.2", "3.3")]


@pytest.mark.parametrize("capture", [c for c in _OLD_TCP if c.from_device], ids=_ids)
def test_valid_device_frames_give_their_recorded_event_to_a_client(capture: Capture) -> None:
    assert _client(capture).receive_data(capture.data) == [_recorded_event(capture)]


@pytest.mark.parametrize("capture", [c for c in _OLD_TCP if not c.from_device], ids=_ids)
def test_valid_client_frames_give_their_recorded_request_to_a_device(capture: Capture) -> None:
    device = DeviceSession(DEVICE, capture.local_key, capture.version)
    d = capture.decoded
    assert device.receive_data(capture.data) == [Request(d["seq"], d["cmd"], capture.json)]


def test_a_3_1_query_from_our_client_is_byte_identical_to_the_captured_one() -> None:
    capture = CAPTURES["pr177-v31-dpquery-req"]
    client = ClientSession(
        "03200160ecfabc8d9700", capture.local_key, "3.1", clock=lambda: 1663207188.9
    )
    client.start()
    assert client.query().data == capture.data


@pytest.mark.parametrize(
    "capture_id", ["pr177-v31-dpquery-resp", "td1-dpquery-resp", "sl-dpquery-resp"]
)
def test_replies_from_our_device_are_byte_identical_to_the_captured_ones(capture_id: str) -> None:
    capture = CAPTURES[capture_id]
    device = DeviceSession(DEVICE, capture.local_key, capture.version)
    d = capture.decoded
    assert device.reply(d["seq"], d["cmd"], capture.json, d["retcode"]) == capture.data


@pytest.mark.parametrize(
    "capture_id", ["td1-dpquery-req", "td2-dpquerynew-req", "tt597-v34-dpquerynew-req"]
)
def test_requests_we_seal_are_byte_identical_to_the_captured_ones(capture_id: str) -> None:
    capture = CAPTURES[capture_id]
    codec, d = capture.codec(), capture.decoded
    frame = Frame(d["seq"], d["cmd"], codec.seal(d["cmd"], capture.payload))
    assert encode_frame(frame, codec.framing, codec.frame_key) == capture.data


# --- Replay: invalid, each for the reason its notes give -------------------------------


def _redacted_broadcast(capture: Capture) -> None:
    # A user hand-edited the 16-char productKey to 8 asterisks: 8 bytes short.
    with pytest.raises(DiscoveryError, match="truncated"):
        decode_datagram(capture.data)


def _key_unknown(capture: Capture) -> None:
    # CRC-verified only: the frame parses, but no key was published for the payload.
    codec = capture.codec()
    result = decode_frame(capture.data, codec.framing, None, retcode=False)
    assert result is not None
    frame = result[0]
    assert isinstance(frame, Frame)
    assert (frame.seqno, frame.cmd) == (6, 13)
    assert frame.payload.startswith(bytes.fromhex(capture.decoded["version_header"]))
    with pytest.raises(WrongKeyError, match="probable wrong local key"):
        codec.open(frame)
    device = DeviceSession(DEVICE, STAND_IN_KEY, "3.2")
    [fault] = device.receive_data(capture.data)
    assert isinstance(fault, Fault)
    assert isinstance(fault.error, WrongKeyError)


def _wrong_key_false_padding(capture: Capture) -> None:
    # Decrypts with a last byte that looks like padding: it must still not pass as data.
    [fault] = _client(capture).receive_data(capture.data)
    assert isinstance(fault, Fault)
    assert not fault.fatal
    assert isinstance(fault.error, WrongKeyError)
    assert "probable wrong local key" in str(fault.error)


def _truncated(capture: Capture) -> None:
    # The header promises 91 bytes, 83 arrived; the next frame comes instead of the rest.
    client = _client(capture)
    assert client.receive_data(capture.data) == []
    device = DeviceSession(DEVICE, capture.local_key, "3.3", clock=lambda: 1749549600)
    events = client.receive_data(device.status(0, 8, {"2": 621}))
    assert isinstance(events[0], Fault)
    assert isinstance(events[0].error, FrameError)
    assert "truncated" in str(events[0].error)
    assert events[-1] == Push(0, {"devId": DEVICE, "dps": {"2": 621}, "t": 1749549600})


def _crc_answer_to_34(capture: Capture) -> None:
    # A 3.1-3.3 device answering a 3.4 START in CRC framing.
    client = ClientSession(DEVICE, STAND_IN_KEY, "3.4")
    client.start()
    [fault] = client.receive_data(capture.data)
    assert isinstance(fault, Fault)
    assert fault.fatal
    assert isinstance(fault.error, VersionMismatchError)
    assert "CRC32" in str(fault.error)
    assert client.state is SessionState.FAILED


def _pairing_key_datagram(capture: Capture) -> None:
    # An unknown command (0x15) under a pairing key: parsed as a frame, never mis-decoded.
    result = decode_frame(capture.data, Framing.CRC, None, retcode=True)
    assert result is not None
    frame = result[0]
    assert isinstance(frame, Frame)
    assert (frame.cmd, frame.retcode) == (0x15, 0)
    with pytest.raises(DiscoveryError, match="nor JSON encrypted with the UDP key"):
        decode_datagram(capture.data)


INVALID_CHECKS: dict[str, Callable[[Capture], None]] = {
    "hasslocaltuya95-v31-bcast-redacted": _redacted_broadcast,
    "tt542-v32-controlnew-req": _key_unknown,
    "sl-wrongkey-status-falsepad": _wrong_key_false_padding,
    "hubitat-truncated-status": _truncated,
    "tt542-crc-reply-to-v34-neg": _crc_answer_to_34,
    "tuyaconvert966-apmode-0x15": _pairing_key_datagram,
}


@pytest.mark.parametrize("capture", INVALID, ids=_ids)
def test_invalid_captures_fail_with_our_typed_error_for_their_reason(capture: Capture) -> None:
    INVALID_CHECKS[capture.id](capture)


# --- Oddities --------------------------------------------------------------------------


def test_source_headers_with_per_session_ids_are_stripped() -> None:
    # The 15-byte slot holds "3.3", a crc, a source seq and a source id (the app's
    # session id 0x0001f645 here, 1 on the devices' pushes), not 12 zero bytes.
    control = CAPTURES["tuyapi210-app-control"]
    device = DeviceSession(DEVICE, control.local_key, "3.3")
    [request] = device.receive_data(control.data)
    assert request == Request(6, 7, control.json)
    assert control.data[16:31] == bytes.fromhex("332e3300000000000000180001f645")

    for capture_id in ("sl-status-push", "luke265-status-push", "tuyapi268-status-push"):
        push = CAPTURES[capture_id]
        assert push.decoded["version_header"][-8:] == "00000001"
        assert _client(push).receive_data(push.data) == [Push(0, push.json)]


def test_pushes_with_outer_seq_0_are_pushes() -> None:
    ids = ["sl-status-push", "td1-status-push-2", "tuyapi268-status-push", "luke265-status-push"]
    for capture in (CAPTURES[i] for i in ids):
        [push] = _client(capture).receive_data(capture.data)
        assert isinstance(push, Push)
        assert push.seqno == 0
        assert push.dps == capture.json["dps"]


@pytest.mark.parametrize(
    ("capture_id", "encrypted"),
    [("hbtl69-v32-unvalid", False), ("td2-dpquerynew-resp-unvalid", True)],
)
def test_data_unvalid_with_retcode_1_switches_to_device22(capture_id: str, encrypted: bool) -> None:
    capture = CAPTURES[capture_id]
    assert (capture.decoded.get("encryption") != "none") is encrypted
    client = _client(capture, device22=False)
    assert client.query().cmd == (16 if capture.version == "3.4" else 10)
    [error] = client.receive_data(capture.data)
    assert isinstance(error, DeviceError)
    assert (error.retcode, error.message) == (1, "json obj data unvalid")
    assert error.data_unvalid
    assert client.device22
    assert client.query().cmd == 13  # CONTROL_NEW listing the DPs to read


def test_coalesced_frames_in_one_tcp_segment_give_one_event_each() -> None:
    # td1-status-push-2 came in one segment with a CONTROL ack that was not published;
    # its session's DP_QUERY reply (same device, same key) stands in for the ack.
    reply, push = CAPTURES["td1-dpquery-resp"], CAPTURES["td1-status-push-2"]
    events = _client(push).receive_data(reply.data + push.data)
    assert events == [Reply(0, 10, 0, reply.json), Push(0, push.json)]


def test_a_truncated_frame_is_buffered_until_the_rest_arrives() -> None:
    capture = CAPTURES["hubitat-truncated-status"]
    client = _client(capture)
    assert client.receive_data(capture.data) == []
    # The missing 8 bytes (CRC and suffix) arrive in the next read.
    rest = zlib.crc32(capture.data).to_bytes(4, "big") + bytes.fromhex("0000aa55")
    assert client.receive_data(rest) == [
        Push(0, {"dps": {"2": 620}, "type": "query", "t": 1749549512})
    ]


def test_a_wrong_key_whose_padding_is_fully_valid_still_fails() -> None:
    # The capture's wrong-key plaintext ends in 0x0a without nine more 0x0a bytes, so our
    # strict unpadding already rejects it; tinytuya's lax unpadding returns the junk.
    capture = CAPTURES["sl-wrongkey-status-falsepad"]
    ciphertext = capture.data[20 + 15 : -8]
    junk = AESCipher(capture.local_key).decrypt(ciphertext, False, decode_text=False)
    assert junk.hex() == capture.decoded["payload_garbage"].removeprefix("hex:")
    # Search (bounded) for another wrong key that gives the same real frame fully valid
    # padding: only the JSON check is left to catch that one.
    for n in range(20_000):
        key = b"%016d" % n
        plain = AesKey(key).ecb_decrypt(ciphertext, unpad=False)
        if plain[-1] == 1:
            break
    else:
        pytest.fail("no key with valid padding in the search range")
    client = ClientSession(DEVICE, key, "3.3")
    client.start()
    [fault] = client.receive_data(capture.data)
    assert isinstance(fault, Fault)
    assert isinstance(fault.error, WrongKeyError)
    assert "not JSON" in str(fault.error)


def test_a_non_34_device_answering_the_handshake_in_crc_framing_is_a_version_mismatch() -> None:
    _crc_answer_to_34(CAPTURES["tt542-crc-reply-to-v34-neg"])


def test_3_1_broadcasts_use_cmd_0_and_plain_json() -> None:
    capture = CAPTURES["smarthomej306-v31-bcast"]
    result = decode_frame(capture.data, Framing.CRC, None, retcode=True)
    assert result is not None
    frame = result[0]
    assert isinstance(frame, Frame)
    assert (frame.cmd, frame.retcode, frame.payload) == (0, 0, capture.payload)
    beacon = decode_datagram(capture.data)
    assert isinstance(beacon, Beacon)
    assert (beacon.device_id, beacon.version) == ("36802558840d8e95f3c4", "3.1")


def test_the_0x23_broadcast_is_encrypted_with_the_udp_key() -> None:
    capture = CAPTURES["aosu-v34-bcast-0x23"]
    assert capture.data[8:12] == (0x23).to_bytes(4, "big")
    beacon = decode_datagram(capture.data)
    assert isinstance(beacon, Beacon)
    assert beacon == Beacon("eb28f4fa8cd86eb3669izf", "192.168.4.37", "3.4", "hcnuuggl7ont6qj7", {})
    assert beacon.raw["clientLink"] == 30


# --- Handshakes ------------------------------------------------------------------------


def test_the_captured_3_5_handshake_completes_with_our_client() -> None:
    start, resp = CAPTURES["tt592-v35-negstart"], CAPTURES["tt592-v35-negresp"]
    client_nonce, device_nonce = start.payload, resp.payload[:16]
    client = ClientSession(DEVICE, start.local_key, "3.5", nonce=lambda n: client_nonce)
    client.start()
    sent = client.data_to_send()
    # tinytuya sent it with its debug IV: with the same IV ours is the very same frame.
    frame = Frame(1, 3, client_nonce)
    assert encode_frame(frame, Framing.GCM, AesKey(start.local_key), b"0123456789ab") == start.data
    assert decode_frame(sent, Framing.GCM, AesKey(start.local_key), retcode=False) == (
        frame,
        len(start.data),
    )

    assert client.receive_data(resp.data) == [HandshakeComplete()]
    tt = tt_client("3.5", start.local_key)
    tt.local_nonce, tt.remote_nonce = client_nonce, device_nonce
    tt._negotiate_session_key_generate_finalize()
    assert client.codec.key.raw == tt.local_key


def test_the_captured_3_5_start_gets_the_captured_answer_from_our_device() -> None:
    start, resp = CAPTURES["tt592-v35-negstart"], CAPTURES["tt592-v35-negresp"]
    device = DeviceSession(DEVICE, start.local_key, "3.5", nonce=lambda n: resp.payload[:16])
    assert device.receive_data(start.data) == []
    codec = PayloadCodec("3.5", AesKey(start.local_key))
    result = decode_frame(device.data_to_send(), Framing.GCM, codec.key, retcode=True)
    assert result is not None
    frame = result[0]
    assert isinstance(frame, Frame)
    assert (frame.cmd, frame.retcode, frame.payload) == (4, 0, resp.payload)
    assert device.state is SessionState.AWAIT_FINISH


def test_the_captured_3_4_answer_verifies_but_its_nonce_proof_cannot_be_checked() -> None:
    # The client nonce of this exchange was not published: the frame's HMAC and the
    # device nonce can be checked, the proof of the client nonce cannot, so our client
    # (with any nonce of its own) must refuse it as a wrong-key proof.
    capture = CAPTURES["smarthomej-v34-negresp"]
    codec = capture.codec()
    result = decode_frame(capture.data, codec.framing, codec.frame_key, retcode=True)
    assert result is not None
    frame = result[0]
    assert isinstance(frame, Frame)
    assert codec.open(frame).text[:16] == b"9e39c55dd2231c3f"

    client = ClientSession(DEVICE, capture.local_key, "3.4", nonce=lambda n: b"N" * n)
    client.start()
    proof = capture.payload[16:48]
    assert proof != hmac_new(capture.local_key, b"N" * 16, sha256).digest()
    [fault] = client.receive_data(capture.data)
    assert isinstance(fault, Fault)
    assert fault.fatal
    assert isinstance(fault.error, WrongKeyError)
    assert "proof does not match" in str(fault.error)
