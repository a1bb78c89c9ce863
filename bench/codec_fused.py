"""How close to the floor a codec can get: bench/codec.py's sides plus a fused one, for
3.2 to 3.5. Prints JSON.

    .venv/bin/python -m bench.codec_fused [--seconds S]

The fused side does all that setsmart.protocol does for a CONTROL pack and a STATUS
unpack (the same frame checks, the same Outgoing, Push and DP copy, json's results) in one
straight-line function per direction, with no call from layer to layer: it is the best a
codec with those semantics can do in Python with these C calls. Its speed-up over
tinytuya ("fused_speedup") is what stands between the layered codec and the floor's
ceiling. 3.1 is left out: there even the floor stays under 5x.
"""

from __future__ import annotations

import argparse
import json
import logging
import struct
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag

from bench.codec import (
    DEVICE_ID,
    DPS,
    Side,
    best_rates,
    floor,
    ours,
    paired_sessions,
    request_sent,
    theirs,
)
from setsmart.protocol import ClientSession, Push, Version, messages
from setsmart.protocol.crypto import crc32, random_iv
from setsmart.protocol.session import Outgoing, SessionState

_H55AA = struct.Struct(">4I")
_H55AA_RETCODE = struct.Struct(">5I")
_H6699 = struct.Struct(">IHIII")
_CRC_SUFFIX = struct.Struct(">II")
_U32 = struct.Struct(">I")
_PADS = [bytes([n]) * n for n in range(17)]
_EXACT = frozenset({str, int, bool, type(None)})
_HANDSHAKE = frozenset({3, 4, 5})
_READY = SessionState.READY
_outgoing = partial(tuple.__new__, Outgoing)
# orjson with json's results: long integers and deep nestings go to json.
_loads_object = messages.loads_object


def fused(client: ClientSession, push: bytes) -> Side:
    version: Version = client.version
    key = client.codec.key
    encryptor, decryptor, gcm = key._ecb_encryptor, key._ecb_decryptor, key._gcm
    header = version.encode() + bytes(12)
    seqnos = [0]

    def control(dps: dict[str, Any]) -> Outgoing:
        t = int(time.time())
        body: dict[str, Any]
        if version in ("3.4", "3.5"):
            body = {"protocol": 5, "t": t, "data": {"dps": dps}}
        else:
            body = {"devId": DEVICE_ID, "uid": DEVICE_ID, "t": str(t), "dps": dps}
        for value in dps.values():
            if type(value) not in _EXACT:
                raise TypeError(value)
        text = orjson.dumps(body)
        if client.state is not _READY:
            raise RuntimeError(client.state)
        seqnos[0] = seqno = seqnos[0] % 0xFFFFFFFF + 1
        if version == "3.5":
            plain = header + text
            head = _H6699.pack(0x6699, 0, seqno, 13, 28 + len(plain))
            iv = random_iv()
            sealed = gcm.encrypt(iv, plain, head[4:])
            return _outgoing((seqno, 13, head + iv + sealed + b"\0\0\x99\x66"))
        if version == "3.4":
            plain = header + text
            payload = encryptor.update(plain + _PADS[16 - len(plain) % 16])
            data = _H55AA.pack(0x55AA, seqno, 13, len(payload) + 36) + payload
            return _outgoing((seqno, 13, data + key.hmac(data) + b"\0\0\xaa\x55"))
        payload = header + encryptor.update(text + _PADS[16 - len(text) % 16])
        data = _H55AA.pack(0x55AA, seqno, 7, len(payload) + 8) + payload
        return _outgoing((seqno, 7, data + _CRC_SUFFIX.pack(crc32(data), 0xAA55)))

    def receive(data: bytes) -> list[Push] | None:  # noqa: PLR0912 (one function on purpose)
        n = len(data)
        if version == "3.5":
            if n < 54:
                return None
            prefix, _, seqno, cmd, length = _H6699.unpack_from(data)
            if prefix != 0x6699 or length + 22 != n or length > 16384:
                return None
            if data[-4:] != b"\0\0\x99\x66":
                return None
            try:
                plain = gcm.decrypt(data[18:30], data[30:-4], data[4:18])
            except InvalidTag:
                return None
            text = plain[4:]
            if plain[4:6] == b"3." and len(plain) >= 19 and cmd not in _HANDSHAKE:
                text = plain[19:]
        else:
            if n < 28:
                return None
            prefix, seqno, cmd, length, _ = _H55AA_RETCODE.unpack_from(data)
            if prefix != 0x55AA or length + 16 != n or length > 16384:
                return None
            if version == "3.4":
                end = n - 36
                if data[-4:] != b"\0\0\xaa\x55" or key.hmac(data[:end]) != data[end:-4]:
                    return None
                raw = data[20:end]
            else:
                end = n - 8
                crc, suffix = _CRC_SUFFIX.unpack_from(data, end)
                if suffix != 0xAA55 or crc != crc32(data[:end]):
                    return None
                start = 35 if (end - 20) % 16 == 15 and data[20:22] == b"3." else 20
                raw = data[start:end]
            if not raw or len(raw) % 16:
                return None
            plain = decryptor.update(raw)
            pad = plain[-1]
            if pad > 16 or plain[-pad:] != _PADS[pad]:
                return None
            text = plain[:-pad]
            if version == "3.4" and text[:2] == b"3." and len(text) >= 15:
                text = text[15:]
        if not text:
            return None
        obj = _loads_object(text)
        if obj is None or cmd != 8:
            return None
        return [Push(seqno, obj)]

    def pack() -> bytes:
        return control({"1": False}).data

    def unpack() -> object:
        events = receive(push)
        assert events is not None
        (event,) = events
        return messages.extract_dps(event.data)

    return Side(pack, unpack)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=1.0, help="per measurement and side")
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)
    results = []
    versions: tuple[Version, ...] = ("3.2", "3.3", "3.4", "3.5")
    for version in versions:
        client, device = paired_sessions(version)
        push = device.status(0, 8, DPS)
        sides = {
            "ours": ours(client, push),
            "fused": fused(client, push),
            "floor": floor(client, push),
            "tinytuya": theirs(client, push),
        }
        assert all(side.unpack() == DPS for side in sides.values())
        sent = {json.dumps(request_sent(device, side.pack())) for side in sides.values()}
        assert len(sent) == 1, sent
        seconds: dict[str, float] = dict.fromkeys(sides, 0.0)
        for op in ("pack", "unpack"):
            fns: list[Callable[[], object]] = [getattr(side, op) for side in sides.values()]
            for name, rate in zip(sides, best_rates(fns, args.seconds), strict=True):
                seconds[name] += 1 / rate
        tinytuya = seconds["tinytuya"]
        row: dict[str, object] = {"version": version}
        row |= {f"{name}_us": round(s * 1e6, 3) for name, s in seconds.items()}
        row |= {f"{name}_speedup": round(tinytuya / seconds[name], 2) for name in sides}
        results.append(row)
    print(json.dumps({"benchmark": "codec_fused", "results": results}, indent=2))


if __name__ == "__main__":
    main()
