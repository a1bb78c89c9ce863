"""Payload crypto by protocol version, for both directions.

| version  | sealing of a payload                                                          |
|----------|-------------------------------------------------------------------------------|
| 3.1      | plain JSON; CONTROL and STATUS: "3.1" + md5 signature + base64(AES-ECB(json)) |
| 3.2, 3.3 | AES-ECB(local key); commands with a version header get it in clear in front   |
| 3.4      | AES-ECB(session key) over [version header] + json; HMAC footer                |
| 3.5      | [version header] + json, sealed by the 6699 frame's AES-GCM                   |

Until a 3.4/3.5 session key is negotiated the real local key is used.
"""

from __future__ import annotations

import binascii
import struct
from collections.abc import Callable
from hashlib import md5
from typing import NamedTuple

from setsmart.protocol.constants import (
    MAX_FRAME_LEN,
    NO_VERSION_HEADER,
    PREFIX_55AA,
    PREFIX_6699,
    SUFFIX_55AA,
    SUFFIX_55AA_BYTES,
    SUFFIX_6699_BYTES,
    VERSION_HEADER_LEN,
    Command,
    Version,
    version_header,
)
from setsmart.protocol.crypto import BLOCK, AesKey, crc32, random_iv
from setsmart.protocol.errors import WRONG_KEY_HINT, WrongKeyError
from setsmart.protocol.frame import Frame, Framing

_HANDSHAKE = frozenset(
    {Command.SESS_KEY_NEG_START, Command.SESS_KEY_NEG_RESP, Command.SESS_KEY_NEG_FINISH}
)
_V31 = b"3.1"
_V31_SIGNED = frozenset({Command.CONTROL, Command.STATUS})
_V31_PREFIX_LEN = 3 + 16

_HEADER_55AA = struct.Struct(">4I")
_HEADER_RETCODE_55AA = struct.Struct(">5I")
_HEADER_6699 = struct.Struct(">IHIII")
_U32 = struct.Struct(">I")
_CRC_SUFFIX = struct.Struct(">II")
_CRC = Framing.CRC  # Enum members read through their class are slow (see frame.py)
_HMAC = Framing.HMAC

Reading = tuple[int, int, int, bytes]
"""A reply frame opened in one step: seqno, cmd, retcode and the payload's text."""


def framing_for(version: Version) -> Framing:
    if version == "3.5":
        return Framing.GCM
    if version == "3.4":
        return Framing.HMAC
    return Framing.CRC


def sign_v31(key: AesKey, body: bytes) -> bytes:
    """3.1 CONTROL: "3.1" + md5hex(b"data=" b64 b"||lpv=3.1||" key)[8:24] + b64."""
    b64 = binascii.b2a_base64(key.ecb_encrypt(body), newline=False)
    digest = md5(b"data=" + b64 + b"||lpv=3.1||" + key.raw).hexdigest()[8:24]  # noqa: S324 (protocol)
    return _V31 + digest.encode() + b64


class Opened(NamedTuple):
    """A payload after decryption: `text` is JSON or a device's error string.

    A named tuple, as immutable as a frozen dataclass and cheaper to make (one per frame).
    """

    text: bytes
    encrypted: bool


class PayloadCodec:
    """Seals payloads into frames and opens them again, for one version and key."""

    __slots__ = ("_header", "_session_key", "frame_key", "framing", "key", "local_key", "version")

    def __init__(self, version: Version, local_key: AesKey) -> None:
        self.version = version
        self.local_key = local_key
        self.framing = framing_for(version)
        self._header = version_header(version)
        self._session_key: AesKey | None = None
        # Plain attributes rather than properties: they are read for every frame.
        self.key = local_key
        """The key frames and payloads use now (follows `session_key`)."""
        self.frame_key = None if self.framing is Framing.CRC else local_key
        """The key HMAC and GCM frames are sealed with; None for CRC frames."""

    @property
    def session_key(self) -> AesKey | None:
        """The negotiated 3.4/3.5 key; once set, it replaces the local key."""
        return self._session_key

    @session_key.setter
    def session_key(self, key: AesKey | None) -> None:
        self._session_key = key
        self.key = key or self.local_key
        self.frame_key = None if self.framing is Framing.CRC else self.key

    def seal(self, cmd: int, body: bytes) -> bytes:
        """The frame payload for `body` (for 3.5: the plaintext the frame encrypts)."""
        header = b"" if cmd in NO_VERSION_HEADER else self._header
        version = self.version
        if version == "3.1":
            return sign_v31(self.key, body) if cmd in _V31_SIGNED else body
        if version == "3.5":
            return header + body
        if version == "3.4":
            return self.key.ecb_encrypt(header + body)
        return header + self.key.ecb_encrypt(body)

    def frame(self, seqno: int, cmd: int, body: bytes, retcode: int | None) -> bytes:
        """The whole frame carrying `body`, in one step: the same bytes as
        `encode_frame(Frame(seqno, cmd, self.seal(cmd, body), retcode), ...)` (per message,
        two layers of calls and a Frame cost more than the frame's own checksum)."""
        version = self.version
        key = self.key
        header = b"" if cmd in NO_VERSION_HEADER else self._header
        if version == "3.5":
            plain = header + body if retcode is None else _U32.pack(retcode) + header + body
            head = _HEADER_6699.pack(PREFIX_6699, 0, seqno, cmd, 28 + len(plain))
            iv = random_iv()
            return head + iv + key.gcm_encrypt(iv, plain, head[4:]) + SUFFIX_6699_BYTES
        if version == "3.4":
            payload = key.ecb_seal(header + body)
            if retcode is not None:
                payload = _U32.pack(retcode) + payload
            data = _HEADER_55AA.pack(PREFIX_55AA, seqno, cmd, len(payload) + 36) + payload
            return data + key.hmac(data) + SUFFIX_55AA_BYTES
        if version == "3.1":
            payload = sign_v31(key, body) if cmd in _V31_SIGNED else body
        else:
            payload = header + key.ecb_seal(body)
        if retcode is not None:
            payload = _U32.pack(retcode) + payload
        data = _HEADER_55AA.pack(PREFIX_55AA, seqno, cmd, len(payload) + 8) + payload
        return data + _CRC_SUFFIX.pack(crc32(data), SUFFIX_55AA)

    def open_reply(self, data: bytes) -> Reading | None:
        """`data` opened as (seqno, cmd, retcode, text) when it is exactly one intact frame
        from the device whose payload decrypts, in one step; None for anything else.

        The common case of a read: what decode_frame and `open` give for it, sooner. None
        leaves everything unusual (a partial frame or several, failed checks, clear error
        texts, another version's framing) to them, from the start.
        """
        return self.reply_opener()(data)

    def reply_opener(self) -> Callable[[bytes], Reading | None]:
        """`open_reply` of this codec's framing, for a caller to keep (one call less)."""
        framing = self.framing
        if framing is _CRC:
            return self._open_crc_reply
        if framing is _HMAC:
            return self._open_hmac_reply
        return self._open_gcm_reply

    def _open_crc_reply(self, data: bytes) -> Reading | None:
        n = len(data)
        if n < 28:  # header, retcode, CRC, suffix
            return None
        prefix, seqno, cmd, length, retcode = _HEADER_RETCODE_55AA.unpack_from(data)
        end = n - 8
        crc, suffix = _CRC_SUFFIX.unpack_from(data, end)
        if prefix != PREFIX_55AA or length + 16 != n or length > MAX_FRAME_LEN:
            return None
        if suffix != SUFFIX_55AA or crc != crc32(data[:end]):
            return None
        if self.version == "3.1":
            payload = data[20:end]
            if not payload.startswith(_V31):
                return seqno, cmd, retcode, payload
            try:
                raw = binascii.a2b_base64(payload[_V31_PREFIX_LEN:], strict_mode=True)
            except binascii.Error:
                return None
        else:
            # A version header in clear leaves the length 15 more than whole blocks.
            start = 20
            if (end - 20) % BLOCK == VERSION_HEADER_LEN and data[20:22] == b"3.":
                start = 20 + VERSION_HEADER_LEN
            if start == end:
                return seqno, cmd, retcode, b""
            raw = data[start:end]
        text = self.key.ecb_open(raw)
        return None if text is None else (seqno, cmd, retcode, text)

    def _open_hmac_reply(self, data: bytes) -> Reading | None:
        n = len(data)
        if n < 56:  # header, retcode, HMAC, suffix
            return None
        prefix, seqno, cmd, length, retcode = _HEADER_RETCODE_55AA.unpack_from(data)
        if prefix != PREFIX_55AA or length + 16 != n or length > MAX_FRAME_LEN:
            return None
        key = self.key
        end = n - 36
        if data[-4:] != SUFFIX_55AA_BYTES or key.hmac(data[:end]) != data[end:-4]:
            return None
        payload = data[20:end]
        if not payload:
            return seqno, cmd, retcode, payload
        text = key.ecb_open(payload)
        if text is None:
            return None
        if text[:2] == b"3." and len(text) >= VERSION_HEADER_LEN and cmd not in _HANDSHAKE:
            text = text[VERSION_HEADER_LEN:]
        return seqno, cmd, retcode, text

    def _open_gcm_reply(self, data: bytes) -> Reading | None:
        n = len(data)
        if n < 54:  # header, IV, retcode, tag, suffix
            return None
        prefix, _, seqno, cmd, length = _HEADER_6699.unpack_from(data)
        if prefix != PREFIX_6699 or length + 22 != n or length > MAX_FRAME_LEN:
            return None
        if data[-4:] != SUFFIX_6699_BYTES:
            return None
        plain = self.key.gcm_open(data[18:30], data[30:-4], data[4:18])
        if plain is None:
            return None
        (retcode,) = _U32.unpack_from(plain)
        if plain[4:6] == b"3." and len(plain) >= 4 + VERSION_HEADER_LEN and cmd not in _HANDSHAKE:
            return seqno, cmd, retcode, plain[4 + VERSION_HEADER_LEN :]
        return seqno, cmd, retcode, plain[4:]

    def open(self, frame: Frame) -> Opened:
        """Decrypt a frame's payload and strip any version or source header."""
        data = frame.payload
        version = self.version
        if not data:
            return Opened(b"", encrypted=False)
        if version == "3.1":
            if not data.startswith(_V31):
                return Opened(data, encrypted=False)
            try:
                raw = binascii.a2b_base64(data[_V31_PREFIX_LEN:], strict_mode=True)
            except binascii.Error:
                raise WrongKeyError(f"3.1 payload is not valid base64: {WRONG_KEY_HINT}") from None
            return Opened(self.key.ecb_decrypt(raw), encrypted=True)
        if version == "3.5":
            plain = data
        elif version == "3.4":
            opened = self._decrypt_or_clear(data)
            if not opened.encrypted:
                return opened
            plain = opened.text
        else:
            return self._open_v33(data)
        if frame.cmd in _HANDSHAKE:  # nonces are binary: never mistake them for a header
            return Opened(plain, encrypted=True)
        return Opened(_strip_header(plain), encrypted=True)

    def _open_v33(self, data: bytes) -> Opened:
        # A clear header leaves the length 15 more than whole blocks.
        if len(data) % BLOCK == VERSION_HEADER_LEN and data[:2] == b"3.":
            data = data[VERSION_HEADER_LEN:]
        return self._decrypt_or_clear(data)

    def _decrypt_or_clear(self, data: bytes) -> Opened:
        """AES-ECB decrypt, unless the payload is an error text the device sent in clear.

        Devices answer some errors in clear ("data format error"). A payload that is not
        whole blocks cannot be ciphertext; one that is whole blocks but does not decrypt
        and is all printable ASCII is a clear text too (ciphertext is that by chance with
        odds of about 1e-7 per block), not a sign of a wrong key.
        """
        if len(data) % BLOCK == 0:
            try:
                return Opened(self.key.ecb_decrypt(data), encrypted=True)
            except WrongKeyError:
                if not printable(data):
                    raise
        return Opened(data, encrypted=False)


def printable(text: bytes) -> bool:
    """Only printable ASCII: what device error texts are made of."""
    return all(0x20 <= b < 0x7F for b in text)


def _strip_header(plain: bytes) -> bytes:
    """Drop a version header or a source header ("3.x" + crc + seq + source id)."""
    if plain[:2] == b"3." and len(plain) >= VERSION_HEADER_LEN:
        return plain[VERSION_HEADER_LEN:]
    return plain
