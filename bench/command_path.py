"""The daemon's Python work to turn a `/set` payload into the DPs to write, in-process:
`decode_set_payload` then `parse_set`, as `Supervisor._on_command` and
`DeviceRuntime._order` call them, with no broker and no device. Prints, per command of
each case, the best of five timed runs and the calls cProfile counts (Python functions
and built-ins apart).

    PYTHONPATH=src .venv/bin/python bench/command_path.py [--commands N]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import time
from collections.abc import Mapping
from typing import Final

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
_PROFILED = 2000


def command(profile: DeviceProfile, raw: bytes, dps: Mapping[str, object]) -> SetCommand:
    """What the daemon does with one `/set` payload before it writes the DPs."""
    return parse_set(profile, decode_set_payload(raw), dps)


def commands(profile: DeviceProfile, raw: bytes, dps: Mapping[str, object], n: int) -> None:
    for _ in range(n):
        parse_set(profile, decode_set_payload(raw), dps)


def measure(profile: DeviceProfile, raw: bytes, dps: Mapping[str, object], n: int) -> str:
    commands(profile, raw, dps, n // 10)  # warm up
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        commands(profile, raw, dps, n)
        best = min(best, time.perf_counter() - start)
    profiler = cProfile.Profile()
    profiler.enable()
    commands(profile, raw, dps, _PROFILED)
    profiler.disable()
    table = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    # The loop itself (`commands`) is one entry called once: not part of a command.
    calls = (sum(entry[1] for entry in table.values()) - 1) / _PROFILED
    builtins = sum(entry[1] for key, entry in table.items() if key[0] == "~") / _PROFILED
    return (
        f"{1e6 * best / n:.2f} us per command; {calls:.0f} calls "
        f"({calls - builtins:.0f} Python functions, {builtins:.0f} built-ins)"
    )


def run(n: int) -> None:
    gc.disable()
    try:
        for name, kind, raw, dps in CASES:
            print(f"{name}: {measure(profile_for(kind), raw, dps, n)}")
    finally:
        gc.enable()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=50_000)
    run(parser.parse_args().commands)


if __name__ == "__main__":
    main()
