"""The HTTP API and the page at the product's scale, in one process with the daemon.

    .venv/bin/python -m bench.http_api [--devices 100] [--reads 3000] [--rate 200] [--seconds 5]

A real mosquitto, `--devices` simulated plugs on loopback and setsmart's daemon with its
HTTP server (no token). Printed as JSON:
- `page`: the bytes of the page's first load (the HTML, its script and style, and the two
  API answers it asks for first) and the time those five requests take, cold and p50 of
  20 loads (the browser's own rendering is not counted);
- `state_read`: `GET /api/devices/{name}` over all devices, p50/p99 latency, against the
  peer in the same run, `GET /api/health` (the cheapest route: the server's own floor);
- `events`: `--rate` state changes a second for `--seconds` seconds pushed by the devices
  themselves, and what one `/api/events` listener received: count, lag p50/p99 from the
  device's push to the event's arrival.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.daemon_mqtt import Mosquitto, free_tcp_port
from bench.driver import git_revision
from setsmart.config import load_config
from setsmart.daemon.store import StateStore
from setsmart.daemon.supervisor import Supervisor
from setsmart.sim import SimFleet, make_device_id, make_local_key

PAGE = ("/", "/app.js", "/app.css", "/api/devices", "/api/log?limit=100")


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)


def _config(broker: Mosquitto, fleet: SimFleet, port: int) -> str:
    lines = [
        f"mqtt:\n  host: {broker.host}\n  port: {broker.port}\n  base_topic: bench\n",
        "homeassistant:\n  discovery: false\n",
        "lan:\n  discovery: false\n  poll: 0\n  energy_poll: 0\n",
        f"http:\n  bind: 127.0.0.1\n  port: {port}\n",
        "devices:\n",
    ]
    for n, sim in enumerate(fleet):
        lines.append(
            f"  - id: {sim.device_id}\n    name: plug{n}\n    local_key: '{sim.local_key}'\n"
            f"    host: {sim.host}\n    port: {sim.port}\n    version: '{sim.version}'\n"
        )
    return "".join(lines)


async def _page(session: aiohttp.ClientSession) -> tuple[int, float]:
    started = time.perf_counter()
    size = 0
    for path in PAGE:
        async with session.get(path) as response:
            size += len(await response.read())
    return size, time.perf_counter() - started


async def _reads(session: aiohttp.ClientSession, paths: list[str]) -> list[float]:
    times = []
    for path in paths:
        started = time.perf_counter()
        async with session.get(path) as response:
            await response.read()
            assert response.status == 200, path  # a bench that measured errors would lie
        times.append(time.perf_counter() - started)
    return times


async def _events(
    session: aiohttp.ClientSession, fleet: list[Any], rate: int, seconds: float
) -> dict[str, object]:
    sent: dict[str, float] = {}
    lags: list[float] = []
    received = 0
    async with session.get("/api/events", timeout=aiohttp.ClientTimeout(total=None)) as stream:
        # Skip the snapshot: availability and state of every device.
        skipped = 0
        async for line in stream.content:
            if line.startswith(b"data: "):
                skipped += 1
                if skipped >= 2 * len(fleet):
                    break
        done = asyncio.Event()

        async def listen() -> None:
            nonlocal received
            async for line in stream.content:
                if not line.startswith(b"data: "):
                    continue
                event = json.loads(line[6:])
                name = event.get("device")
                if "state" in event and name in sent:
                    received += 1
                    lags.append(time.perf_counter() - sent.pop(name))
                    if done.is_set() and not sent:
                        return

        listener = asyncio.create_task(listen())
        changes = int(rate * seconds)
        started = time.perf_counter()
        for n in range(changes):
            name, sim = fleet[n % len(fleet)]
            await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
            sent.setdefault(name, time.perf_counter())
            await sim.set_dps({"1": n // len(fleet) % 2 == 0})
        elapsed = time.perf_counter() - started
        done.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(listener, 5.0)
    return {
        "changes_sent": changes,
        "sent_per_s": round(changes / elapsed, 1),
        "state_events_received": received,
        "lag_p50_ms": _ms(lags, 0.5) if lags else None,
        "lag_p99_ms": _ms(lags, 0.99) if lags else None,
        "lost_at_end": len(sent),
    }


async def run(args: argparse.Namespace) -> dict[str, object]:
    port = free_tcp_port()
    fleet = SimFleet(first_host="127.0.0.2", idle_timeout=None)
    for n in range(args.devices):
        fleet.add(make_device_id(n), make_local_key(n), "3.4", "plug")
    with Mosquitto() as broker, tempfile.TemporaryDirectory() as tmp:
        async with fleet:
            path = Path(tmp) / "config.yaml"
            path.write_text(_config(broker, fleet, port))
            supervisor = Supervisor(load_config(path), StateStore(Path(tmp) / "state"))
            task = asyncio.create_task(supervisor.run())
            try:
                await asyncio.wait_for(supervisor.ready.wait(), 30)
                for _ in range(600):  # every device's first state, within a minute
                    if len(supervisor.hub.states) >= args.devices:
                        break
                    await asyncio.sleep(0.1)
                async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as session:
                    cold_size, cold = await _page(session)
                    loads = [(await _page(session))[1] for _ in range(20)]
                    names = [f"plug{n % args.devices}" for n in range(args.reads)]
                    reads = await _reads(session, [f"/api/devices/{name}" for name in names])
                    floor = await _reads(session, ["/api/health"] * args.reads)
                    pairs = [(f"plug{n}", sim) for n, sim in enumerate(fleet)]
                    events = await _events(session, pairs, args.rate, args.seconds)
            finally:
                supervisor.stop()
                await task
    return {
        "bench": "http",
        "revision": git_revision(),
        "devices": args.devices,
        "page": {
            "bytes": cold_size,
            "requests": len(PAGE),
            "cold_ms": round(cold * 1000, 2),
            "p50_ms": _ms(loads, 0.5),
        },
        "state_read": {
            "reads": args.reads,
            "p50_ms": _ms(reads, 0.5),
            "p99_ms": _ms(reads, 0.99),
            "mean_ms": round(1000 * statistics.fmean(reads), 3),
            "peer_health_p50_ms": _ms(floor, 0.5),
            "peer_health_p99_ms": _ms(floor, 0.99),
        },
        "events": {"rate_per_s": args.rate, "seconds": args.seconds, **events},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--reads", type=int, default=3000)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=5.0)
    print(json.dumps(asyncio.run(run(parser.parse_args())), indent=2))


if __name__ == "__main__":
    main()
