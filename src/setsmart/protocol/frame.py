"""Frames on the wire: 55AA (CRC32 or HMAC-SHA256 footer) and 6699 (AES-GCM).

`encode_frame` builds one frame; `decode_frame` parses one from the start of a buffer and
checks its integrity; `FrameReader` cuts a TCP byte stream into frames, skipping over
garbage so that one bad frame never stalls the stream. Nothing here raises anything but
`ProtocolError` subclasses.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from enum import Enum
from typing import NamedTuple

from setsmart.protocol.constants import (
    CRC_LEN,
    GCM_IV_LEN,
    GCM_TAG_LEN,
    HEADER_55AA_LEN,
    HEADER_6699_LEN,
    HMAC_LEN,
    MAX_FRAME_LEN,
    PREFIX_55AA,
    PREFIX_55AA_BYTES,
    PREFIX_6699,
    PREFIX_6699_BYTES,
    RETCODE_LEN,
    SUFFIX_55AA_BYTES,
    SUFFIX_6699_BYTES,
    SUFFIX_LEN,
)
from setsmart.protocol.crypto import AesKey, crc32, random_iv
from setsmart.protocol.errors import (
    WRONG_KEY_HINT,
    ChecksumError,
    FrameError,
    ProtocolError,
    VersionMismatchError,
    WrongKeyError,
)

_HEADER_55AA = struct.Struct(">4I")
_HEADER_6699 = struct.Struct(">IHIII")
_U32 = struct.Struct(">I")


class Framing(Enum):
    """How a frame is sealed: by protocol version."""

    CRC = "55AA+CRC32"  # 3.1 to 3.3
    HMAC = "55AA+HMAC"  # 3.4
    GCM = "6699+GCM"  # 3.5


# Python 3.11 reads an Enum member through its class slowly (~0.1 us: EnumType's
# __getattr__ turns off CPython's fast path for class attributes), so the per-frame code
# below compares with these names instead.
_GCM = Framing.GCM
_HMAC = Framing.HMAC


class Frame(NamedTuple):
    """One frame. For 6699 frames `payload` is the decrypted plaintext after the retcode.

    A named tuple: immutable and hashable like a frozen dataclass, and made in half the
    time, which counts on a path that makes one per message.
    """

    seqno: int
    cmd: int
    payload: bytes
    retcode: int | None = None


def encode_frame(
    frame: Frame, framing: Framing, key: AesKey | None, iv: bytes | None = None
) -> bytes:
    """Build the bytes of `frame`. HMAC and GCM need `key`; GCM takes `iv` or a random one."""
    if framing is _GCM:
        if key is None:
            raise ValueError("6699 frames need a key")
        plain = frame.payload if frame.retcode is None else _U32.pack(frame.retcode) + frame.payload
        header = _HEADER_6699.pack(
            PREFIX_6699, 0, frame.seqno, frame.cmd, GCM_IV_LEN + len(plain) + GCM_TAG_LEN
        )
        iv = iv or random_iv()
        return header + iv + key.gcm_encrypt(iv, plain, header[4:]) + SUFFIX_6699_BYTES
    body = frame.payload if frame.retcode is None else _U32.pack(frame.retcode) + frame.payload
    footer_len = HMAC_LEN if framing is _HMAC else CRC_LEN
    data = (
        _HEADER_55AA.pack(PREFIX_55AA, frame.seqno, frame.cmd, len(body) + footer_len + SUFFIX_LEN)
        + body
    )
    if framing is _HMAC:
        if key is None:
            raise ValueError("HMAC frames need a key")
        return data + key.hmac(data) + SUFFIX_55AA_BYTES
    return data + _U32.pack(crc32(data)) + SUFFIX_55AA_BYTES


def decode_frame(
    buf: bytes, framing: Framing, key: AesKey | None, *, retcode: bool
) -> tuple[Frame | ProtocolError, int] | None:
    """Parse the frame at the start of `buf`.

    Returns None when more bytes are needed, else (frame or error, bytes consumed). The
    buffer must start with a prefix (`FrameReader` makes sure of that). `retcode` says
    whether frames in this direction carry one (device to client).
    """
    if len(buf) < 4:
        return None
    if buf.startswith(PREFIX_6699_BYTES):
        if framing is not _GCM:
            return _mismatch(buf, "a 6699 frame: the device speaks protocol 3.5")
        return _decode_6699(buf, key, retcode=retcode)
    if not buf.startswith(PREFIX_55AA_BYTES):
        return FrameError("data does not start with a frame prefix (000055AA or 00006699)"), len(
            buf
        )
    if framing is _GCM:
        return _mismatch(buf, "a 55AA frame: the device speaks protocol 3.1 to 3.4, not 3.5")
    return _decode_55aa(buf, framing, key, retcode=retcode)


def _mismatch(buf: bytes, what: str) -> tuple[ProtocolError, int]:
    return VersionMismatchError(f"expected the other framing but received {what}"), len(buf)


def _failed(error: ProtocolError, buf: bytes, total: int) -> tuple[ProtocolError, int]:
    """Skip a frame that failed its integrity check, but not a frame that starts inside it.

    A frame cut short by a faulty sender has a length field that reaches into the next
    frame, possibly to exactly its end, suffix included: resume at the first prefix
    inside the failed frame, if any, so that the next frame is not lost with it.
    """
    inner = (buf.find(prefix, 4, total) for prefix in (PREFIX_55AA_BYTES, PREFIX_6699_BYTES))
    return error, min((i for i in inner if i >= 0), default=total)


def _decode_55aa(
    buf: bytes, framing: Framing, key: AesKey | None, *, retcode: bool
) -> tuple[Frame | ProtocolError, int] | None:
    if len(buf) < HEADER_55AA_LEN:
        return None
    _, seqno, cmd, length = _HEADER_55AA.unpack_from(buf)
    footer_len = HMAC_LEN if framing is _HMAC else CRC_LEN
    least = (RETCODE_LEN if retcode else 0) + footer_len + SUFFIX_LEN
    if length > MAX_FRAME_LEN:
        return FrameError(f"frame length {length} is over the limit of {MAX_FRAME_LEN}"), 4
    if length < least:
        return FrameError(f"frame length {length} is too small (at least {least})"), 4
    total = HEADER_55AA_LEN + length
    if len(buf) < total:
        return None
    if buf[total - SUFFIX_LEN : total] != SUFFIX_55AA_BYTES:
        return FrameError("frame does not end in 0000AA55: truncated or corrupted"), 4
    body_end = total - SUFFIX_LEN - footer_len
    signed = buf[:body_end]
    footer = buf[body_end : total - SUFFIX_LEN]
    if framing is _HMAC:
        if key is None or key.hmac(signed) != footer:
            if _U32.unpack_from(buf, total - 8)[0] == crc32(buf[: total - 8]):
                return VersionMismatchError(
                    "the device answered with a CRC32 frame: it speaks 3.1 to 3.3, not 3.4"
                ), total
            return _failed(WrongKeyError(f"HMAC check failed: {WRONG_KEY_HINT}"), buf, total)
    elif _U32.unpack_from(footer)[0] != crc32(signed):
        return _failed(ChecksumError("CRC32 mismatch: frame corrupted in transit"), buf, total)
    start = HEADER_55AA_LEN
    code = None
    if retcode:
        code = _U32.unpack_from(buf, start)[0]
        start += RETCODE_LEN
    return Frame(seqno, cmd, buf[start:body_end], code), total


def _decode_6699(
    buf: bytes, key: AesKey | None, *, retcode: bool
) -> tuple[Frame | ProtocolError, int] | None:
    if len(buf) < HEADER_6699_LEN:
        return None
    _, _, seqno, cmd, length = _HEADER_6699.unpack_from(buf)
    if length > MAX_FRAME_LEN:
        return FrameError(f"frame length {length} is over the limit of {MAX_FRAME_LEN}"), 4
    if length < GCM_IV_LEN + GCM_TAG_LEN:
        return FrameError(f"frame length {length} is too small for IV and tag"), 4
    total = HEADER_6699_LEN + length + SUFFIX_LEN
    if len(buf) < total:
        return None
    if buf[total - SUFFIX_LEN : total] != SUFFIX_6699_BYTES:
        return FrameError("frame does not end in 00009966: truncated or corrupted"), 4
    if key is None:
        return WrongKeyError("a 6699 frame arrived but no key is set"), total
    iv = buf[HEADER_6699_LEN : HEADER_6699_LEN + GCM_IV_LEN]
    try:
        plain = key.gcm_decrypt(
            iv, buf[HEADER_6699_LEN + GCM_IV_LEN : total - SUFFIX_LEN], buf[4:HEADER_6699_LEN]
        )
    except WrongKeyError as exc:
        return _failed(exc, buf, total)
    code = None
    if retcode:
        if len(plain) < RETCODE_LEN:
            return FrameError("6699 frame too short to hold a return code"), total
        code = _U32.unpack_from(plain)[0]
        plain = plain[RETCODE_LEN:]
    return Frame(seqno, cmd, plain, code), total


class FrameReader:
    """Cuts a byte stream into frames; yields errors for what it had to skip."""

    __slots__ = ("framing", "key", "pending", "retcode")

    def __init__(self, framing: Framing, key: AesKey | None, *, retcode: bool) -> None:
        self.framing = framing
        self.key = key
        self.retcode = retcode
        self.pending = b""
        """Bytes held while waiting for the rest of a frame (read only)."""

    @property
    def buffered(self) -> int:
        """How many bytes are held while waiting for the rest of a frame."""
        return len(self.pending)

    def feed(self, data: bytes) -> list[Frame | ProtocolError]:
        """Every frame `data` completes, decoded with the key set now."""
        return list(self.frames(data))

    def frames(self, data: bytes) -> Iterator[Frame | ProtocolError]:
        """Like `feed`, but lazily: each frame is decoded only when the iterator reaches it.

        A session that switches keys after a frame (the 3.4/3.5 handshake) thus decodes
        the frames that followed it in the same read with the new key. `data` is taken
        at once, whether or not the iterator is consumed.
        """
        self.pending = self.pending + data if self.pending else data
        return self._decode_buffered()

    def _decode_buffered(self) -> Iterator[Frame | ProtocolError]:
        while self.pending:
            buf = self.pending
            start = _find_prefix(buf)
            if start:
                self.pending = buf = buf[start:]
                yield FrameError(f"skipped {start} bytes that are not a frame")
            if len(buf) < 4:
                return
            result = decode_frame(buf, self.framing, self.key, retcode=self.retcode)
            if result is None:
                return
            item, used = result
            self.pending = buf[used:]
            yield item


def _find_prefix(buf: bytes) -> int:
    """Offset of the first frame prefix, or where a partial one may begin at the end."""
    if buf.startswith((PREFIX_55AA_BYTES, PREFIX_6699_BYTES)):
        return 0
    hits = [i for i in (buf.find(PREFIX_55AA_BYTES), buf.find(PREFIX_6699_BYTES)) if i >= 0]
    if hits:
        return min(hits)
    # Keep a tail that may be the first bytes of a prefix split across reads.
    for keep in (3, 2, 1):
        if len(buf) >= keep and (
            PREFIX_55AA_BYTES.startswith(buf[-keep:]) or PREFIX_6699_BYTES.startswith(buf[-keep:])
        ):
            return len(buf) - keep
    return len(buf)
