"""UDP discovery datagrams: device beacons on 6666/6667/7000 and the 3.5 REQ_DEVINFO request.

| port | who        | datagram                                                         |
|------|------------|------------------------------------------------------------------|
| 6666 | 3.1        | 55AA, cmd 0, retcode, plain JSON, CRC                            |
| 6667 | 3.2-3.4    | 55AA, cmd 0x13 (or 0x23), retcode, AES-ECB(UDP key) JSON, CRC    |
| 6667 | some 3.5   | 6699, cmd 0x13, AES-GCM(UDP key) over retcode + JSON             |
| 7000 | apps / 3.5 | 6699, cmd 0x25 {"from":"app","ip":...} requests; devices answer  |
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from setsmart.protocol.constants import (
    PREFIX_55AA_BYTES,
    PREFIX_6699_BYTES,
    RETCODE_LEN,
    UDP_KEY,
    Command,
    Version,
)
from setsmart.protocol.crypto import AesKey
from setsmart.protocol.errors import ProtocolError
from setsmart.protocol.frame import Frame, Framing, decode_frame, encode_frame
from setsmart.protocol.messages import dumps

_UDP_KEY = AesKey(UDP_KEY)


class DiscoveryError(ProtocolError):
    """A datagram on a discovery port that is not a Tuya beacon."""


@dataclass(frozen=True, slots=True)
class Beacon:
    """A device announcing itself."""

    device_id: str
    ip: str
    version: str | None
    product_key: str | None
    raw: dict[str, Any] = field(compare=False)


@dataclass(frozen=True, slots=True)
class AppRequest:
    """A phone app's (or our own) REQ_DEVINFO broadcast: not a device, ignore it."""

    ip: str | None


def decode_datagram(data: bytes) -> Beacon | AppRequest:
    """Decode one discovery datagram; anything else is a DiscoveryError."""
    return _interpret(_plaintext(data))


def encode_beacon(info: Mapping[str, Any], version: Version) -> bytes:
    """The broadcast a device of `version` sends (for simulators and tests)."""
    body = dumps(dict(info))
    if version == "3.1":
        return encode_frame(Frame(0, Command.UDP, body, 0), Framing.CRC, None)
    if version == "3.5":
        return encode_frame(Frame(0, Command.UDP_NEW, body, 0), Framing.GCM, _UDP_KEY)
    return encode_frame(Frame(0, Command.UDP_NEW, _UDP_KEY.ecb_encrypt(body), 0), Framing.CRC, None)


def encode_devinfo_request(my_ip: str, *, seqno: int = 0) -> bytes:
    """The 3.5 "tell me who you are" broadcast (REQ_DEVINFO to UDP 7000); no retcode."""
    body = dumps({"from": "app", "ip": my_ip})
    return encode_frame(Frame(seqno, Command.REQ_DEVINFO, body), Framing.GCM, _UDP_KEY)


def _plaintext(data: bytes) -> bytes:
    if data.startswith(PREFIX_6699_BYTES):
        plain = _unframe(data, Framing.GCM, retcode=False)
        # Device beacons carry a retcode inside the ciphertext, app requests do not.
        if plain[:1] != b"{" and plain[RETCODE_LEN : RETCODE_LEN + 1] == b"{":
            plain = plain[RETCODE_LEN:]
        return plain.rstrip(b"\x00")
    if data.startswith(PREFIX_55AA_BYTES):
        payload = _unframe(data, Framing.CRC, retcode=True)
        # 3.1 sends plain JSON, 3.2-3.4 encrypt it; ciphertext can begin with "{" too.
        decrypted = _json_under_udp_key(payload)
        if decrypted is not None:
            return decrypted
        if payload.startswith(b"{"):
            return payload
        raise DiscoveryError("beacon payload is neither JSON nor JSON encrypted with the UDP key")
    return _decrypt(data)


def _unframe(data: bytes, framing: Framing, *, retcode: bool) -> bytes:
    result = decode_frame(data, framing, _UDP_KEY, retcode=retcode)
    if result is None:
        raise DiscoveryError(f"truncated discovery frame ({len(data)} bytes)")
    item, _ = result
    if isinstance(item, ProtocolError):
        raise DiscoveryError(f"bad discovery frame: {item}")
    return item.payload


def _json_under_udp_key(payload: bytes) -> bytes | None:
    """The plaintext if `payload` decrypts with the UDP key to what may be JSON, else None."""
    try:
        plain = _UDP_KEY.ecb_decrypt(payload)
    except ProtocolError:
        return None
    return plain if plain.startswith(b"{") else None


def _decrypt(payload: bytes) -> bytes:
    try:
        return _UDP_KEY.ecb_decrypt(payload)
    except ProtocolError:
        raise DiscoveryError(
            "datagram is neither a Tuya frame nor encrypted with the UDP key"
        ) from None


def _interpret(plain: bytes) -> Beacon | AppRequest:
    try:
        info = json.loads(plain)
    except (ValueError, RecursionError):  # also bad UTF-8; too deeply nested JSON
        raise DiscoveryError("discovery payload is not JSON") from None
    if not isinstance(info, dict):
        raise DiscoveryError("discovery payload is not a JSON object")
    if info.get("from") == "app":
        ip = info.get("ip")
        return AppRequest(ip if isinstance(ip, str) else None)
    device_id, ip = info.get("gwId"), info.get("ip")
    if not isinstance(device_id, str) or not device_id:
        raise DiscoveryError("beacon has no gwId")
    if not isinstance(ip, str) or not ip:
        raise DiscoveryError(f"beacon from {device_id} has no ip")
    version, product_key = info.get("version"), info.get("productKey")
    return Beacon(
        device_id=device_id,
        ip=ip,
        version=version if isinstance(version, str) else None,
        product_key=product_key if isinstance(product_key, str) else None,
        raw=info,
    )
