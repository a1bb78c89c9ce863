"""AesKey keeps per-key state (ECB contexts, HMAC pads): no message may see another's."""

from __future__ import annotations

import hmac
import threading

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given
from hypothesis import strategies as st

from setsmart.protocol.crypto import AesKey
from setsmart.protocol.errors import WrongKeyError

RAW = b"0123456789abcdef"


def fresh_ecb(data: bytes, *, encrypt: bool) -> bytes:
    """What a new, finalized context gives: the reference for every message."""
    cipher = Cipher(algorithms.AES(RAW), modes.ECB())  # noqa: S305 (the protocol's cipher)
    ctx = cipher.encryptor() if encrypt else cipher.decryptor()
    return ctx.update(data) + ctx.finalize()


def padded(data: bytes) -> bytes:
    n = 16 - len(data) % 16
    return data + bytes([n]) * n


@given(st.lists(st.binary(max_size=80), min_size=1, max_size=8))
def test_each_message_is_sealed_as_if_alone(messages: list[bytes]) -> None:
    key = AesKey(RAW)
    for message in messages:
        sealed = key.ecb_encrypt(message)
        assert sealed == fresh_ecb(padded(message), encrypt=True)
        assert key.ecb_decrypt(sealed) == message


def test_rejected_unpadded_data_leaves_nothing_behind() -> None:
    key = AesKey(RAW)
    with pytest.raises(ValueError, match="whole blocks"):
        key.ecb_encrypt(b"abc", pad=False)
    block = bytes(range(16))
    assert key.ecb_encrypt(block, pad=False) == fresh_ecb(block, encrypt=True)


@pytest.mark.parametrize("bad", [b"", b"abc", bytes(17), fresh_ecb(bytes(16), encrypt=True)])
def test_failed_decryption_leaves_nothing_behind(bad: bytes) -> None:
    key = AesKey(RAW)
    with pytest.raises(WrongKeyError):
        key.ecb_decrypt(bad)  # too short, not whole blocks, or bad padding
    sealed = fresh_ecb(padded(b'{"dps":{"1":true}}'), encrypt=True)
    assert key.ecb_decrypt(sealed) == b'{"dps":{"1":true}}'


def test_unpadded_decryption_round_trips() -> None:
    key = AesKey(RAW)
    blocks = bytes(range(48))
    assert key.ecb_decrypt(key.ecb_encrypt(blocks, pad=False), unpad=False) == blocks


@given(st.binary(min_size=16, max_size=16), st.lists(st.binary(max_size=200), max_size=4))
def test_hmac_is_hmac_sha256(raw: bytes, messages: list[bytes]) -> None:
    key = AesKey(raw)
    for message in messages:  # the same key object, message after message
        assert key.hmac(message) == hmac.digest(raw, message, "sha256")


def test_one_key_serves_several_threads_at_once() -> None:
    # cryptography lets go of the GIL while it encrypts, and refuses ("Already
    # borrowed") a context another thread is inside: AesKey must still answer.
    key = AesKey(RAW)
    message = bytes(range(256)) * 256  # long enough for the threads to overlap
    sealed = fresh_ecb(padded(message), encrypt=True)
    results: list[bool] = []

    def work() -> None:
        results.extend(
            key.ecb_encrypt(message) == sealed and key.ecb_decrypt(sealed) == message
            for _ in range(200)
        )

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert results == [True] * 800


def _made(key: AesKey) -> set[str]:
    """The key's cipher objects that exist (read through the slots, making none)."""
    made = set()
    for name in AesKey.__slots__:
        try:
            AesKey.__dict__[name].__get__(key, AesKey)
        except AttributeError:
            continue
        made.add(name)
    return made - {"raw"}


def test_cipher_objects_are_made_only_when_first_used() -> None:
    # Each holds OpenSSL state (5 KB in all), and no key needs them all.
    key = AesKey(RAW)
    assert _made(key) == set()
    key.ecb_decrypt(key.ecb_encrypt(b"ecb only"))
    assert _made(key) == {"_ecb", "_ecb_encryptor", "_ecb_decryptor"}
    other = AesKey(RAW)
    other.gcm_decrypt(bytes(12), other.gcm_encrypt(bytes(12), b"gcm only", None), None)
    assert _made(other) == {"_gcm"}
    other.hmac(b"hmac too")
    assert _made(other) == {"_gcm", "_hmac_inner", "_hmac_outer"}
    with pytest.raises(AttributeError, match="no attribute '_nothing'"):
        _ = other._nothing


def test_dropped_cipher_objects_are_made_again_when_used() -> None:
    key = AesKey(RAW)
    sealed = key.ecb_encrypt(b"before")
    gcm = key.gcm_encrypt(bytes(12), b"gcm", None)
    mac = key.hmac(b"hmac")
    key.drop_ciphers()
    assert _made(key) == set()
    assert key.ecb_decrypt(sealed) == b"before"
    assert key.gcm_decrypt(bytes(12), gcm, None) == b"gcm"
    assert key.hmac(b"hmac") == mac
    key.drop_ciphers()
    key.drop_ciphers()  # nothing made: nothing to drop
    assert _made(key) == set()
