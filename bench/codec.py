"""Codec speed: pack a CONTROL request and unpack a STATUS push, per protocol version,
setsmart.protocol against tinytuya's own functions, in the same run. Prints JSON.

    .venv/bin/python bench/codec.py [--seconds S]

Both sides do the same work on the same session: before timing, both packs are checked
to decode (by our device end) to the same command and JSON body, timestamp aside, and
both unpacks of the same pushed frame to give its DPs. Each measurement is split into
rounds that alternate between the two sides, and each side keeps its best round, so a
burst of load from other processes cannot tilt the ratio one way.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import tinytuya
from tinytuya.core import message_helper

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
    dev = tinytuya.Device(DEVICE_ID, "127.0.0.1", LOCAL_KEY.decode(), version=float(version))
    dev.local_key = key
    hmac_key = key if version in ("3.4", "3.5") else None

    def pack() -> bytes:
        data: bytes = dev._encode_message(dev.generate_payload(tinytuya.CONTROL, {"1": False}))
        return data

    def unpack() -> object:
        msg = message_helper.unpack_message(push, hmac_key=hmac_key)
        return dev._decode_payload(msg.payload)["dps"]

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


def best_rates(
    mine: Callable[[], object], ref: Callable[[], object], seconds: float
) -> tuple[float, float]:
    """Each side's best rate over alternating rounds sharing `seconds` per side."""
    a = b = 0.0
    for _ in range(ROUNDS):
        a = max(a, calls_per_second(mine, seconds / ROUNDS))
        b = max(b, calls_per_second(ref, seconds / ROUNDS))
    return a, b


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=1.0, help="per measurement and side")
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # tinytuya's debug checks must not skew it
    results = []
    for version in VERSIONS:
        client, device = paired_sessions(version)
        push = device.status(0, 8, DPS)
        us, them = ours(client, push), theirs(client, push)
        assert us.unpack() == them.unpack() == DPS
        assert request_sent(device, us.pack()) == request_sent(device, them.pack())
        row: dict[str, object] = {"version": version}
        seconds_per_op = {"ours": 0.0, "tinytuya": 0.0}
        pairs = {"pack": (us.pack, them.pack), "unpack": (us.unpack, them.unpack)}
        for name, (mine, ref) in pairs.items():
            a, b = best_rates(mine, ref, args.seconds)
            row[f"{name}_per_s"] = round(a)
            row[f"tinytuya_{name}_per_s"] = round(b)
            row[f"{name}_speedup"] = round(a / b, 2)
            seconds_per_op["ours"] += 1 / a
            seconds_per_op["tinytuya"] += 1 / b
        row["pack_unpack_speedup"] = round(seconds_per_op["tinytuya"] / seconds_per_op["ours"], 2)
        results.append(row)
    report = {"benchmark": "codec", "tinytuya": tinytuya.__version__, "results": results}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
