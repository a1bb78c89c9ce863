"""A fleet of simulated devices in a process of its own, for the LAN benchmarks.

Run alone, it starts the fleet on 127.0.x.y addresses, prints one JSON line describing
every device (id, key, version, kind, host, port, dps) and then answers `stats` lines on
stdin with one JSON line of counters, until stdin closes or `--max-seconds` pass:

    .venv/bin/python -m bench.simfleet --count 1000 --versions 3.3,3.4,3.5

`FleetProcess` starts and stops it from a benchmark, so the device side never shares
a process (or its CPU accounting) with the client being measured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import select
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from bench.fleetspec import DeviceSpec
from bench.measure import cpu_seconds, pin_to_cpu, raise_fd_limit, rss_mb
from setsmart.protocol import VERSIONS, Version
from setsmart.sim import SimFleet, make_device_id, make_local_key

REPO = Path(__file__).resolve().parent.parent
# What a benchmark's subprocesses import: this checkout's own setsmart and bench, even when
# the venv's editable install points at another checkout (a worktree sharing the venv).
IMPORT_PATH = os.pathsep.join([str(REPO / "src"), str(REPO)])
# Away from the 127.0.0.x addresses the test suite uses, so both can run at once.
FIRST_HOST = "127.0.64.1"
START_LIMIT = 120.0  # seconds for the fleet process to come up


def parse_version(text: str) -> Version:
    for version in VERSIONS:
        if text == version:
            return version
    raise ValueError(f"protocol version {text!r} is not one of {', '.join(VERSIONS)}")


def parse_versions(text: str) -> list[Version]:
    return [parse_version(part.strip()) for part in text.split(",") if part.strip()]


# The fleet process ----------------------------------------------------------------------


def build_fleet(count: int, versions: list[Version], kind: str, first_host: str) -> SimFleet:
    """`count` devices of one kind, cycling through `versions`; no idle drops (the
    benchmarks hold sessions open without traffic between phases)."""
    fleet = SimFleet(first_host=first_host, idle_timeout=None)
    for n in range(count):
        fleet.add(make_device_id(n), make_local_key(n), versions[n % len(versions)], kind)
    return fleet


def disable_nagle(fleet: SimFleet) -> int:
    """Set TCP_NODELAY on every device's listening socket (accepted sockets inherit it on
    Linux); returns how many were set.

    SimDevice hands accepted sockets to asyncio, which sets TCP_NODELAY only on sockets
    whose `proto` is IPPROTO_TCP, and `accept()` gives proto 0: without this, Nagle holds
    a device's STATUS push behind its un-acknowledged empty ack until the client's
    delayed ACK (40 ms on Linux), and a client that waits for the push (tinytuya's set)
    measures the simulator, not itself.
    """
    done = 0
    for device in fleet:
        listener = getattr(device, "_listener", None)  # no public handle on it
        if isinstance(listener, socket.socket):
            listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            done += 1
    return done


def fleet_stats(fleet: SimFleet) -> dict[str, int]:
    totals = {
        "connections": 0,
        "replaced": 0,
        "dropped": 0,
        "idle_drops": 0,
        "handshake_failures": 0,
        "ignored": 0,
        "requests": 0,
        "connected_now": 0,
    }
    for device in fleet:
        stats = device.stats
        totals["connections"] += stats.connections
        totals["replaced"] += stats.replaced
        totals["dropped"] += stats.dropped
        totals["idle_drops"] += stats.idle_drops
        totals["handshake_failures"] += stats.handshake_failures
        totals["ignored"] += stats.ignored
        totals["requests"] += sum(stats.requests.values())
        totals["connected_now"] += device.connected
    return totals


async def serve(args: argparse.Namespace) -> None:
    fleet = build_fleet(args.count, parse_versions(args.versions), args.kind, args.first_host)
    async with fleet:
        nodelay = disable_nagle(fleet) if not args.nagle else 0
        devices = [
            {**entry, "dps": sorted(fleet[entry["id"]].dps, key=int)} for entry in fleet.describe()
        ]
        hello = {"pid": os.getpid(), "nodelay_listeners": nodelay, "devices": devices}
        print(json.dumps(hello), flush=True)
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        try:
            async with asyncio.timeout(args.max_seconds):
                while line := await reader.readline():
                    if line.strip() == b"stats":
                        print(json.dumps(fleet_stats(fleet)), flush=True)
        except TimeoutError:
            pass


def main() -> None:
    parser = argparse.ArgumentParser(description="Run simulated devices for the benchmarks.")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--versions", default="3.3,3.4,3.5")
    parser.add_argument("--kind", default="plug")
    parser.add_argument("--first-host", default=FIRST_HOST)
    parser.add_argument("--max-seconds", type=float, default=3600.0, help="then stop anyway")
    parser.add_argument("--cpu", type=int, default=None, help="pin the fleet to this CPU")
    parser.add_argument(
        "--nagle", action="store_true", help="leave Nagle on for the devices' sockets"
    )
    args = parser.parse_args()
    pin_to_cpu(args.cpu)
    raise_fd_limit()
    asyncio.run(serve(args))


# The benchmark's side ---------------------------------------------------------------------


class FleetProcess:
    """Start `python -m bench.simfleet` and talk to it; a context manager."""

    def __init__(
        self,
        count: int,
        versions: list[Version],
        *,
        kind: str = "plug",
        max_seconds: float = 3600.0,
        cpu: int | None = None,
        first_host: str = FIRST_HOST,
    ) -> None:
        self.count = count
        self.versions = versions
        self.kind = kind
        self.max_seconds = max_seconds
        self.cpu = cpu
        self.first_host = first_host
        self.devices: list[DeviceSpec] = []
        self.nodelay_listeners = 0
        self._proc: subprocess.Popen[str] | None = None
        self._stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed in stop)

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    def __enter__(self) -> FleetProcess:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "bench.simfleet",
            f"--count={self.count}",
            f"--versions={','.join(self.versions)}",
            f"--kind={self.kind}",
            f"--max-seconds={self.max_seconds}",
            f"--first-host={self.first_host}",
        ]
        hello = self._launch(command, START_LIMIT)
        self.devices = [DeviceSpec.from_json(entry) for entry in hello["devices"]]
        self.nodelay_listeners = int(hello["nodelay_listeners"])

    def stats(self) -> dict[str, int]:
        """The fleet's counters now: connections accepted, requests answered..."""
        assert self._proc is not None
        assert self._proc.stdin is not None
        self._proc.stdin.write("stats\n")
        self._proc.stdin.flush()
        counters: dict[str, int] = json.loads(self._read_line(30.0))
        return counters

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def rss_mb(self) -> float:
        return rss_mb(self.pid)

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.stdin is not None:
                proc.stdin.close()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
            if proc.stdout is not None:
                proc.stdout.close()
        self._stderr.close()

    def _launch(self, command: list[str], limit: float) -> dict[str, Any]:
        """Start `command` (on `cpu`, if set) and read its hello line (within `limit` s)."""
        if self.cpu is not None:
            command = [*command, f"--cpu={self.cpu}"]
        self._proc = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
            command,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": IMPORT_PATH},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        hello: dict[str, Any] = json.loads(self._read_line(limit))
        return hello

    def _read_line(self, limit: float) -> str:
        proc = self._proc
        assert proc is not None
        assert proc.stdout is not None
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 0.2)
            if ready:
                line = proc.stdout.readline()
                if line:
                    return line
            if proc.poll() is not None:
                break
        self._stderr.seek(0)
        tail = self._stderr.read()[-2000:]
        raise RuntimeError(f"the simulated fleet did not answer within {limit:g} s: {tail}")


if __name__ == "__main__":
    main()
