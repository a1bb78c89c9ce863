"""Starting a peer's worker process (`python -m bench.runs ...`) and collecting its JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.fleetspec import DeviceSpec, save_fleet
from bench.measure import machine_busy_seconds
from bench.simfleet import IMPORT_PATH, REPO, FleetProcess


def git_revision() -> str | None:
    """The commit setsmart is measured at (with `+dirty` for uncommitted changes)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 (git from PATH, read-only)
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src/setsmart/lan", "src/setsmart/protocol"],  # noqa: S607
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}+dirty" if dirty else head


def run_worker(mode: str, options: dict[str, object], time_limit: float) -> dict[str, Any]:
    """Run one measurement in a fresh process; a crash or overrun is reported, not raised."""
    command = [sys.executable, "-m", "bench.runs", mode]
    for name, value in options.items():
        if value is not None:
            command.append(f"--{name.replace('_', '-')}={value}")
    env = {**os.environ, "PYTHONPATH": IMPORT_PATH}
    start = time.perf_counter()
    with tempfile.TemporaryFile(mode="w+") as stderr:
        try:
            done = subprocess.run(  # noqa: S603 (our own interpreter and module)
                command,
                cwd=REPO,
                env=env,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                timeout=time_limit,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return {"worker_error": f"did not finish within {time_limit:g} s"}
        stderr.seek(0)
        tail = stderr.read()[-1500:]
    wall = round(time.perf_counter() - start, 2)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"worker_error": f"exit code {done.returncode}: {tail.strip()}", "wall_s": wall}
    try:
        report: dict[str, Any] = json.loads(lines[-1])
    except json.JSONDecodeError:
        return {"worker_error": f"unreadable output: {lines[-1][:200]}", "wall_s": wall}
    report["wall_s"] = wall
    return report


def measured_run(
    fleet: FleetProcess, mode: str, options: dict[str, object], time_limit: float
) -> dict[str, Any]:
    """`run_worker`, plus what the fleet saw meanwhile: TCP connections it accepted, its
    CPU time, and the CPU time other processes on the machine took (noise)."""
    before = fleet.stats()
    sim_cpu, busy = fleet.cpu_seconds(), machine_busy_seconds()
    run = run_worker(mode, options, time_limit)
    busy = machine_busy_seconds() - busy
    sim_cpu = fleet.cpu_seconds() - sim_cpu
    run["sim_connections"] = fleet.stats()["connections"] - before["connections"]
    run["sim_cpu_s"] = round(sim_cpu, 2)
    if "process_cpu_s" in run:
        run["foreign_cpu_s"] = round(max(0.0, busy - sim_cpu - run["process_cpu_s"]), 2)
    return run


def fleet_file(devices: list[DeviceSpec], directory: str) -> Path:
    """Write the fleet's devices where worker processes can read them."""
    path = Path(directory) / "fleet.json"
    save_fleet(path, devices)
    return path
