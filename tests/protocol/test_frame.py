"""Frames: encode_frame, decode_frame and FrameReader, case by case."""

from __future__ import annotations

import pytest

from setsmart.protocol import (
    ChecksumError,
    FrameError,
    ProtocolError,
    VersionMismatchError,
    WrongKeyError,
)
from setsmart.protocol.constants import MAX_FRAME_LEN, PREFIX_55AA_BYTES, PREFIX_6699_BYTES
from setsmart.protocol.crypto import AesKey
from setsmart.protocol.frame import Frame, FrameReader, Framing, decode_frame, encode_frame

KEY = AesKey(b"0123456789abcdef")
OTHER_KEY = AesKey(b"fedcba9876543210")
ALL_FRAMINGS = list(Framing)


def _decode(
    data: bytes, framing: Framing, key: AesKey | None = KEY, *, retcode: bool = True
) -> tuple[Frame | ProtocolError, int]:
    """decode_frame for data that holds a whole frame (or an error)."""
    result = decode_frame(data, framing, key, retcode=retcode)
    assert result is not None
    return result


@pytest.mark.parametrize("framing", ALL_FRAMINGS)
@pytest.mark.parametrize("retcode", [None, 0, 1, 0xFFFFFFFF])
def test_a_frame_decodes_to_itself(framing: Framing, retcode: int | None) -> None:
    frame = Frame(0xFFFFFFFF, 13, b'{"dps":{"1":true}}', retcode)
    data = encode_frame(frame, framing, KEY)
    assert _decode(data, framing, retcode=retcode is not None) == (frame, len(data))


def test_55aa_lengths_and_footers_are_as_protocol_md_says() -> None:
    crc = encode_frame(Frame(1, 10, b"abc", 0), Framing.CRC, None)
    hmac = encode_frame(Frame(1, 10, b"abc", 0), Framing.HMAC, KEY)
    assert int.from_bytes(crc[12:16], "big") == 4 + 3 + 4 + 4
    assert int.from_bytes(hmac[12:16], "big") == 4 + 3 + 32 + 4
    assert hmac[-36:-4] == KEY.hmac(hmac[:-36])


def test_6699_frames_use_the_given_iv_and_the_header_as_aad() -> None:
    data = encode_frame(Frame(7, 8, b"{}", 0), Framing.GCM, KEY, b"0123456789ab")
    assert data[:6] == PREFIX_6699_BYTES + b"\x00\x00"
    assert data[18:30] == b"0123456789ab"
    assert int.from_bytes(data[14:18], "big") == 12 + 4 + 2 + 16
    tampered = data[:5] + b"\x01" + data[6:]  # the reserved u16 is authenticated too
    assert isinstance(_decode(tampered, Framing.GCM)[0], WrongKeyError)


def test_6699_frames_get_a_fresh_iv_each() -> None:
    frame = Frame(1, 3, b"nonce")
    assert encode_frame(frame, Framing.GCM, KEY) != encode_frame(frame, Framing.GCM, KEY)


@pytest.mark.parametrize("framing", [Framing.HMAC, Framing.GCM])
def test_sealed_framings_need_a_key(framing: Framing) -> None:
    with pytest.raises(ValueError, match="need a key"):
        encode_frame(Frame(1, 10, b"{}"), framing, None)


def test_a_6699_frame_without_a_key_to_open_it_is_a_wrong_key() -> None:
    data = encode_frame(Frame(1, 10, b"{}"), Framing.GCM, KEY)
    error, used = _decode(data, Framing.GCM, None, retcode=False)
    assert isinstance(error, WrongKeyError)
    assert used == len(data)


@pytest.mark.parametrize("framing", ALL_FRAMINGS)
def test_incomplete_data_waits_for_more(framing: Framing) -> None:
    data = encode_frame(Frame(1, 10, b"{}", 0), framing, KEY)
    for cut in (0, 3, 4, 15, 17, len(data) - 1):
        assert decode_frame(data[:cut], framing, KEY, retcode=True) is None


def test_data_without_a_prefix_is_a_frame_error() -> None:
    error, used = _decode(b"\x01\x02\x03\x04\x05", Framing.CRC)
    assert isinstance(error, FrameError)
    assert used == 5


@pytest.mark.parametrize(
    ("framing", "prefix", "length", "message"),
    [
        (Framing.CRC, PREFIX_55AA_BYTES, MAX_FRAME_LEN + 1, "over the limit"),
        (Framing.CRC, PREFIX_55AA_BYTES, 11, "too small"),
        (Framing.HMAC, PREFIX_55AA_BYTES, 39, "too small"),
        (Framing.GCM, PREFIX_6699_BYTES, MAX_FRAME_LEN + 1, "over the limit"),
        (Framing.GCM, PREFIX_6699_BYTES, 27, "too small for IV and tag"),
    ],
)
def test_impossible_length_fields_skip_only_the_prefix(
    framing: Framing, prefix: bytes, length: int, message: str
) -> None:
    fields = b"\x00\x00" + bytes(8) if prefix == PREFIX_6699_BYTES else bytes(8)
    error, used = _decode(prefix + fields + length.to_bytes(4, "big") + bytes(64), framing)
    assert isinstance(error, FrameError)
    assert message in str(error)
    assert used == 4


@pytest.mark.parametrize("framing", ALL_FRAMINGS)
def test_a_wrong_suffix_is_a_truncated_frame(framing: Framing) -> None:
    data = encode_frame(Frame(1, 10, b"{}", 0), framing, KEY)
    error, used = _decode(data[:-1] + b"\x00", framing)
    assert isinstance(error, FrameError)
    assert "truncated" in str(error)
    assert used == 4


def test_a_corrupted_crc_frame_is_a_checksum_error() -> None:
    data = bytearray(encode_frame(Frame(1, 10, b"{}", 0), Framing.CRC, None))
    data[21] ^= 0x40
    error, used = _decode(bytes(data), Framing.CRC)
    assert isinstance(error, ChecksumError)
    assert used == len(data)


@pytest.mark.parametrize("framing", [Framing.HMAC, Framing.GCM])
def test_a_frame_sealed_with_another_key_is_a_wrong_key(framing: Framing) -> None:
    data = encode_frame(Frame(1, 10, b"{}", 0), framing, OTHER_KEY)
    error, used = _decode(data, framing)
    assert isinstance(error, WrongKeyError)
    assert "probable wrong local key" in str(error)
    assert used == len(data)


@pytest.mark.parametrize(
    ("framing", "sent_as"),
    [(Framing.CRC, Framing.GCM), (Framing.HMAC, Framing.GCM), (Framing.GCM, Framing.CRC)],
)
def test_the_other_prefix_is_a_version_mismatch(framing: Framing, sent_as: Framing) -> None:
    data = encode_frame(Frame(1, 10, b"{}", 0), sent_as, KEY)
    error, used = _decode(data + b"more", framing)
    assert isinstance(error, VersionMismatchError)
    assert used == len(data) + 4


def test_a_crc_frame_where_hmac_is_expected_is_a_version_mismatch() -> None:
    data = encode_frame(Frame(1, 3, bytes(32), 1), Framing.CRC, None)
    error, used = _decode(data, Framing.HMAC)
    assert isinstance(error, VersionMismatchError)
    assert "CRC32" in str(error)
    assert used == len(data)


def test_a_6699_frame_too_short_for_its_retcode_is_a_frame_error() -> None:
    data = encode_frame(Frame(1, 10, b"ab"), Framing.GCM, KEY)
    error, used = _decode(data, Framing.GCM, retcode=True)
    assert isinstance(error, FrameError)
    assert "return code" in str(error)
    assert used == len(data)


def test_a_failed_frame_does_not_swallow_the_frame_that_starts_inside_it() -> None:
    valid = encode_frame(Frame(2, 10, b'{"ok":1}', 0), Framing.CRC, None)
    long = encode_frame(Frame(1, 10, b"x" * 100, 0), Framing.CRC, None)
    cut = long[: len(long) - len(valid)]  # its length field now ends at valid's suffix
    error, used = _decode(cut + valid, Framing.CRC)
    assert isinstance(error, ChecksumError)
    assert used == len(cut)
    assert _decode((cut + valid)[used:], Framing.CRC) == (Frame(2, 10, b'{"ok":1}', 0), len(valid))


# --- FrameReader ------------------------------------------------------------------------


def test_the_reader_reassembles_frames_split_byte_by_byte() -> None:
    frames = [Frame(n, 8, b'{"n":%d}' % n, 0) for n in range(3)]
    data = b"".join(encode_frame(f, Framing.HMAC, KEY) for f in frames)
    reader = FrameReader(Framing.HMAC, KEY, retcode=True)
    out = [item for byte in data for item in reader.feed(bytes([byte]))]
    assert out == frames
    assert reader.buffered == 0


def test_the_reader_reports_skipped_garbage_and_resyncs() -> None:
    frame = Frame(5, 10, b"{}", 0)
    reader = FrameReader(Framing.CRC, None, retcode=True)
    out = reader.feed(b"garbage!" + encode_frame(frame, Framing.CRC, None) + b"tail")
    assert isinstance(out[0], FrameError)
    assert "skipped 8 bytes" in str(out[0])
    assert out[1] == frame
    assert isinstance(out[2], FrameError)
    assert reader.buffered == 0


def test_the_reader_keeps_a_prefix_split_across_reads() -> None:
    frame = Frame(5, 10, b"{}", 0)
    data = encode_frame(frame, Framing.CRC, None)
    reader = FrameReader(Framing.CRC, None, retcode=True)
    for keep in (1, 2, 3):
        first = reader.feed(b"junk" + data[:keep])
        assert [type(item) for item in first] == [FrameError]
        assert reader.buffered == keep
        assert reader.feed(data[keep:]) == [frame]


def test_the_reader_holds_a_frame_of_the_maximum_length_until_it_is_complete() -> None:
    frame = Frame(1, 10, bytes(MAX_FRAME_LEN - 12), 0)
    data = encode_frame(frame, Framing.CRC, None)
    assert int.from_bytes(data[12:16], "big") == MAX_FRAME_LEN
    reader = FrameReader(Framing.CRC, None, retcode=True)
    assert reader.feed(data[:-1]) == []
    assert reader.buffered == len(data) - 1
    assert reader.feed(data[-1:]) == [frame]


def test_the_reader_uses_the_key_it_is_given_later() -> None:
    frame = Frame(1, 10, b"{}", 0)
    reader = FrameReader(Framing.HMAC, KEY, retcode=True)
    reader.key = OTHER_KEY
    assert reader.feed(encode_frame(frame, Framing.HMAC, OTHER_KEY)) == [frame]
