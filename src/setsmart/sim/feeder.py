"""Feeding received bytes to a DeviceSession, one frame at a time while it negotiates.

The session's frame reader checks every frame of a chunk with the key in force when the
chunk arrives. Clients such as tinytuya send the handshake FINISH and their first request
back to back, so one read often holds both: fed together, the request would be checked
with the local key instead of the session key that FINISH brings in. While the session
negotiates, this feeder holds bytes until a whole frame is there and feeds frames singly.
"""

from __future__ import annotations

import struct

from setsmart.protocol import DeviceEvent, DeviceSession, SessionState
from setsmart.protocol.constants import (
    HEADER_55AA_LEN,
    HEADER_6699_LEN,
    MAX_FRAME_LEN,
    PREFIX_55AA_BYTES,
    PREFIX_6699_BYTES,
    SUFFIX_LEN,
)

_NEGOTIATING = frozenset({SessionState.AWAIT_START, SessionState.AWAIT_FINISH})
_U32 = struct.Struct(">I")


def first_frame_len(buf: bytes) -> int | None:
    """Length of the frame at the start of `buf` from its header; None: need more bytes.

    Returns len(buf) when `buf` does not start with a plausible frame, so that the
    session sees (and rejects) it whole.
    """
    if buf.startswith(PREFIX_55AA_BYTES):
        if len(buf) < HEADER_55AA_LEN:
            return None
        length = _U32.unpack_from(buf, 12)[0]
        total = HEADER_55AA_LEN + length
    elif buf.startswith(PREFIX_6699_BYTES):
        if len(buf) < HEADER_6699_LEN:
            return None
        length = _U32.unpack_from(buf, 14)[0]
        total = HEADER_6699_LEN + length + SUFFIX_LEN
    elif len(buf) < 4 and (PREFIX_55AA_BYTES.startswith(buf) or PREFIX_6699_BYTES.startswith(buf)):
        return None
    else:
        return len(buf)
    if length > MAX_FRAME_LEN:
        return len(buf)
    return total if len(buf) >= total else None


class SessionFeeder:
    """Feeds one connection's bytes to its DeviceSession."""

    def __init__(self, session: DeviceSession) -> None:
        self.session = session
        self._held = b""

    def feed(self, data: bytes) -> tuple[list[DeviceEvent], bytes]:
        """Events for `data`, and the handshake bytes the session wants sent."""
        session = self.session
        if session.state not in _NEGOTIATING and not self._held:
            return session.receive_data(data), session.data_to_send()
        buf = self._held + data
        events: list[DeviceEvent] = []
        while buf and session.state in _NEGOTIATING:
            size = first_frame_len(buf)
            if size is None:
                break
            events += session.receive_data(buf[:size])
            buf = buf[size:]
        if buf and session.state not in _NEGOTIATING:
            events += session.receive_data(buf)
            buf = b""
        self._held = buf
        return events, session.data_to_send()
