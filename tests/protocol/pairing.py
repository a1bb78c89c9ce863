"""Our two ends, connected in memory: the h11 way of testing a sans-IO protocol."""

from __future__ import annotations

from setsmart.protocol import ClientSession, DeviceSession, HandshakeComplete, Version

from .strategies import DEVICE_ID

KEY = b"0123456789abcdef"
CLIENT_NONCE = b"C" * 16
DEVICE_NONCE = b"D" * 16
NOW = 1_700_000_000.5


def client(
    version: Version,
    key: bytes = KEY,
    *,
    nonce: bytes = CLIENT_NONCE,
    device22: bool | None = None,
) -> ClientSession:
    """A client with a fixed nonce and clock."""
    return ClientSession(
        DEVICE_ID, key, version, nonce=lambda n: nonce[:n], clock=lambda: NOW, device22=device22
    )


def device(version: Version, key: bytes = KEY, *, nonce: bytes = DEVICE_NONCE) -> DeviceSession:
    """A device with a fixed nonce and clock."""
    return DeviceSession(DEVICE_ID, key, version, nonce=lambda n: nonce[:n], clock=lambda: NOW)


def connected(
    version: Version, *, device22: bool | None = None
) -> tuple[ClientSession, DeviceSession]:
    """A client and a device after the handshake (3.1-3.3: after start())."""
    ours, theirs = client(version, device22=device22), device(version)
    events = ours.start()
    if events != [HandshakeComplete()]:
        theirs.receive_data(ours.data_to_send())
        events = ours.receive_data(theirs.data_to_send())
        assert theirs.receive_data(ours.data_to_send()) == [HandshakeComplete()]
    assert events == [HandshakeComplete()]
    return ours, theirs
