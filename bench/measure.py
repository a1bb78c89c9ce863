"""Small measuring tools shared by the LAN benchmarks: percentiles, RSS, CPU time, fd limit."""

from __future__ import annotations

import math
import os
import resource
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Error texts kept per measurement, so a report shows why operations failed without
# growing with the number of failures.
_SAMPLE_ERRORS = 3


def raise_fd_limit() -> int:
    """Raise the soft limit on open files to the hard limit; return the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def pin_to_cpu(cpu: int | None) -> int | None:
    """Keep this process (and the threads it starts later) on one CPU; None: leave it.

    The benchmarks put the simulated fleet on one core and the client on the other, so
    every peer gets the same single core, whatever the other side does.
    """
    if cpu is None or cpu < 0 or not hasattr(os, "sched_setaffinity"):
        return None
    available = sorted(os.sched_getaffinity(0))
    if cpu not in available:
        return None
    os.sched_setaffinity(0, {cpu})
    return cpu


def cpu_layout() -> dict[str, int | None]:
    """Which CPU the fleet and the client get: 1 and 0 when there are two or more."""
    count = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    if count >= 2:
        return {"fleet_cpu": 1, "client_cpu": 0}
    return {"fleet_cpu": None, "client_cpu": None}


def rss_mb(pid: int | str = "self") -> float:
    """Resident set size (VmRSS of /proc/<pid>/status) in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no VmRSS in /proc/{pid}/status")


def thread_count(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int | str = "self") -> float:
    """User plus system CPU time a process has used so far (all its threads)."""
    if pid == "self":
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time all CPUs have spent busy since boot (from /proc/stat), for telling how much
    other processes ran during a measurement."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending sequence (fraction 0.5 is the median)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def latency_summary(latencies_s: Iterable[float]) -> dict[str, Any]:
    """count, p50, p90, p99, max and mean of latencies given in seconds, in milliseconds."""
    values = sorted(latencies_s)
    if not values:
        return {"count": 0, "p50_ms": None, "p99_ms": None}
    ms = 1000.0
    return {
        "count": len(values),
        "p50_ms": round(percentile(values, 0.50) * ms, 3),
        "p90_ms": round(percentile(values, 0.90) * ms, 3),
        "p99_ms": round(percentile(values, 0.99) * ms, 3),
        "max_ms": round(values[-1] * ms, 3),
        "mean_ms": round(sum(values) / len(values) * ms, 3),
    }


@dataclass
class Tally:
    """Outcomes of many operations: latencies of the good ones, failures by kind."""

    latencies: list[float] = field(default_factory=list)
    by_version: dict[str, list[float]] = field(default_factory=dict)
    failures: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    late: int = 0  # operations that started late: the client could not keep the pace
    slowest: tuple[float, str] | None = None  # (seconds, which operation), when named

    def ok(self, version: str, seconds: float, which: str = "") -> None:
        self.latencies.append(seconds)
        self.by_version.setdefault(version, []).append(seconds)
        if which:
            self._keep_slowest((seconds, which))

    def fail(self, kind: str, message: str) -> None:
        self.failures[kind] += 1
        if len(self.errors) < _SAMPLE_ERRORS and message not in self.errors:
            self.errors.append(message)

    def merge(self, other: Tally) -> None:
        self.latencies += other.latencies
        for version, values in other.by_version.items():
            self.by_version.setdefault(version, []).extend(values)
        self.failures.update(other.failures)
        self.late += other.late
        if other.slowest is not None:
            self._keep_slowest(other.slowest)
        for message in other.errors:
            if len(self.errors) < _SAMPLE_ERRORS and message not in self.errors:
                self.errors.append(message)

    def _keep_slowest(self, candidate: tuple[float, str]) -> None:
        if self.slowest is None or candidate[0] > self.slowest[0]:
            self.slowest = candidate

    @property
    def attempted(self) -> int:
        return len(self.latencies) + sum(self.failures.values())

    def report(self) -> dict[str, Any]:
        summary = latency_summary(self.latencies)
        return {
            "attempted": self.attempted,
            "ok": len(self.latencies),
            "failed": sum(self.failures.values()),
            "failures": dict(sorted(self.failures.items())),
            "late_starts": self.late,
            **{k: v for k, v in summary.items() if k != "count"},
            "by_version": {
                version: {
                    k: v
                    for k, v in latency_summary(values).items()
                    if k in ("count", "p50_ms", "p99_ms")
                }
                for version, values in sorted(self.by_version.items())
            },
            "error_samples": self.errors,
            **({} if self.slowest is None else {"slowest": self.slowest[1]}),
        }
