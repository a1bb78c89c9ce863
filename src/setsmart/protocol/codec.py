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

import base64
import binascii
from hashlib import md5
from typing import NamedTuple

from setsmart.protocol.constants import (
    NO_VERSION_HEADER,
    VERSION_HEADER_LEN,
    Command,
    Version,
    version_header,
)
from setsmart.protocol.crypto import BLOCK, AesKey
from setsmart.protocol.errors import WRONG_KEY_HINT, WrongKeyError
from setsmart.protocol.frame import Frame, Framing

_HANDSHAKE = frozenset(
    {Command.SESS_KEY_NEG_START, Command.SESS_KEY_NEG_RESP, Command.SESS_KEY_NEG_FINISH}
)
_V31 = b"3.1"
_V31_SIGNED = frozenset({Command.CONTROL, Command.STATUS})
_V31_PREFIX_LEN = 3 + 16


def framing_for(version: Version) -> Framing:
    if version == "3.5":
        return Framing.GCM
    if version == "3.4":
        return Framing.HMAC
    return Framing.CRC


def sign_v31(key: AesKey, body: bytes) -> bytes:
    """3.1 CONTROL: "3.1" + md5hex(b"data=" b64 b"||lpv=3.1||" key)[8:24] + b64."""
    b64 = base64.b64encode(key.ecb_encrypt(body))
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
                raw = base64.b64decode(data[_V31_PREFIX_LEN:], validate=True)
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
