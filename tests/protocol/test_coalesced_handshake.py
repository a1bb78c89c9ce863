"""The handshake's last frame and the first request often arrive in one read."""

from __future__ import annotations

import pytest

from setsmart.protocol import ClientSession, DeviceSession, HandshakeComplete, Request, Version

KEY = b"0123456789abcdef"
DEVICE = "bf0123456789abcdefgh"


@pytest.mark.parametrize("version", ["3.4", "3.5"])
def test_finish_and_first_request_in_one_read(version: Version) -> None:
    client = ClientSession(DEVICE, KEY, version)
    device = DeviceSession(DEVICE, KEY, version)
    client.start()
    device.receive_data(client.data_to_send())
    client.receive_data(device.data_to_send())
    events = device.receive_data(client.data_to_send() + client.query().data)
    assert [type(e) for e in events] == [HandshakeComplete, Request]
    request = events[1]
    assert isinstance(request, Request)
    assert request.cmd == 16
