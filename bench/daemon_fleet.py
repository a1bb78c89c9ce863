"""Simulated devices in a process of their own, for the daemon benchmarks.

Like `bench.simfleet` (whose fleet counters and Nagle fix it reuses), plus what a bridge
benchmark needs from the device side: every device listens on port 6668 of its own
127.0.x.y address (rustuya-bridge and tuya2mqtt cannot be told another port), the time
each device applied a write is recorded, and the fleet itself presses the "buttons"
(changes a DP locally and pushes it), on a schedule, recording when.

Requests and answers are JSON lines on stdin and stdout (times are CLOCK_MONOTONIC in ns,
the same clock in every process of the machine):

    {"cmd": "stats"}            counters (`stats` alone also works, as for bench.simfleet)
    {"cmd": "mark"}             later stats count devices "answering" (asked something on
                                their open connection) since this mark
    {"cmd": "values", "dp": "1"} {"values": {id: value}} of that DP now
    {"cmd": "applies"}          {"applies": [[id, dps, t_ns], ...]} writes applied since
                                the last call (forgotten once read)
    {"cmd": "push", "ids": [...], "dp": "1", "rate": 50, "count": 100, "seconds": 10}
                                toggle the DP on ids[k % len] at start + k / rate, for at
                                most `count` pushes and `seconds`; answers
                                {"pushes": [[id, value, t_ns, connected], ...]}

    .venv/bin/python -m bench.daemon_fleet --count 100
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

from bench.fleetspec import DeviceSpec
from bench.measure import pin_to_cpu, raise_fd_limit
from bench.simfleet import (
    START_LIMIT,
    FleetProcess,
    disable_nagle,
    fleet_stats,
    parse_versions,
)
from setsmart.protocol import Command, Dps, DpValue, Version
from setsmart.sim import SimDevice, SimFleet, make_device_id, make_local_key

# Away from the test suite's 127.0.0.x and the LAN benchmarks' 127.0.64.x.
FIRST_HOST = "127.0.96.1"
DEVICE_PORT = 6668
IDLE_TIMEOUT = 30.0  # seconds: a device drops a client that sends nothing, as firmwares do
MAX_PUSHES = 100_000


def build_fleet(
    count: int, versions: list[Version], kind: str, first_host: str, port: int
) -> SimFleet:
    """`count` devices of one kind on `port` of consecutive loopback addresses."""
    fleet = SimFleet(first_host=first_host, idle_timeout=IDLE_TIMEOUT)
    for n in range(count):
        fleet.add(
            make_device_id(n), make_local_key(n), versions[n % len(versions)], kind, port=port
        )
    return fleet


class ApplyLog:
    """When each device applied a write that came over the network (not a local press)."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, Dps, int]] = []

    def watch(self, device: SimDevice) -> None:
        model = device.model
        original = model.apply
        device_id = device.device_id
        entries = self.entries

        def apply(changes: Mapping[str, DpValue], *, local: bool = False) -> Dps:
            taken = original(changes, local=local)
            if taken and not local:
                entries.append((device_id, dict(taken), time.monotonic_ns()))
            return taken

        setattr(model, "apply", apply)  # noqa: B010 (instrumenting one instance, not the class)

    def take(self) -> list[tuple[str, Dps, int]]:
        taken, self.entries[:] = list(self.entries), []
        return taken


def command_counts(fleet: SimFleet) -> dict[str, int]:
    """Requests the devices answered, by command name (HEART_BEAT, DP_QUERY, UPDATEDPS...)."""
    counts: Counter[int] = Counter()
    for device in fleet:
        counts.update(device.stats.requests)
    return {_name(cmd): n for cmd, n in sorted(counts.items())}


def _name(cmd: int) -> str:
    try:
        return Command(cmd).name
    except ValueError:
        return f"0x{cmd:02X}"


def session_ready(device: SimDevice) -> bool:
    """Whether the device has a client whose session is established (a push reaches it)."""
    client = getattr(device, "_client", None)  # SimDevice has no public handle on it
    return bool(client is not None and client.ready)


class FleetServer:
    """The fleet process's side of the JSON-lines conversation."""

    def __init__(self, fleet: SimFleet) -> None:
        self.fleet = fleet
        self.applies = ApplyLog()
        for device in fleet:
            self.applies.watch(device)
        self._marks: dict[str, int] = {}

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = dict(fleet_stats(self.fleet))
        stats["pushes"] = sum(device.stats.pushes for device in self.fleet)
        stats["requests_by_command"] = command_counts(self.fleet)
        stats["sessions_ready"] = sum(1 for device in self.fleet if session_ready(device))
        stats["answering"] = sum(
            1
            for device in self.fleet
            if device.connected
            and sum(device.stats.requests.values()) > self._marks.get(device.device_id, 0)
        )
        return stats

    def mark(self) -> dict[str, Any]:
        self._marks = {d.device_id: sum(d.stats.requests.values()) for d in self.fleet}
        return {"marked": len(self._marks)}

    def values(self, dp: str) -> dict[str, Any]:
        return {"values": {d.device_id: d.dps.get(dp) for d in self.fleet}}

    async def push(self, request: Mapping[str, Any]) -> dict[str, Any]:
        ids = [str(i) for i in request["ids"]]
        dp = str(request.get("dp", "1"))
        rate = max(float(request["rate"]), 1e-3)
        count = min(int(request["count"]), MAX_PUSHES)
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.01
        deadline = start + float(request["seconds"])
        pushes: list[list[Any]] = []
        for k in range(count if ids else 0):
            due = start + k / rate
            if due >= deadline:
                break
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            device = self.fleet[ids[k % len(ids)]]
            value = not device.dps.get(dp)
            sent_at = time.monotonic_ns()
            await device.set_dps({dp: value})
            pushes.append([device.device_id, value, sent_at, device.connected])
        return {"pushes": pushes}

    async def answer(self, line: bytes) -> dict[str, Any]:
        text = line.decode().strip()
        request: dict[str, Any] = {"cmd": text} if text == "stats" else json.loads(text)
        cmd = request.get("cmd")
        if cmd == "stats":
            return self.stats()
        if cmd == "mark":
            return self.mark()
        if cmd == "values":
            return self.values(str(request.get("dp", "1")))
        if cmd == "applies":
            return {"applies": self.applies.take()}
        if cmd == "push":
            return await self.push(request)
        return {"error": f"unknown request {text[:80]!r}"}


async def serve(args: argparse.Namespace) -> None:
    fleet = build_fleet(
        args.count, parse_versions(args.versions), args.kind, args.first_host, args.port
    )
    async with fleet:
        server = FleetServer(fleet)
        nodelay = disable_nagle(fleet)
        devices = [
            {**entry, "dps": sorted(fleet[entry["id"]].dps, key=int)} for entry in fleet.describe()
        ]
        hello = {"pid": os.getpid(), "nodelay_listeners": nodelay, "devices": devices}
        print(json.dumps(hello), flush=True)
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=2**24)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        try:
            async with asyncio.timeout(args.max_seconds):
                while line := await reader.readline():
                    if line.strip():
                        print(json.dumps(await server.answer(line)), flush=True)
        except TimeoutError:
            pass


def main() -> None:
    parser = argparse.ArgumentParser(description="Run simulated devices for the daemon benchmarks.")
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--versions", default="3.3,3.4,3.5")
    parser.add_argument("--kind", default="plug")
    parser.add_argument("--first-host", default=FIRST_HOST)
    parser.add_argument("--port", type=int, default=DEVICE_PORT)
    parser.add_argument("--max-seconds", type=float, default=3600.0, help="then stop anyway")
    parser.add_argument("--cpu", type=int, default=None, help="pin the fleet to this CPU")
    args = parser.parse_args()
    pin_to_cpu(args.cpu)
    raise_fd_limit()
    asyncio.run(serve(args))


# The benchmark's side ---------------------------------------------------------------------


class DaemonFleet(FleetProcess):
    """`python -m bench.daemon_fleet` started and spoken to from a benchmark."""

    def __init__(
        self,
        count: int,
        versions: list[Version],
        *,
        kind: str = "plug",
        first_host: str = FIRST_HOST,
        port: int = DEVICE_PORT,
        max_seconds: float = 3600.0,
        cpu: int | None = None,
    ) -> None:
        super().__init__(count, versions, kind=kind, max_seconds=max_seconds, cpu=cpu)
        self.first_host = first_host
        self.port = port

    def __enter__(self) -> DaemonFleet:
        self.start()
        return self

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "bench.daemon_fleet",
            f"--count={self.count}",
            f"--versions={','.join(self.versions)}",
            f"--kind={self.kind}",
            f"--first-host={self.first_host}",
            f"--port={self.port}",
            f"--max-seconds={self.max_seconds}",
        ]
        hello = self._launch(command, START_LIMIT)
        self.devices = [DeviceSpec.from_json(entry) for entry in hello["devices"]]
        self.nodelay_listeners = int(hello["nodelay_listeners"])

    def ask(self, request: Mapping[str, Any], limit: float = 30.0) -> dict[str, Any]:
        """Send one request; its answer (within `limit` seconds)."""
        proc = self._proc
        assert proc is not None
        assert proc.stdin is not None
        proc.stdin.write(json.dumps(request) + "\n")
        proc.stdin.flush()
        answer: dict[str, Any] = json.loads(self._read_line(limit))
        if "error" in answer:
            raise RuntimeError(f"the simulated fleet refused {request.get('cmd')}: {answer}")
        return answer

    def stats(self) -> dict[str, Any]:
        """Counters: bench.simfleet's, plus pushes, requests by command, sessions ready and
        devices answering since the last mark."""
        return self.ask({"cmd": "stats"})

    def mark(self) -> None:
        self.ask({"cmd": "mark"})

    def values(self, dp: str = "1") -> dict[str, DpValue]:
        values: dict[str, DpValue] = self.ask({"cmd": "values", "dp": dp})["values"]
        return values

    def applies(self) -> list[tuple[str, dict[str, Any], int]]:
        return [(str(i), dict(d), int(t)) for i, d, t in self.ask({"cmd": "applies"})["applies"]]

    def push(
        self, ids: list[str], *, rate: float, count: int, seconds: float, dp: str = "1"
    ) -> list[tuple[str, Any, int, bool]]:
        """Toggle `dp` on the devices in turn, paced by the fleet; (id, value, t_ns, sent)."""
        request = {
            "cmd": "push",
            "ids": ids,
            "dp": dp,
            "rate": rate,
            "count": count,
            "seconds": seconds,
        }
        answer = self.ask(request, limit=seconds + 30.0)
        return [(str(i), v, int(t), bool(c)) for i, v, t, c in answer["pushes"]]


if __name__ == "__main__":
    main()
