"""The other end of every wire, built only from tinytuya 1.20's own functions.

tinytuya is a client, so the client side is tinytuya itself (`Device`, `_encode_message`,
`_decode_payload`, the session-key steps). tinytuya has no device side: `device_frame`
and `TinytuyaDeviceHandshake` build one from its primitives (`pack_message`, `AESCipher`,
`unpack_message`, `_negotiate_session_key_generate_finalize`), doing what a real device
does according to the captures.
"""

from __future__ import annotations

import hmac
import struct
import sys
import time
from collections.abc import Callable
from hashlib import md5, sha256
from types import SimpleNamespace
from typing import Any, cast
from unittest import mock

import tinytuya
from tinytuya.core import header as tt_header
from tinytuya.core import message_helper
from tinytuya.core.crypto_helper import AESCipher
from tinytuya.core.message_helper import (
    MessagePayload,
    TuyaMessage,
    pack_message,
    parse_header,
    unpack_message,
)
from tinytuya.core.udp_helper import decrypt_udp, udpkey

from setsmart.protocol import (
    ClientSession,
    DeviceEvent,
    DeviceSession,
    HandshakeComplete,
    Request,
    Version,
)

from .strategies import DEVICE_ID, Link

__all__ = [
    "PREFIX_55AA",
    "PREFIX_6699",
    "UDP_KEY",
    "AESCipher",
    "LoopbackSocket",
    "MessagePayload",
    "TinytuyaDeviceHandshake",
    "TuyaMessage",
    "decrypt_udp",
    "device_beacon",
    "device_frame",
    "pack_message",
    "parse_header",
    "ready_client",
    "ready_device",
    "tt_client",
    "tt_decode",
    "tt_encode",
    "tt_generate",
    "tt_negotiate",
    "tt_open_plain",
    "tt_unpack",
]

UDP_KEY: bytes = udpkey
TT_NO_HEADER_CMDS: frozenset[int] = frozenset(tt_header.NO_PROTOCOL_HEADER_CMDS)
PREFIX_55AA = tt_header.PREFIX_55AA_VALUE
PREFIX_6699 = tt_header.PREFIX_6699_VALUE

# tinytuya refuses frames whose length field is over 1440 bytes (a desync guard in
# parse_header); our bodies go up to ~1400 bytes, which with header, padding, retcode and
# HMAC comes to ~1470, so the reference reads them with the guard raised.
_TT_SIZE_GUARD = 16384


def tt_client(version: Version, local_key: bytes, device_id: str = DEVICE_ID) -> Any:
    """A tinytuya `Device` for `version`, never connected."""
    key = local_key.decode("latin1")
    if version != "3.2":
        return tinytuya.Device(device_id, "127.0.0.1", key, version=float(version))
    # set_version(3.2) probes the device's DPs over the network unless some are set.
    device = tinytuya.Device(device_id, "127.0.0.1", key, version=3.3)
    device.dps_to_request = {"1": None}
    device.set_version(3.2)
    return device


def tt_encode(device: Any, seqno: int, cmd: int, body: bytes) -> bytes:
    """What tinytuya sends for (cmd, body) as request number `seqno`."""
    device.seqno = seqno
    return cast(bytes, device._encode_message(MessagePayload(cmd, body)))


def tt_generate(device: Any, command: int, data: object, t: float) -> Any:
    """tinytuya's `generate_payload` with its clock stopped at `t` (a MessagePayload)."""
    module = sys.modules["tinytuya.core.XenonDevice"]
    with mock.patch.object(module, "time", SimpleNamespace(time=lambda: t)):
        return device.generate_payload(command, data)


def tt_unpack(data: bytes, version: Version, key: bytes, *, retcode: bool) -> Any:
    """tinytuya's `unpack_message` as its `_receive` calls it (client frames: no retcode)."""
    hmac_key = key if version in ("3.4", "3.5") else None
    with mock.patch.object(message_helper, "MAX_PAYLOAD_LENGTH", _TT_SIZE_GUARD):
        header = parse_header(data)
    return unpack_message(data, hmac_key=hmac_key, header=header, no_retcode=not retcode)


def tt_decode(device: Any, payload: bytes) -> Any:
    """tinytuya's `_decode_payload`: the JSON it reads from a frame payload."""
    return device._decode_payload(payload)


def tt_open_plain(version: Version, key: bytes, cmd: int, payload: bytes) -> bytes:
    """The plaintext of an unpacked payload, by tinytuya's rules, as bytes.

    `_decode_payload` turns an empty or non-JSON plaintext into an error dict, so this
    does its decryption steps only, for comparing bytes.
    """
    cipher = AESCipher(key)
    header = version.encode() + tt_header.PROTOCOL_3x_HEADER
    if version == "3.1":
        if payload.startswith(tt_header.PROTOCOL_VERSION_BYTES_31):
            return cast(bytes, cipher.decrypt(payload[3 + 16 :], decode_text=False))
        return payload
    if version == "3.4":
        payload = cipher.decrypt(payload, False, decode_text=False, verify_padding=True)
    if cmd not in TT_NO_HEADER_CMDS and payload.startswith(header[:3]):
        payload = payload[len(header) :]
    if version in ("3.2", "3.3"):
        payload = cipher.decrypt(payload, False, decode_text=False, verify_padding=True)
    return payload


def device_frame(
    version: Version,
    key: bytes,
    seqno: int,
    cmd: int,
    body: bytes,
    *,
    retcode: int = 0,
    iv: bytes | None = None,
) -> bytes:
    """A device-to-client frame as a real device of `version` sends it.

    `key` is the local key (3.1-3.3, handshake) or the session key (3.4/3.5). 3.1
    CONTROL and STATUS payloads are sealed the way tinytuya's 3.1 CONTROL is; `iv` is the
    3.5 GCM nonce (random if not given).
    """
    cipher = AESCipher(key)
    header = b"" if cmd in TT_NO_HEADER_CMDS else version.encode() + tt_header.PROTOCOL_3x_HEADER
    if version == "3.5":
        message = TuyaMessage(seqno, cmd, retcode, header + body, 0, True, PREFIX_6699, iv or True)
        return cast(bytes, pack_message(message, hmac_key=key))
    if version == "3.4":
        payload = cipher.encrypt(header + body, False)
    elif version in ("3.2", "3.3"):
        payload = header + cipher.encrypt(body, False)
    elif cmd in (7, 8):
        b64 = cipher.encrypt(body)
        digest = md5(b"data=" + b64 + b"||lpv=3.1||" + key).hexdigest()  # noqa: S324
        payload = b"3.1" + digest[8:][:16].encode("latin1") + b64
    else:
        payload = body
    message = TuyaMessage(
        seqno, cmd, None, struct.pack(">I", retcode) + payload, 0, True, PREFIX_55AA, False
    )
    return cast(bytes, pack_message(message, hmac_key=key if version == "3.4" else None))


def device_beacon(version: Version, body: bytes, cmd: int | None = None) -> bytes:
    """A discovery broadcast as devices send it, built with tinytuya's packer and UDP key."""
    retcode = struct.pack(">I", 0)
    if version == "3.1":
        message = TuyaMessage(0, cmd or 0, None, retcode + body, 0, True, PREFIX_55AA, False)
        return cast(bytes, pack_message(message))
    if version == "3.5":
        message = TuyaMessage(0, cmd or 0x13, 0, body, 0, True, PREFIX_6699, True)
        return cast(bytes, pack_message(message, hmac_key=UDP_KEY))
    payload = retcode + AESCipher(UDP_KEY).encrypt(body, False)
    message = TuyaMessage(0, cmd or 0x13, None, payload, 0, True, PREFIX_55AA, False)
    return cast(bytes, pack_message(message))


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, sha256).digest()


class TinytuyaDeviceHandshake:
    """The device role of the 3.4/3.5 negotiation, from tinytuya's primitives.

    Reads START and FINISH with `unpack_message`/`AESCipher`, answers with a RESP built by
    `device_frame`, and derives the session key with tinytuya's own
    `_negotiate_session_key_generate_finalize` (fed the two nonces).
    """

    def __init__(self, version: Version, local_key: bytes, device_nonce: bytes) -> None:
        self.version = version
        self.local_key = local_key
        self.device_nonce = device_nonce
        self.client_nonce = b""
        self.session_key = b""

    def _payload(self, data: bytes, cmd: int) -> bytes:
        message = tt_unpack(data, self.version, self.local_key, retcode=False)
        if not message.crc_good or message.cmd != cmd:
            raise AssertionError(f"tinytuya rejects the frame: {message!r}")
        if self.version == "3.4":
            return cast(bytes, AESCipher(self.local_key).decrypt(message.payload, False, False))
        return cast(bytes, message.payload)

    def respond(self, start: bytes, seqno: int = 1) -> bytes:
        """Read START, return RESP (device nonce + HMAC of the client nonce)."""
        self.client_nonce = self._payload(start, 3)
        proof = self.device_nonce + _hmac(self.local_key, self.client_nonce)
        return device_frame(self.version, self.local_key, seqno, 4, proof)

    def finish(self, finish: bytes) -> None:
        """Check FINISH's proof and derive the session key the tinytuya way."""
        if self._payload(finish, 5) != _hmac(self.local_key, self.device_nonce):
            raise AssertionError("FINISH proof does not match")
        derive = tt_client(self.version, self.local_key)
        derive.local_nonce, derive.remote_nonce = self.client_nonce, self.device_nonce
        derive._negotiate_session_key_generate_finalize()
        self.session_key = derive.local_key


def tt_negotiate(device: Any, session: DeviceSession, client_nonce: bytes) -> list[DeviceEvent]:
    """Run tinytuya's client steps 1, 3 and finalize against our device session."""
    device._negotiate_session_key_generate_step_1()
    device.local_nonce = client_nonce  # step 1 draws it from os.urandom; pin it
    events = session.receive_data(
        device._encode_message(MessagePayload(3, client_nonce))  # step 1's message
    )
    resp = tt_unpack(session.data_to_send(), session.version, device.local_key, retcode=True)
    step3 = device._negotiate_session_key_generate_step_3(resp)
    if not step3:
        raise AssertionError("tinytuya refused our handshake reply")
    events += session.receive_data(device._encode_message(step3))
    device._negotiate_session_key_generate_finalize()
    return events


Responder = Callable[[Request], bytes]


class LoopbackSocket:
    """Just enough of a socket for tinytuya's `_send_receive` to talk to our DeviceSession."""

    def __init__(self, session: DeviceSession, respond: Responder) -> None:
        self.session = session
        self.respond = respond
        self.inbox = b""

    def sendall(self, data: bytes) -> None:
        for event in self.session.receive_data(data):
            if isinstance(event, Request):
                self.inbox += self.respond(event)
        self.inbox += self.session.data_to_send()

    def recv(self, size: int) -> bytes:
        out, self.inbox = self.inbox[:size], self.inbox[size:]
        return out

    def setsockopt(self, *args: object) -> None:
        pass

    def settimeout(self, timeout: float) -> None:
        pass

    def close(self) -> None:
        pass


def ready_client(
    link: Link,
    *,
    clock: Callable[[], float] = time.time,
    device22: bool | None = None,
) -> tuple[ClientSession, bytes]:
    """Our client after its handshake with the tinytuya-built device side.

    Returns the session and the key the device side now seals frames with.
    """
    version, local_key = link.version, link.local_key
    client = ClientSession(
        DEVICE_ID,
        local_key,
        version,
        nonce=lambda n: link.client_nonce[:n],
        clock=clock,
        device22=device22,
    )
    events = client.start()
    if version not in ("3.4", "3.5"):
        assert events == [HandshakeComplete()]
        return client, local_key
    device = TinytuyaDeviceHandshake(version, local_key, link.device_nonce)
    assert client.receive_data(device.respond(client.data_to_send())) == [HandshakeComplete()]
    device.finish(client.data_to_send())
    return client, device.session_key


def ready_device(
    link: Link,
    *,
    clock: Callable[[], float] = time.time,
) -> tuple[DeviceSession, Any]:
    """Our device after tinytuya's client negotiated with it; returns (ours, tinytuya's)."""
    version, local_key = link.version, link.local_key
    device = DeviceSession(
        DEVICE_ID, local_key, version, nonce=lambda n: link.device_nonce[:n], clock=clock
    )
    tt = tt_client(version, local_key)
    if version in ("3.4", "3.5"):
        assert tt_negotiate(tt, device, link.client_nonce) == [HandshakeComplete()]
    return device, tt
