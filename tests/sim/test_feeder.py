"""Feeding a device session frame by frame while it negotiates (FINISH + request in one read)."""

from __future__ import annotations

import pytest

from setsmart.protocol import ClientSession, DeviceSession, HandshakeComplete, Request, Version
from setsmart.sim.feeder import SessionFeeder, first_frame_len
from tests.sim.conftest import DEVICE_ID, LOCAL_KEY

KEY = LOCAL_KEY.encode()


def negotiated(version: Version) -> tuple[ClientSession, SessionFeeder, bytes]:
    """A client and a device fed up to the point where the client has FINISH to send."""
    client = ClientSession(DEVICE_ID, KEY, version)
    feeder = SessionFeeder(DeviceSession(DEVICE_ID, KEY, version))
    client.start()
    _, resp = feeder.feed(client.data_to_send())
    assert client.receive_data(resp) == [HandshakeComplete()]
    return client, feeder, client.data_to_send()


@pytest.mark.parametrize("version", ["3.4", "3.5"])
def test_a_request_right_behind_finish_is_read_with_the_session_key(version: Version) -> None:
    client, feeder, finish = negotiated(version)
    events, _ = feeder.feed(finish + client.query().data)
    assert [type(e) for e in events] == [HandshakeComplete, Request]


@pytest.mark.parametrize("version", ["3.4", "3.5"])
def test_finish_and_request_arriving_a_byte_at_a_time(version: Version) -> None:
    client, feeder, finish = negotiated(version)
    data = finish + client.heartbeat().data
    events = []
    for i in range(len(data)):
        events += feeder.feed(data[i : i + 1])[0]
    assert [type(e) for e in events] == [HandshakeComplete, Request]


def test_first_frame_len() -> None:
    client = ClientSession(DEVICE_ID, KEY, "3.3")
    client.start()
    frame = client.heartbeat().data
    assert first_frame_len(frame + b"more") == len(frame)
    assert first_frame_len(frame[:10]) is None  # header incomplete
    assert first_frame_len(frame[:-1]) is None  # body incomplete
    assert first_frame_len(b"\x00\x00") is None  # could be the start of a prefix
    assert first_frame_len(b"garbage!") == 8  # not a frame: handed over whole
    huge = frame[:12] + (10**6).to_bytes(4, "big")
    assert first_frame_len(huge) == len(huge)  # impossible length: let the session reject it
