"""Frame and Outgoing stay values (immutable, hashable, equal by fields), made cheaper."""

from __future__ import annotations

import pytest

from setsmart.protocol import ClientSession, Outgoing
from setsmart.protocol.frame import Frame


def test_frame_is_an_immutable_value() -> None:
    frame = Frame(1, 7, b"abc")
    assert frame == Frame(seqno=1, cmd=7, payload=b"abc", retcode=None)
    assert frame != Frame(1, 7, b"abc", 0)
    assert len({frame, Frame(1, 7, b"abc")}) == 1
    assert repr(frame) == "Frame(seqno=1, cmd=7, payload=b'abc', retcode=None)"
    with pytest.raises(AttributeError):
        frame.seqno = 2  # type: ignore[misc]


def test_outgoing_is_an_immutable_value() -> None:
    session = ClientSession("dev", b"0123456789abcdef", "3.3")
    session.start()
    request = session.heartbeat()
    assert request == Outgoing(1, 9, request.data)
    assert hash(request) == hash(Outgoing(1, 9, request.data))
    with pytest.raises(AttributeError):
        request.seqno = 2  # type: ignore[misc]
