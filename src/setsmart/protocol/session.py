"""The two ends of one TCP connection to a device, as sans-IO state machines.

Design rules (as in h11):
- A session eats bytes (`receive_data`) and returns events; it builds the bytes of
  requests and replies; it never touches a socket, a clock or a task.
- Bytes the protocol itself must send (the 3.4/3.5 handshake) wait in `data_to_send()`.
- `receive_data` never raises: anything unusable becomes a `Fault` event holding one of
  our `ProtocolError`s. A fatal fault means the connection must be closed.

Client states:

| state       | input                        | next        | output                          |
|-------------|------------------------------|-------------|---------------------------------|
| IDLE        | start(), 3.1-3.3             | READY       | HandshakeComplete               |
| IDLE        | start(), 3.4/3.5             | NEGOTIATING | START(client nonce) to send     |
| NEGOTIATING | RESP whose proof verifies    | READY       | FINISH to send, HandshakeComplete |
| NEGOTIATING | anything else                | FAILED      | Fault(fatal)                    |
| READY       | frames                       | READY       | Reply, Push, DeviceError, Fault |
| READY       | another version's framing    | FAILED      | Fault(fatal)                    |
| FAILED      | anything                     | FAILED      | nothing                         |

Device states: AWAIT_START --START--> AWAIT_FINISH --FINISH ok--> READY (3.1-3.3 start READY).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from enum import Enum
from functools import partial
from typing import Any, NamedTuple

from setsmart.protocol import messages
from setsmart.protocol.codec import Opened, PayloadCodec, printable
from setsmart.protocol.constants import NONCE_LEN, Command, Version
from setsmart.protocol.crypto import AesKey
from setsmart.protocol.errors import (
    WRONG_KEY_HINT,
    HandshakeError,
    PayloadError,
    ProtocolError,
    VersionMismatchError,
    WrongKeyError,
)
from setsmart.protocol.events import (
    DeviceError,
    DeviceEvent,
    Event,
    Fault,
    HandshakeComplete,
    Push,
    Reply,
    Request,
)
from setsmart.protocol.frame import Frame, FrameReader, encode_frame
from setsmart.protocol.messages import DpValue

NonceSource = Callable[[int], bytes]
Clock = Callable[[], float]

_NEGOTIATED: frozenset[str] = frozenset({"3.4", "3.5"})
_PROOF_LEN = NONCE_LEN + 32


class SessionState(Enum):
    IDLE = "idle"
    NEGOTIATING = "negotiating"
    AWAIT_START = "await-start"
    AWAIT_FINISH = "await-finish"
    READY = "ready"
    FAILED = "failed"


# Python 3.11 reads an Enum member through its class slowly (~0.1 us: EnumType's
# __getattr__ turns off CPython's fast path for class attributes), so the checks made for
# every frame and request compare with these names instead.
_READY = SessionState.READY
_FAILED = SessionState.FAILED
_NEGOTIATING = SessionState.NEGOTIATING
_STATUS = Command.STATUS


class NotReadyError(ProtocolError):
    """A request was built before the session was ready (a bug in the caller)."""


class Outgoing(NamedTuple):
    """A request ready to write, with what is needed to pair its reply.

    A named tuple, as immutable as a frozen dataclass and cheaper to make (one per request).
    """

    seqno: int
    cmd: int
    data: bytes


# Outgoing((seqno, cmd, data)) without the Python-level __new__ a named tuple's class
# call goes through (it costs as much as the frame's checksum).
_outgoing = partial(tuple.__new__, Outgoing)


def derive_session_key(
    version: Version, local_key: AesKey, client_nonce: bytes, device_nonce: bytes
) -> AesKey:
    """3.4: AES-ECB(local key, x); 3.5: AES-GCM(local key, client_nonce[:12]) of x, tag dropped."""
    x = bytes(a ^ b for a, b in zip(client_nonce, device_nonce, strict=True))
    if version == "3.4":
        return AesKey(local_key.ecb_encrypt(x, pad=False))
    return AesKey(local_key.gcm_encrypt(client_nonce[:12], x, None)[:NONCE_LEN])


class _Endpoint:
    """What both ends share: the codec, the frame reader and the output buffer."""

    # A session per connected device: no __dict__.
    __slots__ = ("_outgoing", "_reader", "codec", "state", "version")

    def __init__(self, version: Version, local_key: bytes, *, incoming_retcode: bool) -> None:
        self.version = version
        self.codec = PayloadCodec(version, AesKey(local_key))
        self._reader = FrameReader(
            self.codec.framing, self.codec.frame_key, retcode=incoming_retcode
        )
        self._outgoing = bytearray()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(version={self.version!r}, state={self.state.value!r})"

    state: SessionState

    def data_to_send(self) -> bytes:
        """Bytes the protocol needs sent now (handshake frames); empties the buffer."""
        out = bytes(self._outgoing)
        self._outgoing.clear()
        return out

    def _frame(self, seqno: int, cmd: int, body: bytes, retcode: int | None = None) -> bytes:
        return self.codec.frame(seqno, cmd, body, retcode)

    def _use_session_key(self, key: AesKey) -> None:
        self.codec.session_key = key
        self._reader.key = self.codec.frame_key

    def _key_unproven(self, opened: Opened) -> bool:
        """Junk from decrypting may mean a wrong key only where no frame check proved it.

        3.4 (HMAC) and 3.5 (GCM) frames that got this far were sealed with our key.
        """
        return opened.encrypted and self.codec.frame_key is None

    def _fail(self, error: ProtocolError) -> list[Any]:
        self.state = SessionState.FAILED
        return [Fault(error, fatal=True)]


class ClientSession(_Endpoint):
    """The client end: builds requests, turns the device's frames into events."""

    __slots__ = (
        "_client_nonce",
        "_clock",
        "_nonce",
        "_open_reply",
        "_seqno",
        "device22",
        "device_id",
        "dps_to_query",
        "gateway",
    )

    def __init__(
        self,
        device_id: str,
        local_key: bytes,
        version: Version,
        *,
        device22: bool | None = None,
        gateway: bool = False,
        nonce: NonceSource = os.urandom,
        clock: Clock = time.time,
    ) -> None:
        super().__init__(version, local_key, incoming_retcode=True)
        # A gateway answers "json obj data unvalid" to a query without a cid: not the
        # device22 quirk, so its session never switches to the device22 query.
        self.gateway = gateway
        self._open_reply = self.codec.reply_opener()
        self.device_id = device_id
        self.state = SessionState.IDLE
        self.device22 = version == "3.2" if device22 is None else device22
        self.dps_to_query: tuple[str, ...] = ("1",)
        self._nonce = nonce
        self._clock = clock
        self._seqno = 0
        self._client_nonce = b""

    def start(self) -> list[Event]:
        """Begin the connection; for 3.4/3.5 the START frame waits in `data_to_send()`."""
        if self.version not in _NEGOTIATED:
            self.state = SessionState.READY
            return [HandshakeComplete()]
        self.state = SessionState.NEGOTIATING
        self._client_nonce = self._nonce(NONCE_LEN)
        self._outgoing += self._frame(
            self._next_seqno(), Command.SESS_KEY_NEG_START, self._client_nonce
        )
        return []

    def receive_data(self, data: bytes) -> list[Event]:
        if self.state is _READY and not self._reader.pending:
            # The common read, one whole frame that opens, in one step; anything else
            # (or a payload that is not JSON) goes the general way, from the start.
            opened = self._open_reply(data)
            if opened is not None:
                seqno, cmd, retcode, text = opened
                if not text:
                    return [Reply(seqno, cmd, retcode, None)]
                obj = messages.loads_object(text)
                if obj is not None:
                    return [Push(seqno, obj) if cmd == _STATUS else Reply(seqno, cmd, retcode, obj)]
        return self._receive_frames(data)

    def _receive_frames(self, data: bytes) -> list[Event]:
        """receive_data the general way: frame by frame through the reader."""
        events: list[Event] = []
        for item in self._reader.frames(data):
            if self.state is _FAILED:
                break
            if self.state is _NEGOTIATING:
                events += self._negotiate(item)
            elif isinstance(item, VersionMismatchError):
                events += self._fail(item)
            elif isinstance(item, ProtocolError):
                events.append(Fault(item))
            else:
                events.append(self._event_for(item))
        return events

    # Requests -----------------------------------------------------------------------

    def query(self) -> Outgoing:
        cmd, body = messages.query_body(
            self.version,
            self.device_id,
            int(self._clock()),
            device22=self.device22,
            dps_to_query=self.dps_to_query,
        )
        return self._request(cmd, body)

    def control(self, dps: Mapping[str, DpValue]) -> Outgoing:
        # _request inlined: this is the request sent most, and a call layer costs ~5%.
        cmd, body = messages.control_body(self.version, self.device_id, int(self._clock()), dps)
        if self.state is not _READY:
            raise NotReadyError(f"cannot send {cmd.name}: session is {self.state.value}")
        self._seqno = seqno = self._seqno % 0xFFFFFFFF + 1
        return _outgoing((seqno, cmd, self.codec.frame(seqno, cmd, body, None)))

    def heartbeat(self) -> Outgoing:
        return self._request(*messages.heartbeat_body(self.device_id))

    def child_query(self, cid: str) -> Outgoing:
        """The status query of the sub-device `cid` behind this gateway."""
        return self._request(*messages.child_query_body(self.version, cid, int(self._clock())))

    def child_control(self, cid: str, dps: Mapping[str, DpValue]) -> Outgoing:
        """Set DPs of the sub-device `cid` behind this gateway."""
        return self._request(
            *messages.child_control_body(self.version, cid, int(self._clock()), dps)
        )

    def subdev_online_query(self) -> Outgoing:
        """Ask a gateway which of its sub-devices it reaches (answered by a report)."""
        return self._request(*messages.subdev_online_query_body())

    def update_dps(self, dp_ids: Iterable[int]) -> Outgoing:
        return self._request(*messages.update_dps_body(dp_ids))

    # Internals ----------------------------------------------------------------------

    def _next_seqno(self) -> int:
        self._seqno = self._seqno % 0xFFFFFFFF + 1
        return self._seqno

    def _request(self, cmd: Command, body: bytes) -> Outgoing:
        if self.state is not _READY:
            raise NotReadyError(f"cannot send {cmd.name}: session is {self.state.value}")
        self._seqno = seqno = self._seqno % 0xFFFFFFFF + 1
        return _outgoing((seqno, cmd, self.codec.frame(seqno, cmd, body, None)))

    def _negotiate(self, item: Frame | ProtocolError) -> list[Event]:
        if isinstance(item, ProtocolError):
            if isinstance(item, WrongKeyError):
                item = WrongKeyError(f"handshake reply failed its check: {WRONG_KEY_HINT}")
            return self._fail(item)
        if item.cmd != Command.SESS_KEY_NEG_RESP:
            return self._fail(
                HandshakeError(f"expected the handshake reply (cmd 4), got cmd {item.cmd}")
            )
        try:
            proof = self.codec.open(item).text
        except ProtocolError:
            return self._fail(WrongKeyError(f"handshake reply does not decrypt: {WRONG_KEY_HINT}"))
        if len(proof) < _PROOF_LEN:
            return self._fail(HandshakeError(f"handshake reply too short ({len(proof)} bytes)"))
        device_nonce = proof[:NONCE_LEN]
        local_key = self.codec.local_key
        if local_key.hmac(self._client_nonce) != proof[NONCE_LEN:_PROOF_LEN]:
            return self._fail(
                WrongKeyError(f"device's handshake proof does not match: {WRONG_KEY_HINT}")
            )
        self._outgoing += self._frame(
            self._next_seqno(), Command.SESS_KEY_NEG_FINISH, local_key.hmac(device_nonce)
        )
        self._use_session_key(
            derive_session_key(self.version, local_key, self._client_nonce, device_nonce)
        )
        # The local key's ciphers served the handshake; the session key does the rest.
        local_key.drop_ciphers()
        self._client_nonce = b""
        self.state = SessionState.READY
        return [HandshakeComplete()]

    def _event_for(self, frame: Frame) -> Event:
        try:
            opened = self.codec.open(frame)
        except ProtocolError as exc:
            return Fault(exc)
        retcode = frame.retcode or 0
        if not opened.text:
            return Reply(frame.seqno, frame.cmd, retcode, None)
        data = messages.loads_object(opened.text)
        if data is not None:
            if frame.cmd == _STATUS:
                return Push(frame.seqno, data)
            return Reply(frame.seqno, frame.cmd, retcode, data)
        return self._not_json(frame, opened, retcode)

    def _not_json(self, frame: Frame, opened: Opened, retcode: int) -> Event:
        text = opened.text.rstrip(b"\x00")
        suspect = self._key_unproven(opened)
        if printable(text) and (retcode or not suspect or b"data unvalid" in text):
            error = DeviceError(frame.seqno, frame.cmd, retcode, text.decode())
            if error.data_unvalid and not self.gateway:
                self.device22 = True
            return error
        if suspect:
            return Fault(WrongKeyError(f"decrypted payload is not JSON: {WRONG_KEY_HINT}"))
        return Fault(
            PayloadError(f"payload of cmd {frame.cmd} is not a JSON object ({len(text)} bytes)")
        )


class DeviceSession(_Endpoint):
    """The device end, for simulators: answers the handshake, decodes requests, builds replies."""

    __slots__ = ("_client_nonce", "_clock", "_device_nonce", "_nonce", "_seqno", "device_id")

    def __init__(
        self,
        device_id: str,
        local_key: bytes,
        version: Version,
        *,
        nonce: NonceSource = os.urandom,
        clock: Clock = time.time,
    ) -> None:
        super().__init__(version, local_key, incoming_retcode=False)
        self.device_id = device_id
        self.state = SessionState.AWAIT_START if version in _NEGOTIATED else SessionState.READY
        self._nonce = nonce
        self._clock = clock
        self._seqno = 0
        self._device_nonce = b""
        self._client_nonce = b""

    def receive_data(self, data: bytes) -> list[DeviceEvent]:
        events: list[DeviceEvent] = []
        for item in self._reader.frames(data):
            if self.state is _FAILED:
                break
            if isinstance(item, ProtocolError):
                if self.state is _READY:
                    events.append(Fault(item))
                else:
                    events += self._fail(item)
            elif self.state is SessionState.AWAIT_START:
                events += self._on_start(item)
            elif self.state is SessionState.AWAIT_FINISH:
                events += self._on_finish(item)
            else:
                events.append(self._request_for(item))
        return events

    def reply_seqno(self, request_seqno: int) -> int:
        """3.1-3.4 devices echo the request's seqno; 3.5 devices count on their own."""
        return self.next_seqno() if self.version == "3.5" else request_seqno

    def next_seqno(self) -> int:
        self._seqno = self._seqno % 0xFFFFFFFF + 1
        return self._seqno

    def reply(
        self, seqno: int, cmd: int, data: Mapping[str, Any] | None, retcode: int = 0
    ) -> bytes:
        """A reply; `data=None` is the empty acknowledgement (no payload bytes at all)."""
        if data is None:
            return self._raw_frame(seqno, cmd, b"", retcode)
        return self._frame(seqno, cmd, messages.dumps(data), retcode)

    def status(self, seqno: int, cmd: int, dps: Mapping[str, DpValue], retcode: int = 0) -> bytes:
        """A reply or push carrying DPs, in the shape this version uses."""
        return self._frame(
            seqno,
            cmd,
            messages.status_body(self.version, self.device_id, int(self._clock()), dps),
            retcode,
        )

    def child_status(
        self, seqno: int, cmd: int, cid: str, dps: Mapping[str, DpValue], retcode: int = 0
    ) -> bytes:
        """A gateway's reply or push carrying DPs of its sub-device `cid`."""
        body = messages.child_status_body(self.version, cid, int(self._clock()), dps)
        return self._frame(seqno, cmd, body, retcode)

    def subdev_online_report(
        self, seqno: int, online: Iterable[str], offline: Iterable[str], retcode: int = 0
    ) -> bytes:
        """A gateway's report of the sub-devices it reaches (LAN_EXT_STREAM)."""
        body = messages.subdev_online_report_body(online, offline)
        return self._frame(seqno, Command.LAN_EXT_STREAM, body, retcode)

    def error(
        self, seqno: int, cmd: int, text: bytes, *, retcode: int = 1, encrypted: bool = False
    ) -> bytes:
        """An error answer, in clear as many firmwares send it, or sealed like a payload."""
        return (
            self._frame(seqno, cmd, text, retcode)
            if encrypted
            else self._raw_frame(seqno, cmd, text, retcode)
        )

    def raw(self, seqno: int, cmd: int, payload: bytes, retcode: int | None = 0) -> bytes:
        """A frame whose payload goes on the wire unsealed (fault injection)."""
        return self._raw_frame(seqno, cmd, payload, retcode)

    def _raw_frame(self, seqno: int, cmd: int, payload: bytes, retcode: int | None) -> bytes:
        codec = self.codec
        return encode_frame(Frame(seqno, cmd, payload, retcode), codec.framing, codec.frame_key)

    def _on_start(self, frame: Frame) -> list[DeviceEvent]:
        if frame.cmd != Command.SESS_KEY_NEG_START:
            return self._fail(
                HandshakeError(f"expected the handshake start (cmd 3), got cmd {frame.cmd}")
            )
        try:
            nonce = self.codec.open(frame).text
        except ProtocolError as exc:
            return self._fail(exc)
        if len(nonce) != NONCE_LEN:
            return self._fail(HandshakeError(f"client nonce of {len(nonce)} bytes"))
        self._client_nonce = nonce
        self._device_nonce = self._nonce(NONCE_LEN)
        proof = self._device_nonce + self.codec.local_key.hmac(nonce)
        self._outgoing += self._frame(
            self.reply_seqno(frame.seqno), Command.SESS_KEY_NEG_RESP, proof, 0
        )
        self.state = SessionState.AWAIT_FINISH
        return []

    def _on_finish(self, frame: Frame) -> list[DeviceEvent]:
        if frame.cmd != Command.SESS_KEY_NEG_FINISH:
            return self._fail(
                HandshakeError(f"expected the handshake finish (cmd 5), got cmd {frame.cmd}")
            )
        try:
            proof = self.codec.open(frame).text
        except ProtocolError as exc:
            return self._fail(exc)
        local_key = self.codec.local_key
        if proof != local_key.hmac(self._device_nonce):
            return self._fail(
                WrongKeyError(f"client's handshake proof does not match: {WRONG_KEY_HINT}")
            )
        self._use_session_key(
            derive_session_key(self.version, local_key, self._client_nonce, self._device_nonce)
        )
        self.state = SessionState.READY
        return [HandshakeComplete()]

    def _request_for(self, frame: Frame) -> DeviceEvent:
        try:
            opened = self.codec.open(frame)
        except ProtocolError as exc:
            return Fault(exc)
        if not opened.text:
            return Request(frame.seqno, frame.cmd, None)
        data = messages.loads_object(opened.text)
        if data is None:
            hint = WRONG_KEY_HINT if self._key_unproven(opened) else "malformed request"
            return Fault(PayloadError(f"request cmd {frame.cmd} is not a JSON object: {hint}"))
        return Request(frame.seqno, frame.cmd, data)
