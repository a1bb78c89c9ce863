"""No key, local or session, in any repr or error message the protocol produces."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from setsmart.protocol import (
    ClientSession,
    DeviceSession,
    NotReadyError,
    ProtocolError,
    Version,
    decode_datagram,
)
from setsmart.protocol.crypto import AesKey

from .strategies import DEVICE_ID, PROFILE, nonces, versions

# Real local keys are 16 printable ASCII characters.
printable_keys = st.text(
    string.ascii_letters + string.digits + string.punctuation, min_size=16, max_size=16
).map(str.encode)


def _texts(*objects: object) -> list[str]:
    """Every way the objects could reach a log line: repr and str, recursively for lists."""
    out: list[str] = []
    for obj in objects:
        if isinstance(obj, list):
            out += _texts(*obj)
        else:
            out += [repr(obj), str(obj)]
            error = getattr(obj, "error", None)
            if error is not None:
                out += [repr(error), str(error)]
    return out


def _assert_secret_free(texts: list[str], *keys: bytes) -> None:
    for key in keys:
        forms = [key.decode("latin1"), key.hex(), repr(key)[2:-1]]
        for text in texts:
            for form in forms:
                assert form not in text


def _not_ready(session: ClientSession) -> list[str]:
    try:
        session.query()
    except NotReadyError as exc:
        return [str(exc), repr(exc)]
    return []


@PROFILE
@given(
    version=versions,
    key=printable_keys,
    other=printable_keys,
    client_nonce=nonces,
    device_nonce=nonces,
)
def test_keys_never_show_in_reprs_or_errors(
    *, version: Version, key: bytes, other: bytes, client_nonce: bytes, device_nonce: bytes
) -> None:
    texts: list[str] = []
    client = ClientSession(DEVICE_ID, key, version, nonce=lambda n: client_nonce[:n])
    device = DeviceSession(DEVICE_ID, key, version, nonce=lambda n: device_nonce[:n])
    wrong = DeviceSession(DEVICE_ID, other, version)
    texts += _texts(client, device, wrong, client.codec.key, AesKey(key))
    texts += _not_ready(client)
    texts += _texts(client.start())
    start = client.data_to_send()
    texts += _texts(wrong.receive_data(start), wrong)  # the device holds another key
    texts += _texts(device.receive_data(start))
    texts += _texts(client.receive_data(device.data_to_send()), client)
    texts += _texts(device.receive_data(client.data_to_send()), device)
    session_key = client.codec.key.raw

    out = client.control({"1": True})
    corrupted = out.data[:-9] + bytes([out.data[-9] ^ 1]) + out.data[-8:]
    texts += _texts(device.receive_data(corrupted), device.receive_data(out.data))
    reply = device.reply(out.seqno, out.cmd, {"dps": {"1": True}})
    texts += _texts(client.receive_data(reply[:-9] + b"\x00" + reply[-8:]))
    texts += _texts(client.receive_data(DeviceSession(DEVICE_ID, other, version).reply(1, 8, {})))
    texts += _texts(client.receive_data(b"garbage" + reply), client)
    try:
        decode_datagram(reply)
    except ProtocolError as exc:
        texts += _texts(exc)

    _assert_secret_free(texts, key, other, session_key)


def test_the_check_above_would_see_a_key() -> None:
    key = b"SecretKey_123456"
    with pytest.raises(AssertionError):
        _assert_secret_free([f"AesKey({key!r})"], key)
    with pytest.raises(AssertionError):
        _assert_secret_free([key.hex()], key)
