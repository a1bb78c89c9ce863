"""`setsmart` under cProfile, switched on and off by signals: the daemon benchmarks'
`--profile PREFIX` runs the daemon through this to profile each measured phase alone.

    python -m bench.profiled run -c config.yaml      (SETSMART_PROFILE_PREFIX=/tmp/p)

SIGUSR1 starts a profile; SIGUSR2 stops it and writes `PREFIX.N.prof` (N = 1, 2, ...).
`python -m bench.profiled report FILE OPS [ROWS]` prints Python calls and CPU per
operation, and the functions costing most of it (cProfile's own overhead included: compare
profiles with each other, not with unprofiled figures).
"""

from __future__ import annotations

import cProfile
import os
import pstats
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from setsmart.cli import main as setsmart_main

PREFIX_VARIABLE = "SETSMART_PROFILE_PREFIX"


class _Switch:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.profile: cProfile.Profile | None = None
        self.written = 0

    def start(self, _signal: int, _frame: FrameType | None) -> None:
        self.profile = cProfile.Profile()
        self.profile.enable()

    def stop(self, _signal: int, _frame: FrameType | None) -> None:
        if self.profile is None:
            return
        self.profile.disable()
        self.written += 1
        self.profile.dump_stats(f"{self.prefix}.{self.written}.prof")
        self.profile = None


def run_setsmart(argv: Sequence[str]) -> int:
    switch = _Switch(os.environ.get(PREFIX_VARIABLE, "setsmart"))
    signal.signal(signal.SIGUSR1, switch.start)
    signal.signal(signal.SIGUSR2, switch.stop)
    return setsmart_main(argv)


def report(path: str, ops: int, rows: int = 40) -> None:
    stats = pstats.Stats(path)
    table = stats.stats  # type: ignore[attr-defined]
    calls = sum(entry[1] for entry in table.values())
    seconds = sum(entry[2] for entry in table.values())
    print(f"{path}: {calls / ops:.0f} Python calls and {1e3 * seconds / ops:.3f} ms per op")
    ranked = sorted(table.items(), key=lambda item: -item[1][2])
    for (file, line, name), (_, count, own, total, _callers) in ranked[:rows]:
        where = file.split("/src/")[-1].split("/lib/python3")[-1]
        print(
            f"{1e6 * own / ops:7.1f} us own {1e6 * total / ops:7.1f} us with callees "
            f"{count / ops:6.2f}/op  {name} {where}:{line}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["report"]:
        report(args[1], int(args[2]), int(args[3]) if len(args) > 3 else 40)
        return 0
    return run_setsmart(args)


if __name__ == "__main__":
    sys.exit(main())
