"""Discovery datagrams: beacons of every version, app requests, and what is refused."""

from __future__ import annotations

import pytest

from setsmart.protocol import (
    VERSIONS,
    AppRequest,
    Beacon,
    DiscoveryError,
    Version,
    decode_datagram,
    encode_beacon,
    encode_devinfo_request,
)
from setsmart.protocol.constants import UDP_KEY, Command
from setsmart.protocol.crypto import AesKey
from setsmart.protocol.frame import Frame, Framing, encode_frame
from setsmart.protocol.messages import dumps

INFO = {"ip": "10.0.0.7", "gwId": "eb0123456789abcdefgh", "version": "3.3", "productKey": "pk"}
UDP = AesKey(UDP_KEY)


@pytest.mark.parametrize("version", VERSIONS)
def test_our_beacons_decode_to_the_device(version: Version) -> None:
    beacon = decode_datagram(encode_beacon({**INFO, "version": version}, version))
    assert beacon == Beacon("eb0123456789abcdefgh", "10.0.0.7", version, "pk", {})


def test_a_beacon_keeps_every_field_and_tolerates_missing_optional_ones() -> None:
    info = {"gwId": "g1", "ip": "10.0.0.8", "ablilty": 0, "version": 3.3}
    beacon = decode_datagram(encode_beacon(info, "3.3"))
    assert beacon == Beacon("g1", "10.0.0.8", None, None, {})
    assert isinstance(beacon, Beacon)
    assert beacon.raw == info


def test_a_bare_datagram_encrypted_with_the_udp_key_is_read() -> None:
    assert decode_datagram(UDP.ecb_encrypt(dumps(INFO))) == Beacon(
        "eb0123456789abcdefgh", "10.0.0.7", "3.3", "pk", {}
    )


def test_app_requests_are_recognised_with_or_without_their_ip() -> None:
    assert decode_datagram(encode_devinfo_request("10.0.0.9", seqno=3)) == AppRequest("10.0.0.9")
    no_ip = encode_frame(Frame(0, Command.REQ_DEVINFO, b'{"from":"app"}'), Framing.GCM, UDP)
    assert decode_datagram(no_ip) == AppRequest(None)


def test_trailing_nul_bytes_of_app_requests_are_ignored() -> None:
    body = b'{"from":"app","ip":"10.0.0.9"}\x00\x00'
    data = encode_frame(Frame(0, Command.REQ_DEVINFO, body), Framing.GCM, UDP)
    assert decode_datagram(data) == AppRequest("10.0.0.9")


def _beacon_frame(body: bytes) -> bytes:
    return encode_frame(Frame(0, Command.UDP_NEW, UDP.ecb_encrypt(body), 0), Framing.CRC, None)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "neither a Tuya frame"),
        (b"hello, world", "neither a Tuya frame"),
        (encode_beacon(INFO, "3.3")[:-3], "truncated"),
        (encode_beacon(INFO, "3.3")[:-1] + b"\x00", "bad discovery frame"),
        (
            encode_frame(Frame(0, 0x15, b"x" * 32, 0), Framing.CRC, None),
            "neither JSON nor JSON encrypted",
        ),
        (
            encode_frame(Frame(0, 0x13, b"{}", 0), Framing.GCM, AesKey(b"k" * 16)),
            "bad discovery frame",
        ),
        (_beacon_frame(b"not json"), "neither JSON nor JSON encrypted"),
        (_beacon_frame(b"{not json"), "not JSON"),
        (UDP.ecb_encrypt(b"[" * 5000), "not JSON"),  # nested past the recursion limit
        (UDP.ecb_encrypt(b'["a list"]'), "not a JSON object"),
        (_beacon_frame(b'{"ip":"10.0.0.1"}'), "no gwId"),
        (_beacon_frame(b'{"gwId":"","ip":"10.0.0.1"}'), "no gwId"),
        (_beacon_frame(b'{"gwId":"g1"}'), "beacon from g1 has no ip"),
        (_beacon_frame(b'{"gwId":"g1","ip":7}'), "beacon from g1 has no ip"),
    ],
)
def test_anything_else_is_a_discovery_error(data: bytes, message: str) -> None:
    with pytest.raises(DiscoveryError, match=message):
        decode_datagram(data)
