"""The daemon's Python work to turn a `/set` payload into the DPs to write, in-process:
`decode_set_payload` then `parse_set`, as `Supervisor._on_command` and
`DeviceRuntime._order` call them, with no broker and no device. Prints JSON: per command
of each case, µs (the best of five timed runs) and the calls cProfile counts (Python
functions and built-ins apart).

    .venv/bin/python -m bench.command_path [--commands N]
"""

from __future__ import annotations

import argparse
import functools
import json
from collections.abc import Mapping
from typing import Final

from bench.inprocess import per_operation
from setsmart.devices import DeviceProfile, SetCommand, parse_set, profile_for
from setsmart.mqtt.payloads import decode_set_payload

#: (name, device type, payload, the device's current DPs)
CASES: Final[tuple[tuple[str, str, bytes, Mapping[str, object]], ...]] = (
    ("plug on", "plug", b'{"state": "ON"}', {"1": False}),
    ("plug off", "plug", b'{"state": "OFF"}', {"1": True}),
    ("plug word", "plug", b"TOGGLE", {"1": True}),
    ("strip gang", "strip", b'{"state_l2": "ON"}', {"1": True, "2": False}),
    ("bulb level", "bulb", b'{"brightness": 128}', {"20": True, "21": "white", "22": 500}),
)


def command(profile: DeviceProfile, raw: bytes, dps: Mapping[str, object]) -> SetCommand:
    """What the daemon does with one `/set` payload before it writes the DPs."""
    return parse_set(profile, decode_set_payload(raw), dps)


def commands(profile: DeviceProfile, raw: bytes, dps: Mapping[str, object], n: int) -> None:
    for _ in range(n):
        parse_set(profile, decode_set_payload(raw), dps)


def report(n: int) -> dict[str, object]:
    cases = {
        name: per_operation(functools.partial(commands, profile_for(kind), raw, dps), n)
        for name, kind, raw, dps in CASES
    }
    return {"benchmark": "command_path", "commands": n, "cases": cases}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=50_000)
    print(json.dumps(report(parser.parse_args().commands), indent=1))


if __name__ == "__main__":
    main()
