"""AES-ECB/GCM, HMAC and CRC as the protocol uses them.

`AesKey` keeps the cipher objects of one key, so a session does its key schedule once
instead of once per frame.
"""

from __future__ import annotations

import contextlib
import os
import struct
import zlib
from collections.abc import Iterator
from hashlib import sha256
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from setsmart.protocol.constants import GCM_IV_LEN
from setsmart.protocol.errors import WRONG_KEY_HINT, WrongKeyError

if TYPE_CHECKING:
    from _hashlib import HASH

BLOCK = 16
_PADS = [bytes([n]) * n for n in range(BLOCK + 1)]
_SHA256_BLOCK = 64


# zlib's CRC32 (unsigned, nothing to mask): 180 ns for a frame here, against zlib-ng's
# 50, but zlib-ng's module and the gzip it imports hold 0.3 MB, and a command has about
# two frames to check.
crc32 = zlib.crc32

_IV = struct.Struct(f"{GCM_IV_LEN}s")
_IV_BATCH = 341  # IVs read from the OS at a time: 4092 bytes


class _IvPool:
    """Fresh random GCM IVs, read from os.urandom a batch at a time.

    One getrandom() call costs about as much as sealing a whole frame. Each IV is handed
    out once: next() on the C iterator is atomic under the GIL, and two threads that both
    find it empty each start a batch of their own. A forked child starts afresh, so that
    it never hands out the IVs its parent does.
    """

    __slots__ = ("_ivs",)

    def __init__(self) -> None:
        self._ivs: Iterator[tuple[Any, ...]] = iter(())
        os.register_at_fork(after_in_child=self.drop)

    def drop(self) -> None:
        self._ivs = iter(())

    def take(self) -> bytes:
        iv: bytes
        try:
            (iv,) = next(self._ivs)
        except StopIteration:
            self._ivs = ivs = _IV.iter_unpack(os.urandom(GCM_IV_LEN * _IV_BATCH))
            (iv,) = next(ivs)
        return iv


_IV_POOL = _IvPool()
random_iv = _IV_POOL.take
"""A fresh random 12-byte AES-GCM IV."""


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
    _hmac_inner: HASH
    _hmac_outer: HASH

    def __init__(self, raw: bytes) -> None:
        if len(raw) != BLOCK:
            raise ValueError(f"an AES key must be {BLOCK} bytes, got {len(raw)}")
        self.raw = raw
        # The ECB and GCM objects are made on first use, by __getattr__: together they
        # hold 5 KB of OpenSSL state, and no key needs both (a 3.3 or 3.4 key never uses
        # GCM, a 3.5 session key never uses ECB): with 1000 devices, 4 MB saved.
        # The HMAC's two hashes too: a 3.3 key never uses them.

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
        elif name in ("_hmac_inner", "_hmac_outer"):
            # HMAC (RFC 2104) with the two padded key blocks hashed once: hmac.digest sets
            # up a new OpenSSL HMAC context per call, which takes longer than hashing a frame.
            pad = 0x36 if name == "_hmac_inner" else 0x5C
            value = sha256(bytes(b ^ pad for b in raw.ljust(_SHA256_BLOCK, b"\0")))
        else:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        # Two threads may both get here: each uses its own object, the last one is kept.
        setattr(self, name, value)
        return value

    def __repr__(self) -> str:
        return "AesKey(<redacted>)"

    def drop_ciphers(self) -> None:
        """Free the cipher and HMAC objects made so far (their OpenSSL state with them);
        a later use makes them again. For a key that is done with, such as a 3.4/3.5
        local key once the session key is agreed."""
        for name in (
            "_ecb",
            "_ecb_encryptor",
            "_ecb_decryptor",
            "_gcm",
            "_hmac_inner",
            "_hmac_outer",
        ):
            with contextlib.suppress(AttributeError):  # never made
                delattr(self, name)

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

    def ecb_seal(self, data: bytes) -> bytes:
        """`ecb_encrypt(data)`, padded, as one plain call: the per-message path."""
        data += _PADS[BLOCK - len(data) % BLOCK]
        try:
            return self._ecb_encryptor.update(data)
        except RuntimeError:  # "Already borrowed"
            return self.ecb_encrypt(data, pad=False)

    def ecb_open(self, data: bytes) -> bytes | None:
        """`ecb_decrypt(data)`, or None where it would raise: the per-message path."""
        if not data or len(data) % BLOCK:
            return None
        try:
            plain = self._ecb_decryptor.update(data)
        except RuntimeError:  # "Already borrowed"
            plain = self.ecb_decrypt(data, unpad=False)
        n = plain[-1]
        if n > BLOCK or plain[-n:] != _PADS[n]:  # n = 0: plain[-0:] is all of it, not b""
            return None
        return plain[:-n]

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

    def gcm_open(self, iv: bytes, sealed: bytes, aad: bytes | None) -> bytes | None:
        """`gcm_decrypt`, or None where it would raise."""
        try:
            return self._gcm.decrypt(iv, sealed, aad)
        except InvalidTag:
            return None

    def gcm_decrypt(self, iv: bytes, sealed: bytes, aad: bytes | None) -> bytes:
        """Decrypt ciphertext followed by its tag."""
        try:
            return self._gcm.decrypt(iv, sealed, aad)
        except InvalidTag:
            raise WrongKeyError(f"AES-GCM tag check failed: {WRONG_KEY_HINT}") from None
