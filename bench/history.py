"""History at fleet scale: the SQLite file after a simulated week, and the cost of writing.

    .venv/bin/python -m bench.history [--devices 1000] [--days 7] [--metering 0.4]

Simulated time, no sockets: `--devices` devices of which the `--metering` share are plugs
whose power, voltage and current wander and whose energy grows (by 5 W to 2 kW loads, so
the energy total moves on almost every report), reported every 5 s (the daemon's
`lan.energy_poll`); the others are lights whose brightness changes a few times an hour.
Their state documents go through setsmart's Sampler and HourlyEnergy into the history
database, flushed every 2 s and pruned every 10 minutes, as the daemon does. Samples are
kept 48 h, so the file after a week holds 7 days of hourly energy and the last 48 h of
samples, older than 30 min as 10-minute averages: the first days are written as their
hourly energy alone, the 45 hours before the last 3 as the roll-up leaves them (one
average per changing series and 10 minutes), and the last 3 hours (enough for the raw
window and its roll-ups to reach their steady state) are simulated report by report.
Printed as JSON: the file's size at the end and its largest (the target: under 50 MB, WAL
included), the samples kept, and the time a flush of a 2-second batch takes on the history
thread (it never runs on the event loop).

The peer in the same run is the naive store that keeps every report (one row per key per
report, no sampling, no roll-up), on the same data, for the first `--naive-hours` hours:
its size is extrapolated to the 48 h a history is kept.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.driver import git_revision
from setsmart.history import HourlyEnergy, Sample, Sampler, open_database
from setsmart.history.database import FILE_NAME

STEP = 5.0  # seconds between two energy refreshes
FLUSH = 2.0
PRUNE = 600.0
HOUR = 3600
DETAIL_HOURS = 3
_METER_KEYS = ("power", "voltage", "current", "energy")
TARGET_MB = 50.0


class Plug:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.load = rng.uniform(5, 2000)
        self.volts = 230 + rng.uniform(-2, 2)
        self.kwh = rng.uniform(0, 500)
        self.on = True

    def state(self) -> dict[str, object]:
        noise = self.rng.random() - 0.5
        if abs(noise) > 0.49975:
            self.on = not self.on
        self.volts = min(max(self.volts + noise * 2, 225), 235)
        watts = self.load * (1 + noise * 0.04) if self.on else 0.0
        self.kwh += watts * STEP / 3600 / 1000
        return {
            "state": "ON" if self.on else "OFF",
            "power": round(watts, 1),
            "voltage": round(self.volts, 1),
            "current": round(watts / self.volts, 3),
            "energy": round(self.kwh, 3),
        }


class Light:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.brightness = rng.randrange(256)

    def state(self) -> dict[str, object]:
        if self.rng.random() < STEP / 900:  # a few changes an hour
            self.brightness = self.rng.randrange(256)
        return {"state": "ON", "brightness": self.brightness, "color_temp": 300}


def run(devices: int, days: float, metering: float, naive_hours: float) -> dict[str, Any]:
    rng = random.Random(7)
    fleet = [Plug(rng) if n < devices * metering else Light(rng) for n in range(devices)]
    names = [f"device_{n:04d}" for n in range(devices)]
    sampler, energy = Sampler(), HourlyEnergy()
    end = 1_800_000_000.0
    start = end - min(days * 24, DETAIL_HOURS) * HOUR
    rolled_from = end - min(days * 24, 48) * HOUR
    first = end - days * 24 * HOUR
    meters = names[: int(devices * metering)]
    flush_times: list[float] = []
    largest = 0
    naive_rows = 0
    batch: list[Any] = []
    with tempfile.TemporaryDirectory(prefix="bench-history-") as scratch:
        directory = Path(scratch)
        db, _ = open_database(directory)
        for hour in range(int(first), int(start), HOUR):
            db.write([], {(name, hour): 0.05 for name in meters})
        for bucket in range(int(rolled_from), int(start), db.limits.rollup):
            db.write([Sample(name, key, bucket, 1.0) for name in meters for key in _METER_KEYS], {})
        db.prune(start)
        now, next_flush, next_prune = start, start + FLUSH, start + PRUNE
        wall = time.perf_counter()
        while now < end:
            for name, device in zip(names, fleet, strict=True):
                state = device.state()
                batch += sampler.observe(name, state, now)
                total = state.get("energy")
                if isinstance(total, float):
                    energy.observe(name, total, now)
                if now < start + naive_hours * HOUR:
                    naive_rows += sum(1 for v in state.values() if isinstance(v, int | float))
            now += STEP
            while next_flush <= now:
                batch += sampler.due(next_flush)
                began = time.perf_counter()
                db.write(batch, energy.take())
                flush_times.append(time.perf_counter() - began)
                batch = []
                next_flush += FLUSH
            if now >= next_prune:
                db.prune(now)
                next_prune += PRUNE
                largest = max(largest, _on_disk(directory))
        simulate_s = time.perf_counter() - wall
        samples = db.sample_count()
        size_open = _on_disk(directory)
        used = db.size()
        db.close()
        size = max(size_open, _on_disk(directory))
    flush_times.sort()
    # A row of (series, t, v): 23 bytes on disk, measured with time-ordered inserts.
    naive_mb = naive_rows / naive_hours * 48 * 23 / 1e6 if naive_hours else None
    return {
        "devices": devices,
        "metering": metering,
        "days": days,
        "file_mb": round(size / 1e6, 1),
        "largest_file_mb": round(max(largest, size) / 1e6, 1),
        "target_mb": TARGET_MB,
        "meets_target": max(largest, size) / 1e6 < TARGET_MB,
        "samples_kept": samples,
        "used_mb": round(used / 1e6, 1),
        "flush_ms": {
            "p50": round(statistics.median(flush_times) * 1000, 2),
            "p99": round(flush_times[int(len(flush_times) * 0.99)] * 1000, 2),
        },
        "simulation_s": round(simulate_s, 1),
        "naive_every_report_48h_mb": None if naive_mb is None else round(naive_mb),
    }


def _on_disk(directory: Path) -> int:
    """The database and its WAL, as they are on disk now."""
    return sum(p.stat().st_size for p in directory.glob(FILE_NAME + "*"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--metering", type=float, default=0.4)
    parser.add_argument("--naive-hours", type=float, default=1.0)
    args = parser.parse_args()
    result = run(args.devices, args.days, args.metering, args.naive_hours)
    print(json.dumps({"benchmark": "history", "revision": git_revision(), **result}, indent=2))


if __name__ == "__main__":
    main()
