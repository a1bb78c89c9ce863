"""What runs inside one peer's worker process: open sessions, time operations, report JSON.

    python -m bench.runs latency --peer setsmart --fleet FILE --devices 100 --rate 500
    python -m bench.runs connect --peer rustuya --fleet FILE --concurrency 100

The benchmarks (`bench.latency`, `bench.connect`) start one such process per peer and
measurement, so peers never share a process, and RSS and CPU time are the peer's own.
Every loop is bounded: `rounds` passes over the devices, or until `deadline`.
Operations are paced (`Pace`): the same offered load for every peer.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import json
import logging
import math
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.fleetspec import DeviceSpec, load_fleet
from bench.measure import Tally, cpu_seconds, pin_to_cpu, raise_fd_limit, rss_mb, thread_count
from bench.peers import (
    BlockingClient,
    OpFailed,
    PeerUnavailable,
    SetsmartClient,
    blocking_client,
)
from setsmart import eventloop

Handles = list[tuple[DeviceSpec, Any]]
OPS = ("status", "set")
LATE_S = 0.005  # an operation starting later than this after it was due is "late"


def _failure(tally: Tally, exc: BaseException) -> None:
    if isinstance(exc, OpFailed):
        tally.fail(exc.kind, str(exc))
    elif isinstance(exc, TimeoutError):
        tally.fail("timeout", "no answer within the time limit")
    else:
        tally.fail("error", f"{type(exc).__name__}: {exc}")


def _deadline_passed(tally: Tally, deadline: float) -> bool:
    if time.perf_counter() < deadline:
        return False
    tally.fail("not_attempted", "the run's time limit passed before this device's turn")
    return True


def _value(round_no: int) -> bool:
    """DP 1 alternates, so every set changes the device's state (and it pushes it)."""
    return round_no % 2 == 0


@dataclass(frozen=True, slots=True)
class Pace:
    """When each operation is due: device i's operation of round k at
    `start + (k * devices + i) / rate`, so the offered load is `rate` operations a second
    spread evenly over the devices. rate 0: no pacing, each operation as soon as the one
    before it on the same worker is done."""

    start: float
    rate: float
    devices: int
    rounds: int

    def due(self, round_no: int, index: int) -> float:
        if self.rate <= 0:
            return self.start
        return self.start + (round_no * self.devices + index) / self.rate

    def note_start(self, tally: Tally, due: float, start: float) -> None:
        """Count operations that could not start on time (the client fell behind)."""
        if self.rate > 0 and start - due > LATE_S:
            tally.late += 1


# setsmart: coroutines on one event loop ---------------------------------------------------


async def open_async(
    client: SetsmartClient, devices: Sequence[DeviceSpec], concurrency: int, deadline: float
) -> tuple[Handles, Tally]:
    """Open every session, at most `concurrency` at a time. Each device's latency is the
    time from the start of the whole step until its session was ready."""
    limit = asyncio.Semaphore(concurrency)
    tally = Tally()
    opened: Handles = []
    phase_start = time.perf_counter()

    async def one(device: DeviceSpec) -> None:
        async with limit:
            if _deadline_passed(tally, deadline):
                return
            try:
                async with asyncio.timeout(client.timeout * 2):  # outer safety bound
                    conn = await client.open(device)
            except (OpFailed, TimeoutError) as exc:
                _failure(tally, exc)
            else:
                tally.ok(device.version, time.perf_counter() - phase_start)
                opened.append((device, conn))

    await asyncio.gather(*(one(device) for device in devices))
    return opened, tally


async def measure_async(
    client: SetsmartClient, handles: Handles, op: str, pace: Pace, deadline: float
) -> Tally:
    """One coroutine per device, all on this event loop, each keeping to its schedule."""
    tallies = [Tally() for _ in handles]

    async def device_loop(index: int) -> None:
        device, conn = handles[index]
        tally = tallies[index]
        for round_no in range(pace.rounds):
            due = pace.due(round_no, index)
            if due >= deadline or time.perf_counter() >= deadline:
                return
            wait_s = due - time.perf_counter()
            if wait_s > 0:
                await asyncio.sleep(wait_s)
            start = time.perf_counter()
            pace.note_start(tally, due, start)
            try:
                if op == "status":
                    await client.status(device, conn)
                else:
                    await client.set(device, conn, _value(round_no))
            except OpFailed as exc:
                _failure(tally, exc)
            else:
                tally.ok(device.version, time.perf_counter() - start)

    await asyncio.gather(*(device_loop(i) for i in range(len(handles))))
    return _merged(tallies)


def _merged(tallies: Sequence[Tally]) -> Tally:
    total = Tally()
    for tally in tallies:
        total.merge(tally)
    return total


# tinytuya, rustuya: blocking calls from a thread pool ------------------------------------


def open_threaded(
    client: BlockingClient, devices: Sequence[DeviceSpec], workers: int, deadline: float
) -> tuple[Handles, Tally]:
    """Make every device object, then read each first status from `workers` threads.
    Latencies count from the start of the whole step, as for setsmart."""
    tally = Tally()
    opened: Handles = []
    lock = threading.Lock()
    phase_start = time.perf_counter()
    made = [(device, client.make(device)) for device in devices]

    def one(device: DeviceSpec, handle: Any) -> None:
        with lock:
            if _deadline_passed(tally, deadline):
                return
        try:
            client.open(device, handle)
        except Exception as exc:  # noqa: BLE001 (any failure of a peer is counted, not raised)
            with lock:
                _failure(tally, exc)
        else:
            with lock:
                tally.ok(device.version, time.perf_counter() - phase_start)
                opened.append((device, handle))

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(one, device, handle) for device, handle in made]
        wait(futures, timeout=max(0.0, deadline - time.perf_counter()) + 3 * client_timeout(client))
    return opened, tally


def client_timeout(client: object) -> float:
    return float(getattr(client, "timeout", 10.0))


def measure_threaded(
    client: BlockingClient, handles: Handles, op: str, pace: Pace, *, threads: int, deadline: float
) -> Tally:
    """`threads` workers; worker w serves devices w, w + threads, ... in schedule order."""
    count = min(threads, len(handles))
    tallies = [Tally() for _ in range(count)]
    if not count:
        return Tally()

    def worker(w: int) -> None:
        tally = tallies[w]
        for round_no in range(pace.rounds):
            for index in range(w, len(handles), count):
                device, handle = handles[index]
                due = pace.due(round_no, index)
                if due >= deadline or time.perf_counter() >= deadline:
                    return
                wait_s = due - time.perf_counter()
                if wait_s > 0:
                    time.sleep(wait_s)
                start = time.perf_counter()
                pace.note_start(tally, due, start)
                try:
                    if op == "status":
                        client.status(device, handle)
                    else:
                        client.set(device, handle, _value(round_no))
                except Exception as exc:  # noqa: BLE001 (counted, not raised)
                    _failure(tally, exc)
                else:
                    tally.ok(device.version, time.perf_counter() - start)

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(worker, w) for w in range(count)]
        wait(futures, timeout=max(0.0, deadline - time.perf_counter()) + 3 * client_timeout(client))
    return _merged(tallies)


def close_threaded(client: BlockingClient, handles: Handles) -> None:
    with ThreadPoolExecutor(max_workers=32) as pool:
        futures = [pool.submit(client.close, handle) for _, handle in handles]
        wait(futures, timeout=30)


# One peer, one process ------------------------------------------------------------------


class Runner:
    """The same steps for either kind of client, timed the same way."""

    def __init__(self, peer: str, timeout: float, concurrency: int) -> None:
        self.peer = peer
        self.async_client: SetsmartClient | None = None
        self.blocking: BlockingClient | None = None
        if peer == "setsmart":
            self.async_client = SetsmartClient(timeout)
            self.version = self.async_client.version
        else:
            self.blocking = blocking_client(peer, timeout, concurrency)
            self.version = self.blocking.version
        self.extra: dict[str, Any] = {}
        connect_concurrency = getattr(self.blocking, "connect_concurrency", None)
        if connect_concurrency is not None:
            self.extra["rustuya_connect_concurrency"] = connect_concurrency

    async def open(
        self, devices: Sequence[DeviceSpec], concurrency: int, deadline: float
    ) -> tuple[Handles, Tally]:
        if self.async_client is not None:
            return await open_async(self.async_client, devices, concurrency, deadline)
        return await asyncio.to_thread(open_threaded, self._b(), devices, concurrency, deadline)

    async def measure(
        self, handles: Handles, op: str, pace: Pace, threads: int, deadline: float
    ) -> Tally:
        """Operations paced alike for every peer: setsmart runs one coroutine per device,
        the blocking peers `threads` threads."""
        if self.async_client is not None:
            return await measure_async(self.async_client, handles, op, pace, deadline)
        return await asyncio.to_thread(
            functools.partial(measure_threaded, threads=threads, deadline=deadline),
            self._b(),
            handles,
            op,
            pace,
        )

    async def close(self, handles: Handles) -> None:
        if self.async_client is not None:
            for _, conn in handles:
                self.async_client.close(conn)
            await asyncio.sleep(0.1)  # let the transports finish closing
        else:
            await asyncio.to_thread(close_threaded, self._b(), handles)

    def _b(self) -> BlockingClient:
        assert self.blocking is not None
        return self.blocking


async def timed(
    step: Callable[[], Awaitable[Tally]],
) -> tuple[Tally, dict[str, float]]:
    """Run a step; its wall time and this process's CPU time during it."""
    cpu, start = cpu_seconds(), time.perf_counter()
    tally = await step()
    wall = time.perf_counter() - start
    return tally, {"seconds": round(wall, 3), "client_cpu_s": round(cpu_seconds() - cpu, 3)}


async def run_latency(args: argparse.Namespace) -> dict[str, Any]:
    devices = load_fleet(Path(args.fleet))[: args.devices]
    runner = Runner(args.peer, args.timeout, args.open_concurrency)
    report: dict[str, Any] = {"peer": args.peer, "peer_version": runner.version, **runner.extra}
    open_deadline = time.perf_counter() + args.open_seconds
    opened: Handles = []

    async def open_step() -> Tally:
        nonlocal opened
        opened, tally = await runner.open(devices, args.open_concurrency, open_deadline)
        return tally

    tally, timing = await timed(open_step)
    report["open"] = {**tally.report(), **timing}
    rounds = max(1, math.ceil(args.ops / max(1, len(opened))))
    report["rate"] = args.rate
    report["threads_for_blocking_peers"] = args.threads
    for op in OPS:
        start = time.perf_counter() + 0.05
        pace = Pace(start, args.rate, len(opened), rounds)
        deadline = start + args.seconds

        async def op_step(op: str = op, pace: Pace = pace, deadline: float = deadline) -> Tally:
            return await runner.measure(opened, op, pace, args.threads, deadline)

        tally, timing = await timed(op_step)
        row = {**tally.report(), **timing}
        row["ops_per_s"] = round(len(tally.latencies) / max(timing["seconds"], 1e-9), 1)
        report[op] = row
    report["rss_mb"] = rss_mb()
    report["threads"] = thread_count()
    await runner.close(opened)
    report["process_cpu_s"] = round(cpu_seconds(), 3)
    return report


async def run_connect(args: argparse.Namespace) -> dict[str, Any]:
    devices = load_fleet(Path(args.fleet))
    runner = Runner(args.peer, args.timeout, args.concurrency)
    gc.collect()
    report: dict[str, Any] = {
        "peer": args.peer,
        "peer_version": runner.version,
        **runner.extra,
        "rss_baseline_mb": rss_mb(),
        "threads_baseline": thread_count(),
    }
    opened: Handles = []

    async def open_step() -> Tally:
        nonlocal opened
        deadline = time.perf_counter() + args.open_seconds
        opened, tally = await runner.open(devices, args.concurrency, deadline)
        return tally

    tally, timing = await timed(open_step)
    gc.collect()
    report["open"] = {**tally.report(), **timing}
    report["connected"] = len(opened)
    report["rss_holding_mb"] = rss_mb()
    report["threads_holding"] = thread_count()
    await asyncio.sleep(args.hold)

    async def verify_step() -> Tally:
        start = time.perf_counter()
        pace = Pace(start, 0, len(opened), 1)
        return await runner.measure(
            opened, "status", pace, args.concurrency, start + args.open_seconds
        )

    tally, timing = await timed(verify_step)
    report["verify_status"] = {**tally.report(), **timing}
    report["rss_after_verify_mb"] = rss_mb()
    await runner.close(opened)
    report["process_cpu_s"] = round(cpu_seconds(), 3)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description="One peer's measurement, as JSON.")
    sub = parser.add_subparsers(dest="mode", required=True)
    latency = sub.add_parser("latency")
    latency.add_argument("--devices", type=int, required=True)
    latency.add_argument("--rate", type=float, default=500.0, help="operations/s; 0: unpaced")
    latency.add_argument("--threads", type=int, default=64, help="for tinytuya and rustuya")
    latency.add_argument("--ops", type=int, default=5000, help="per operation, at most")
    latency.add_argument("--seconds", type=float, default=15.0, help="per operation, at most")
    latency.add_argument("--open-concurrency", type=int, default=64)
    connect = sub.add_parser("connect")
    connect.add_argument("--concurrency", type=int, required=True)
    connect.add_argument("--hold", type=float, default=1.0)
    for each in (latency, connect):
        each.add_argument("--peer", required=True)
        each.add_argument("--fleet", required=True, help="JSON file of the devices")
        each.add_argument("--timeout", type=float, default=10.0, help="per operation")
        each.add_argument("--open-seconds", type=float, default=60.0, help="to open them all")
        each.add_argument("--cpu", type=int, default=None, help="pin this process to a CPU")
    args = parser.parse_args()
    pin_to_cpu(args.cpu)  # before any peer library starts its threads
    logging.disable(logging.CRITICAL)  # peers' debug checks and log lines must not skew it
    raise_fd_limit()
    try:
        run = run_latency if args.mode == "latency" else run_connect
        # The loop setsmart runs on (uvloop); the blocking peers only wait on it for threads.
        report = eventloop.run(run(args))
        report["event_loop"] = eventloop.loop_name()
    except PeerUnavailable as exc:
        report = {"peer": args.peer, "unavailable": str(exc)}
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
