"""Timing and call counts for the in-process benchmarks (`state_path`, `command_path`):
the best of five timed runs of a loop, and what cProfile counts in one more."""

from __future__ import annotations

import cProfile
import gc
import pstats
import time
from collections.abc import Callable

#: Operations the profiled run makes (its counts are divided by this).
PROFILED = 2000


def per_operation(loop: Callable[[int], None], n: int) -> dict[str, float]:
    """`loop(k)` runs k operations: µs each (best of five runs of `n`), and the calls each
    makes (Python functions and built-ins apart; the loop's own entry left out)."""
    gc.disable()
    try:
        loop(n // 10)  # warm up
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            loop(n)
            best = min(best, time.perf_counter() - start)
        profiler = cProfile.Profile()
        profiler.enable()
        loop(PROFILED)
        profiler.disable()
    finally:
        gc.enable()
    counted, counted_builtins = call_counts(profiler)
    calls = (counted - 1) / PROFILED
    builtins = counted_builtins / PROFILED
    return {
        "us": round(1e6 * best / n, 3),
        "calls": round(calls, 1),
        "python_functions": round(calls - builtins, 1),
        "builtins": round(builtins, 1),
    }


def call_counts(profiler: cProfile.Profile) -> tuple[int, int]:
    """The calls a profile counted, and how many of them were to built-ins."""
    table = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    calls = sum(entry[1] for entry in table.values())
    builtins = sum(entry[1] for key, entry in table.items() if key[0] == "~")
    return calls, builtins
