"""The one-step paths give exactly what the general ones give.

`PayloadCodec.frame` against `encode_frame` of `seal`; `ClientSession.receive_data`'s
whole-frame path against the frame-by-frame one (`_receive_frames`) on the same bytes,
valid or not; `AesKey.ecb_seal`/`ecb_open` against `ecb_encrypt`/`ecb_decrypt`; the
batched GCM IVs.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from setsmart.protocol import VERSIONS, ClientSession, Event, Fault, Push, Version, crypto
from setsmart.protocol.codec import PayloadCodec
from setsmart.protocol.constants import (
    HEADER_6699_LEN,
    PREFIX_55AA,
    SUFFIX_55AA,
    VERSION_HEADER_LEN,
    Command,
)
from setsmart.protocol.crypto import AesKey, crc32
from setsmart.protocol.errors import WrongKeyError
from setsmart.protocol.frame import Frame, decode_frame, encode_frame

from .strategies import PROFILE, commands, keys, retcodes, seqnos, versions
from .test_fuzz import PAIRS, _pair, garbage

KEY = AesKey(b"0123456789abcdef")
bodies = st.one_of(
    st.binary(max_size=80),
    st.sampled_from([b"", b"{}", b'{"dps":{"1":true}}', b"3.3" + bytes(12)]),
)


def _comparable(events: list[Event]) -> list[object]:
    """Events with each error as its type and text (exceptions compare by identity)."""
    return [(type(e.error), str(e.error), e.fatal) if isinstance(e, Fault) else e for e in events]


# --- PayloadCodec.frame ---------------------------------------------------------------


@PROFILE
@given(
    version=versions,
    key=keys,
    seqno=seqnos,
    cmd=commands,
    body=bodies,
    retcode=st.none() | retcodes,
)
def test_frame_is_encode_frame_of_seal(
    *, version: Version, key: bytes, seqno: int, cmd: int, body: bytes, retcode: int | None
) -> None:
    codec = PayloadCodec(version, AesKey(key))
    data = codec.frame(seqno, cmd, body, retcode)
    expected = Frame(seqno, cmd, codec.seal(cmd, body), retcode)
    if version == "3.5":  # a fresh IV each: decrypt both, compare, and check the lengths
        again = encode_frame(expected, codec.framing, codec.frame_key)
        assert len(data) == len(again)
        assert data[:HEADER_6699_LEN] == again[:HEADER_6699_LEN]
        decoded = decode_frame(data, codec.framing, codec.frame_key, retcode=retcode is not None)
        assert decoded == (expected, len(data))
    else:
        assert data == encode_frame(expected, codec.framing, codec.frame_key)


# --- the whole-frame read -------------------------------------------------------------


def _both_ways(version: Version, data: bytes) -> tuple[ClientSession, ClientSession]:
    """Two like clients after their handshake, one fed `data` each way."""
    fast, general = _pair(version).client, _pair(version).client
    got, want = fast.receive_data(data), general._receive_frames(data)
    assert _comparable(got) == _comparable(want)
    return fast, general


@st.composite
def reads(draw: st.DrawFn) -> tuple[Version, bytes]:
    version = draw(versions)
    frames = PAIRS[version].to_client
    return version, draw(st.one_of(st.sampled_from(frames), garbage(frames)))


@PROFILE
@given(read=reads())
def test_a_read_gives_the_same_events_either_way(read: tuple[Version, bytes]) -> None:
    fast, general = _both_ways(*read)
    assert (fast.state, fast.device22) == (general.state, general.device22)
    assert fast._reader.pending == general._reader.pending


def _device_frame(version: Version, cmd: int, payload: bytes, retcode: int = 0) -> bytes:
    """A frame as the paired device seals it, `payload` taken as the plaintext."""
    return PAIRS[version].device.raw(1, cmd, _sealed(version, cmd, payload), retcode)


def _sealed(version: Version, cmd: int, payload: bytes) -> bytes:
    if version == "3.5":  # the frame's GCM does the sealing
        return payload
    return PAIRS[version].device.codec.seal(cmd, payload)


def _resealed_55aa(frame: bytes, *, suffix: int = SUFFIX_55AA) -> bytes:
    """A 55AA CRC frame with another suffix and a CRC that still matches."""
    body = frame[:-8]
    return body + crc32(body).to_bytes(4, "big") + suffix.to_bytes(4, "big")


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b'{"dps":{"1":true}}',
        b"json obj data unvalid",
        b"[1]",
        b'{"a":NaN}',
        b"3.3" + bytes(12),
        b"3.4" + bytes(12) + b'{"dps":{}}',
    ],
)
@pytest.mark.parametrize("cmd", [Command.STATUS, Command.DP_QUERY, Command.SESS_KEY_NEG_RESP])
def test_payloads_of_every_kind_read_the_same_either_way(
    version: Version, payload: bytes, cmd: int
) -> None:
    _both_ways(version, _device_frame(version, cmd, payload))


@pytest.mark.parametrize("version", VERSIONS)
def test_clear_payloads_and_unframed_bytes_read_the_same_either_way(version: Version) -> None:
    device = PAIRS[version].device
    for data in (
        device.raw(1, 8, b'{"dps":{"1":true}}'),  # a payload in clear (3.1: as it should)
        device.raw(1, 8, b"3.1" + b"0" * 16 + b"not base64!"),
        device.raw(1, 8, b"3.1" + b"0" * 16 + b"AAAA"),  # base64, but not whole blocks
        device.raw(1, 8, bytes(16)),  # whole blocks that do not decrypt
        device.raw(1, 8, b"3.3" + bytes(12)),  # a version header and nothing after it
        device.status(1, 8, {"1": True}) + b"\x00",  # a frame and the start of another
        device.status(1, 8, {"1": True})[:-1],
    ):
        _both_ways(version, data)


@pytest.mark.parametrize("version", ["3.1", "3.2", "3.3"])
def test_a_crc_frame_with_another_suffix_reads_the_same_either_way(version: Version) -> None:
    frame = PAIRS[version].device.status(1, 8, {"1": True})
    _both_ways(version, _resealed_55aa(frame, suffix=SUFFIX_55AA ^ 1))
    _both_ways(version, _resealed_55aa(frame, suffix=PREFIX_55AA))


def test_an_hmac_frame_too_short_for_its_footer_reads_the_same_either_way() -> None:
    frame = bytearray(PAIRS["3.4"].device.status(1, 8, {"1": True}))
    frame[12:16] = (39).to_bytes(4, "big")  # a length the footer cannot fit in
    _both_ways("3.4", bytes(frame[: 16 + 39]))


def test_a_gcm_frame_with_another_suffix_reads_the_same_either_way() -> None:
    frame = PAIRS["3.5"].device.status(1, 8, {"1": True})
    _both_ways("3.5", frame[:-1] + b"\x00")


@pytest.mark.parametrize("version", VERSIONS)
def test_a_push_is_read_in_one_step(version: Version) -> None:
    client = _pair(version).client
    assert (client.codec.session_key is None) == (version in ("3.1", "3.2", "3.3"))
    frame = PAIRS[version].device.status(1, 8, {"1": True})
    assert client.codec.open_reply(frame) is not None
    (event,) = client.receive_data(frame)
    assert isinstance(event, Push)
    assert event.dps == {"1": True}


@pytest.mark.parametrize("version", ["3.4", "3.5"])
def test_a_source_header_is_stripped_in_one_step_too(version: Version) -> None:
    header = version.encode() + bytes(4) + (0x7A).to_bytes(4, "big") + (1).to_bytes(4, "big")
    assert len(header) == VERSION_HEADER_LEN
    plain = header + b'{"dps":{"2":5}}'  # in the place of the version header
    device = PAIRS[version].device
    frame = device.raw(1, 8, device.codec.key.ecb_encrypt(plain) if version == "3.4" else plain)
    opened = _pair(version).client.codec.open_reply(frame)
    assert opened is not None
    assert opened[3] == b'{"dps":{"2":5}}'


# --- AesKey per-message calls ---------------------------------------------------------


@given(st.binary(max_size=80))
def test_ecb_seal_and_open_are_ecb_encrypt_and_decrypt(message: bytes) -> None:
    sealed = KEY.ecb_seal(message)
    assert sealed == KEY.ecb_encrypt(message)
    assert KEY.ecb_open(sealed) == KEY.ecb_decrypt(sealed) == message


@given(st.binary(max_size=64))
def test_ecb_open_is_none_where_ecb_decrypt_raises(data: bytes) -> None:
    try:
        want: bytes | None = KEY.ecb_decrypt(data)
    except WrongKeyError:
        want = None
    assert KEY.ecb_open(data) == want


@pytest.mark.parametrize("last", [0, 17, 255])
def test_ecb_open_refuses_impossible_padding(last: int) -> None:
    sealed = KEY.ecb_encrypt(bytes(15) + bytes([last]), pad=False)
    assert KEY.ecb_open(sealed) is None


class _Borrowed:
    """A cipher context that another thread is inside of, as cryptography reports it."""

    def update(self, data: bytes) -> bytes:
        raise RuntimeError("Already borrowed")


def test_ecb_seal_and_open_make_a_context_of_their_own_when_theirs_is_busy() -> None:
    key = AesKey(b"0123456789abcdef")
    sealed = key.ecb_encrypt(b"message")
    busy: Any = _Borrowed()
    key._ecb_encryptor = key._ecb_decryptor = busy
    assert key.ecb_seal(b"message") == sealed
    assert key.ecb_open(sealed) == b"message"


# --- GCM IVs --------------------------------------------------------------------------


def test_ivs_are_12_random_bytes_never_repeated_across_batches() -> None:
    ivs = [crypto.random_iv() for _ in range(3 * 341 + 5)]
    assert {len(iv) for iv in ivs} == {12}
    assert len(set(ivs)) == len(ivs)


def test_a_dropped_batch_is_followed_by_a_new_one() -> None:
    before = crypto.random_iv()
    crypto._IV_POOL.drop()  # what a forked child does first
    assert crypto.random_iv() != before


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_never_hands_out_its_parents_ivs() -> None:
    crypto.random_iv()  # a batch is under way
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next IVs, to the parent
        os.write(write, b"".join(crypto.random_iv() for _ in range(8)))
        os._exit(0)
    os.close(write)
    child = b""
    while len(child) < 96:
        chunk = os.read(read, 96)
        if not chunk:
            break
        child += chunk
    os.close(read)
    os.waitpid(pid, 0)
    parent = b"".join(crypto.random_iv() for _ in range(8))
    assert len(child) == 96
    assert {child[i : i + 12] for i in range(0, 96, 12)}.isdisjoint(
        parent[i : i + 12] for i in range(0, 96, 12)
    )
