"""AES-ECB/GCM, HMAC and CRC as the protocol uses them.

`AesKey` keeps the cipher objects of one key, so a session does its key schedule once
instead of once per frame.
"""

from __future__ import annotations

import zlib
from hashlib import sha256

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from setsmart.protocol.errors import WRONG_KEY_HINT, WrongKeyError

BLOCK = 16
_PADS = [bytes([n]) * n for n in range(BLOCK + 1)]
_SHA256_BLOCK = 64


crc32 = zlib.crc32  # unsigned in Python 3: nothing to mask


class AesKey:
    """A 16-byte AES key with its ECB cipher, GCM cipher and HMAC-SHA256 ready to use."""

    __slots__ = (
        "_ecb",
        "_ecb_decryptor",
        "_ecb_encryptor",
        "_gcm",
        "_hmac_inner",
        "_hmac_outer",
        "raw",
    )

    _ecb: Cipher[modes.ECB]
    _ecb_encryptor: CipherContext
    _ecb_decryptor: CipherContext
    _gcm: AESGCM

    def __init__(self, raw: bytes) -> None:
        if len(raw) != BLOCK:
            raise ValueError(f"an AES key must be {BLOCK} bytes, got {len(raw)}")
        self.raw = raw
        # The ECB and GCM objects are made on first use, by __getattr__: together they
        # hold 5 KB of OpenSSL state, and no key needs both (a 3.3 or 3.4 key never uses
        # GCM, a 3.5 session key never uses ECB): with 1000 devices, 4 MB saved.
        # HMAC (RFC 2104) with the two padded key blocks hashed once: hmac.digest sets up
        # a new OpenSSL HMAC context per call, which takes longer than hashing a frame.
        block = raw.ljust(_SHA256_BLOCK, b"\0")
        self._hmac_inner = sha256(bytes(b ^ 0x36 for b in block))
        self._hmac_outer = sha256(bytes(b ^ 0x5C for b in block))

    def __getattr__(self, name: str) -> object:
        """Make the cipher object `name` (an unset slot) the first time it is used."""
        raw = self.raw
        value: object
        if name == "_ecb":
            value = Cipher(algorithms.AES(raw), modes.ECB())  # noqa: S305 (the protocol's cipher)
        elif name in ("_ecb_encryptor", "_ecb_decryptor"):
            # ECB keeps no state from one block to the next, so one context per direction
            # serves every message: creating one costs more than encrypting a frame. They
            # are never finalized, and only ever fed whole blocks, so no partial block is
            # ever held back to leak into the next message.
            value = self._ecb.encryptor() if name == "_ecb_encryptor" else self._ecb.decryptor()
        elif name == "_gcm":
            value = AESGCM(raw)
        else:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        # Two threads may both get here: each uses its own object, the last one is kept.
        setattr(self, name, value)
        return value

    def __repr__(self) -> str:
        return "AesKey(<redacted>)"

    def hmac(self, data: bytes) -> bytes:
        """HMAC-SHA256 of `data` under this key."""
        inner = self._hmac_inner.copy()
        inner.update(data)
        outer = self._hmac_outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def ecb_encrypt(self, data: bytes, *, pad: bool = True) -> bytes:
        if pad:
            data += _PADS[BLOCK - len(data) % BLOCK]
        elif len(data) % BLOCK:
            raise ValueError(f"unpadded ECB data must be whole blocks, got {len(data)} bytes")
        try:
            return self._ecb_encryptor.update(data)
        except RuntimeError:  # "Already borrowed": another thread is using it right now
            encryptor = self._ecb.encryptor()
            return encryptor.update(data) + encryptor.finalize()

    def ecb_decrypt(self, data: bytes, *, unpad: bool = True) -> bytes:
        """Decrypt; a length or padding that the right key cannot give is WrongKeyError."""
        if not data or len(data) % BLOCK:
            raise WrongKeyError(
                f"ciphertext of {len(data)} bytes is not whole AES blocks: {WRONG_KEY_HINT}"
            )
        try:
            plain = self._ecb_decryptor.update(data)
        except RuntimeError:  # "Already borrowed": another thread is using it right now
            decryptor = self._ecb.decryptor()
            plain = decryptor.update(data) + decryptor.finalize()
        if not unpad:
            return plain
        n = plain[-1]
        if not 1 <= n <= BLOCK or plain[-n:] != _PADS[n]:
            raise WrongKeyError(f"bad AES padding: {WRONG_KEY_HINT}")
        return plain[:-n]

    def gcm_encrypt(self, iv: bytes, plain: bytes, aad: bytes | None) -> bytes:
        """Return ciphertext followed by the 16-byte tag."""
        return self._gcm.encrypt(iv, plain, aad)

    def gcm_decrypt(self, iv: bytes, sealed: bytes, aad: bytes | None) -> bytes:
        """Decrypt ciphertext followed by its tag."""
        try:
            return self._gcm.decrypt(iv, sealed, aad)
        except InvalidTag:
            raise WrongKeyError(f"AES-GCM tag check failed: {WRONG_KEY_HINT}") from None
