"""Codec speed: pack a CONTROL request and unpack a STATUS push, per protocol version,
setsmart.protocol against tinytuya's own functions, in the same run. Prints JSON.

    .venv/bin/python bench/codec.py [--seconds S]

Both sides do the same work on the same session: before timing, both packs are checked
to decode (by our device end) to the same command and JSON body, timestamp aside, and
both unpacks of the same pushed frame to give its DPs. Each measurement is split into
rounds that alternate between the sides, and each side keeps its best round, so a burst
of load from other processes cannot tilt the ratio one way.

A third side, the floor, makes only the C calls a pure-Python codec cannot avoid, each
by the fastest of the libraries at hand (JSON written by orjson and read by msgspec, AES
and HMAC by `cryptography` and OpenSSL, CRC32 by zlib-ng, base64 and md5 for 3.1, the
3.5 IV), in straight-line code with every per-key object made once, IVs drawn from the
OS a batch at a time, and no events, no stream buffering and no error handling. It also
leaves out what keeping json's results costs (json for float DP values, whose text
orjson writes differently). tinytuya's time over the floor's ("ceiling_speedup") is the
most any such codec could gain on tinytuya."""

from __future__ import annotations

import argparse
import binascii
import itertools
import json
import logging
import os
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from hashlib import md5, sha256
from typing import Any

import msgspec
import orjson
import tinytuya
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from tinytuya.core import message_helper
from zlib_ng.zlib_ng import crc32

from setsmart.protocol import VERSIONS, ClientSession, DeviceSession, Push, Request, Version

DEVICE_ID = "bf0123456789abcdefgh"
LOCAL_KEY = b"0123456789abcdef"
DPS: dict[str, bool | int | str | None] = {"1": True, "9": 0, "18": 125, "19": 2310, "20": 2301}
ROUNDS = 5


@dataclass
class Side:
    """One implementation's pack and unpack, on a shared session."""

    pack: Callable[[], bytes]
    unpack: Callable[[], object]


def paired_sessions(version: Version) -> tuple[ClientSession, DeviceSession]:
    client = ClientSession(DEVICE_ID, LOCAL_KEY, version)
    device = DeviceSession(DEVICE_ID, LOCAL_KEY, version)
    client.start()
    hello = client.data_to_send()
    if hello:
        device.receive_data(hello)
        client.receive_data(device.data_to_send())
        device.receive_data(client.data_to_send())
    return client, device


def ours(client: ClientSession, push: bytes) -> Side:
    def pack() -> bytes:
        return client.control({"1": False}).data

    def unpack() -> object:
        (event,) = client.receive_data(push)
        assert isinstance(event, Push)
        return event.dps

    return Side(pack, unpack)


def theirs(client: ClientSession, push: bytes) -> Side:
    version = client.version
    key = client.codec.key.raw  # the session key for 3.4/3.5, as tinytuya holds it
    dev = tinytuya.Device(DEVICE_ID, "127.0.0.1", LOCAL_KEY.decode(), version=3.3)
    # Given 3.2 with no DPs to query, tinytuya connects to the device to detect them:
    # name one first, so that no connection is ever tried (it only sets up queries).
    dev.set_dpsUsed({"1": None})
    dev.set_version(float(version))
    dev.local_key = key
    hmac_key = key if version in ("3.4", "3.5") else None

    def pack() -> bytes:
        data: bytes = dev._encode_message(dev.generate_payload(tinytuya.CONTROL, {"1": False}))
        return data

    def unpack() -> object:
        msg = message_helper.unpack_message(push, hmac_key=hmac_key)
        return dev._decode_payload(msg.payload)["dps"]

    return Side(pack, unpack)


read_json = msgspec.json.Decoder().decode
_H55AA = struct.Struct(">4I")
_H6699 = struct.Struct(">IHIII")
_U32 = struct.Struct(">I")


def floor(client: ClientSession, push: bytes) -> Side:
    """The unavoidable C calls of a pack and an unpack, and next to nothing else."""
    version = client.version
    key = client.codec.key.raw
    ecb = Cipher(algorithms.AES(key), modes.ECB())  # noqa: S305 (the protocol's cipher)
    encryptor, decryptor, gcm = ecb.encryptor(), ecb.decryptor(), AESGCM(key)
    block = key.ljust(64, b"\0")
    inner = sha256(bytes(b ^ 0x36 for b in block))
    outer = sha256(bytes(b ^ 0x5C for b in block))
    header = version.encode() + bytes(12)
    # One C call per IV, as from a pool refilled from the OS now and then (these frames
    # are never sent, so a cycle through one batch stands in for the refills).
    ivs = itertools.cycle(struct.iter_unpack("12s", os.urandom(12 * 4096)))

    def hmac(data: bytes) -> bytes:
        i, o = inner.copy(), outer.copy()
        i.update(data)
        o.update(i.digest())
        return o.digest()

    def padded(data: bytes) -> bytes:
        n = 16 - len(data) % 16
        return data + bytes([n]) * n

    def pack() -> bytes:
        t = int(time.time())
        if version in ("3.4", "3.5"):
            body = {"protocol": 5, "t": t, "data": {"dps": {"1": False}}}
        else:
            body = {"devId": DEVICE_ID, "uid": DEVICE_ID, "t": str(t), "dps": {"1": False}}
        text = orjson.dumps(body)
        if version == "3.5":
            plain = header + text
            head = _H6699.pack(0x6699, 0, 1, 13, 12 + len(plain) + 16)
            iv: bytes = next(ivs)[0]
            return head + iv + gcm.encrypt(iv, plain, head[4:]) + b"\0\0\x99\x66"
        if version == "3.4":
            sealed = encryptor.update(padded(header + text))
            data = _H55AA.pack(0x55AA, 1, 13, len(sealed) + 36) + sealed
            return data + hmac(data) + b"\0\0\xaa\x55"
        if version == "3.1":
            b64 = binascii.b2a_base64(encryptor.update(padded(text)), newline=False)
            digest = md5(b"data=" + b64 + b"||lpv=3.1||" + key).hexdigest()[8:24]  # noqa: S324
            payload = b"3.1" + digest.encode() + b64
        else:
            payload = header + encryptor.update(padded(text))
        data = _H55AA.pack(0x55AA, 1, 7, len(payload) + 8) + payload
        return data + _U32.pack(crc32(data)) + b"\0\0\xaa\x55"

    def unpack() -> object:
        obj: dict[str, Any]
        if version == "3.5":
            length = _H6699.unpack_from(push)[4]
            end = 18 + length
            plain = gcm.decrypt(push[18:30], push[30:end], push[4:18])
            obj = read_json(plain[4 + 15 :])  # retcode, header
            return obj["data"]["dps"]
        length = _H55AA.unpack_from(push)[3]
        if version == "3.4":
            end = 16 + length - 36
            if hmac(push[:end]) != push[end : end + 32]:
                raise ValueError("HMAC")
            plain = decryptor.update(push[20:end])
            obj = read_json(plain[15 : -plain[-1]])
            return obj["data"]["dps"]
        end = 16 + length - 8
        if _U32.unpack_from(push, end)[0] != crc32(push[:end]):
            raise ValueError("CRC")
        if version == "3.1":
            plain = decryptor.update(binascii.a2b_base64(push[20 + 19 : end]))
        else:
            plain = decryptor.update(push[20 + 15 : end])
        obj = read_json(plain[: -plain[-1]])
        return obj["dps"]

    return Side(pack, unpack)


def request_sent(device: DeviceSession, frame: bytes) -> tuple[int, dict[str, object]]:
    """What the device end reads from a packed request: its command and body, minus "t"."""
    (event,) = device.receive_data(frame)
    assert isinstance(event, Request), event
    assert event.data is not None, event
    return event.cmd, {k: v for k, v in event.data.items() if k != "t"}


def calls_per_second(fn: Callable[[], object], seconds: float) -> float:
    """Calls per second over at least `seconds` (bounded: at most 2 million calls)."""
    calls, start = 0, time.perf_counter()
    deadline = start + seconds
    while calls < 2_000_000:
        for _ in range(200):
            fn()
        calls += 200
        if time.perf_counter() >= deadline:
            break
    return calls / (time.perf_counter() - start)


def best_rates(fns: list[Callable[[], object]], seconds: float) -> list[float]:
    """Each function's best rate over rounds that alternate between them."""
    rates = [0.0] * len(fns)
    for _ in range(ROUNDS):
        for i, fn in enumerate(fns):
            rates[i] = max(rates[i], calls_per_second(fn, seconds / ROUNDS))
    return rates


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=1.0, help="per measurement and side")
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # tinytuya's debug checks must not skew it
    results = []
    for version in VERSIONS:
        client, device = paired_sessions(version)
        push = device.status(0, 8, DPS)
        us, them, least = ours(client, push), theirs(client, push), floor(client, push)
        assert us.unpack() == them.unpack() == least.unpack() == DPS
        sent = request_sent(device, us.pack())
        assert sent == request_sent(device, them.pack()) == request_sent(device, least.pack())
        row: dict[str, object] = {"version": version}
        seconds_per_op = {"ours": 0.0, "tinytuya": 0.0, "floor": 0.0}
        sides: dict[str, list[Callable[[], object]]] = {
            "pack": [us.pack, them.pack, least.pack],
            "unpack": [us.unpack, them.unpack, least.unpack],
        }
        for name, fns in sides.items():
            a, b, c = best_rates(fns, args.seconds)
            row[f"{name}_per_s"] = round(a)
            row[f"tinytuya_{name}_per_s"] = round(b)
            row[f"floor_{name}_per_s"] = round(c)
            row[f"{name}_speedup"] = round(a / b, 2)
            seconds_per_op["ours"] += 1 / a
            seconds_per_op["tinytuya"] += 1 / b
            seconds_per_op["floor"] += 1 / c
        tinytuya_time = seconds_per_op["tinytuya"]
        row["pack_unpack_speedup"] = round(tinytuya_time / seconds_per_op["ours"], 2)
        row["ceiling_speedup"] = round(tinytuya_time / seconds_per_op["floor"], 2)
        results.append(row)
    report = {"benchmark": "codec", "tinytuya": tinytuya.__version__, "results": results}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
