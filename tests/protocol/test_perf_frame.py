"""Frame stays a value (immutable, hashable, equal by fields) now that it is cheaper to make."""

from __future__ import annotations

import pytest

from setsmart.protocol.frame import Frame


def test_frame_is_an_immutable_value() -> None:
    frame = Frame(1, 7, b"abc")
    assert frame == Frame(seqno=1, cmd=7, payload=b"abc", retcode=None)
    assert frame != Frame(1, 7, b"abc", 0)
    assert len({frame, Frame(1, 7, b"abc")}) == 1
    assert repr(frame) == "Frame(seqno=1, cmd=7, payload=b'abc', retcode=None)"
    with pytest.raises(AttributeError):
        frame.seqno = 2  # type: ignore[misc]
