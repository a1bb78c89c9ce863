"""The real captured frames of tests/fixtures/captures/frames.json, typed."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from setsmart.protocol import VERSIONS, Version
from setsmart.protocol.codec import PayloadCodec
from setsmart.protocol.crypto import AesKey

FRAMES_JSON = Path(__file__).parents[1] / "fixtures" / "captures" / "frames.json"
STAND_IN_KEY = b"0000000000000000"
"""Used where no key was published (plaintext frames, or frames checked by CRC only)."""


@dataclass(frozen=True)
class Capture:
    id: str
    direction: str
    version_text: str
    data: bytes
    key_text: str
    session_key: bytes | None
    decoded: dict[str, Any]
    valid: bool
    notes: str

    @property
    def version(self) -> Version:
        """The version to talk (the client's, where the device answered in another)."""
        head = self.version_text[:3]
        for version in VERSIONS:
            if head == version:
                return version
        return "3.3"

    @property
    def from_device(self) -> bool:
        return self.direction.startswith("device")

    @property
    def datagram(self) -> bool:
        return "UDP" in self.direction

    @property
    def local_key(self) -> bytes:
        """The published local key as the protocol uses it (its ASCII bytes)."""
        if self.key_text == "unknown" or self.session_key is not None:
            return STAND_IN_KEY
        return self.key_text.encode("latin1")

    def codec(self) -> PayloadCodec:
        """A codec in the state the connection was in when the frame was captured."""
        codec = PayloadCodec(self.version, AesKey(self.local_key))
        if self.session_key is not None:
            codec.session_key = AesKey(self.session_key)
        return codec

    @property
    def payload(self) -> bytes:
        """The plaintext the capture's decoded field gives, as bytes."""
        text: str = self.decoded["payload"]
        nonce = re.fullmatch(r"(?:client|device) nonce=b'(\w{16})'(?: hmac\(.*\)=(\w+))?", text)
        if nonce:
            return nonce[1].encode() + bytes.fromhex(nonce[2] or "")
        return text.encode()

    @property
    def json(self) -> Any:
        return json.loads(self.payload)


def _load() -> dict[str, Capture]:
    out = {}
    for entry in json.loads(FRAMES_JSON.read_text()):
        session_key = entry.get("session_key_hex")
        out[entry["id"]] = Capture(
            id=entry["id"],
            direction=entry["direction"],
            version_text=entry["version"],
            data=bytes.fromhex(entry["hex"]),
            key_text=entry["key"],
            session_key=bytes.fromhex(session_key) if session_key else None,
            decoded=entry["decoded"],
            valid=entry["valid"],
            notes=entry["notes"],
        )
    return out


CAPTURES = _load()
