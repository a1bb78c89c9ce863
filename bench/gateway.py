"""A gateway with many sub-devices: setsmart's GatewayLink against tinytuya, same run.

    .venv/bin/python -m bench.gateway [--children 50] [--version 3.4] [--commands 200]

Figures (issue 12): with `--children` sub-devices behind one simulated gateway,
- `all_states_s`: from the start of the session to every child's state read;
- `command` p50/p99: a control to one child (a plug) while every child pushes once a
  second, `--commands` of them, one every `--interval` seconds.
The simulated gateway runs in a process of its own (`serve`, pinned to CPU 1 when there
are two), each peer in a fresh process (`client`, CPU 0), so the peers get the same core
and the gateway's pushes cost neither. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

from bench.driver import git_revision
from bench.measure import cpu_layout, cpu_seconds, latency_summary, pin_to_cpu, rss_mb
from bench.peers import peer_version
from bench.simfleet import IMPORT_PATH, REPO, FleetProcess, parse_version
from setsmart import eventloop
from setsmart.lan.gateway import GatewayLink
from setsmart.lan.link import DpsReport, LinkEvent, LinkSettings
from setsmart.sim import SimGateway, make_device_id, make_local_key

HOST = "127.0.65.1"  # away from the tests' addresses and bench.simfleet's
KINDS = ("plug", "temperature", "door")
PEERS = ("setsmart", "tinytuya")
WORKER_LIMIT = 300.0
TARGETS = {"all_states_s": 5.0, "command_p99_ms": 50.0}  # issue 12's figures


def child_cid(n: int) -> str:
    return f"a4c138{n:010x}"


# The gateway's process ------------------------------------------------------------------


async def push_forever(gw: SimGateway, every: float) -> None:
    """Each child pushes once per `every` seconds, spread evenly, while a client is on."""
    cids = list(gw.children)
    step = every / max(1, len(cids))
    n = 0
    while True:
        await asyncio.sleep(step)
        if not gw.connected:
            continue
        cid = cids[n % len(cids)]
        n += 1
        kind = gw.children[cid].kind
        if kind == "plug":
            await gw.set_child_dps(cid, {"19": 100 + n % 50})
        elif kind == "temperature":
            await gw.set_child_dps(cid, {"1": 200 + n % 30})
        else:
            await gw.set_child_dps(cid, {"1": n % 2 == 0})


async def serve(args: argparse.Namespace) -> None:
    children = {child_cid(n): KINDS[n % len(KINDS)] for n in range(args.children)}
    version = parse_version(args.version)
    gw = SimGateway(
        make_device_id(9000), make_local_key(9000), version, children=children,
        host=HOST, idle_timeout=None,
    )  # fmt: skip
    async with gw:
        hello = {
            "pid": os.getpid(),
            "id": gw.device_id,
            "key": gw.local_key,
            "version": gw.version,
            "host": gw.host,
            "port": gw.port,
            "children": list(children),
            "target": child_cid(0),  # a plug
        }
        print(json.dumps(hello), flush=True)
        pusher = asyncio.create_task(push_forever(gw, args.push_every))
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        try:
            async with asyncio.timeout(args.max_seconds):
                while line := await reader.readline():
                    if line.strip() == b"stats":
                        stats = {"connections": gw.stats.connections, "pushes": gw.stats.pushes}
                        print(json.dumps(stats), flush=True)
        except TimeoutError:
            pass
        finally:
            pusher.cancel()


class GatewayProcess(FleetProcess):
    """`python -m bench.gateway serve` started and stopped like bench.simfleet's fleet."""

    def __init__(self, args: argparse.Namespace, cpu: int | None) -> None:
        super().__init__(args.children, [parse_version(args.version)], cpu=cpu)
        self.args = args
        self.hello: dict[str, Any] = {}

    def start(self) -> None:
        args = self.args
        command = [
            sys.executable, "-m", "bench.gateway", "serve",
            f"--children={args.children}", f"--version={args.version}",
            f"--push-every={args.push_every}",
        ]  # fmt: skip
        self.hello = self._launch(command, 60.0)


# A peer's process -------------------------------------------------------------------------


async def setsmart_client(hello: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    children: list[str] = hello["children"]
    unread = set(children)
    all_read: asyncio.Future[None] = loop.create_future()
    pushes = 0

    def on_child(cid: str, event: LinkEvent) -> None:
        nonlocal pushes
        if isinstance(event, DpsReport):
            if event.full:
                unread.discard(cid)
                if not unread and not all_read.done():
                    all_read.set_result(None)
            else:
                pushes += 1

    link = GatewayLink(
        name="gateway",
        device_id=hello["id"],
        local_key=hello["key"].encode("latin-1"),
        host=hello["host"],
        port=hello["port"],
        version=hello["version"],
        on_event=lambda event: None,
        settings=LinkSettings(poll=0, energy_poll=0, timeout=5.0),
    )
    handles = {cid: link.add_child(cid, cid, functools.partial(on_child, cid)) for cid in children}
    start = time.perf_counter()
    task = asyncio.create_task(link.run())
    try:
        async with asyncio.timeout(60):
            await all_read
        all_states_s = time.perf_counter() - start
        target = handles[hello["target"]]
        latencies: list[float] = []
        failures = 0
        for k in range(args.commands):
            began = time.perf_counter()
            try:
                await target.set_dps({"1": k % 2 == 0})
            except Exception:  # noqa: BLE001 (counted: the run goes on)
                failures += 1
            else:
                latencies.append(time.perf_counter() - began)
            await asyncio.sleep(args.interval)
    finally:
        task.cancel()
    return {
        "all_states_s": round(all_states_s, 3),
        "command": latency_summary(latencies),
        "failed": failures,
        "pushes_heard": pushes,
    }


def tinytuya_client(hello: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    import tinytuya  # a test extra: only this peer needs it

    start = time.perf_counter()
    parent = tinytuya.Device(
        hello["id"], hello["host"], hello["key"], version=float(hello["version"]),
        port=hello["port"], persist=True, connection_timeout=5, connection_retry_limit=1,
    )  # fmt: skip
    children = {
        cid: tinytuya.Device(f"bfchild{n:013d}", cid=cid, parent=parent)
        for n, cid in enumerate(hello["children"])
    }
    unread = 0
    for child in children.values():
        state = child.status()
        if not isinstance(state, dict) or "dps" not in state:
            unread += 1
    all_states_s = time.perf_counter() - start
    target = children[hello["target"]]
    latencies: list[float] = []
    failures = 0
    for k in range(args.commands):
        began = time.perf_counter()
        reply = target.set_value(1, k % 2 == 0)
        if isinstance(reply, dict) and "Error" in reply:
            failures += 1
        else:
            latencies.append(time.perf_counter() - began)
        time.sleep(args.interval)
    parent.close()
    return {
        "all_states_s": round(all_states_s, 3),
        "unread_children": unread,
        "command": latency_summary(latencies),
        "failed": failures,
    }


def client(args: argparse.Namespace) -> None:
    pin_to_cpu(args.cpu)
    with open(args.hello) as file:  # noqa: PTH123 (one small JSON file)
        hello = json.load(file)
    cpu = cpu_seconds()
    if args.peer == "setsmart":
        report = eventloop.run(setsmart_client(hello, args))
        report["peer_version"] = "setsmart " + (git_revision() or "?")
    else:
        report = tinytuya_client(hello, args)
        report["peer_version"] = f"tinytuya {peer_version('tinytuya')}"
    report["client_cpu_s"] = round(cpu_seconds() - cpu, 3)
    report["rss_mb"] = rss_mb()
    print(json.dumps(report), flush=True)


# The benchmark ------------------------------------------------------------------------------


def run_peer(peer: str, hello_path: str, args: argparse.Namespace, cpu: int | None) -> Any:
    command = [
        sys.executable, "-m", "bench.gateway", "client", f"--peer={peer}",
        f"--hello={hello_path}", f"--commands={args.commands}", f"--interval={args.interval}",
    ]  # fmt: skip
    if cpu is not None:
        command.append(f"--cpu={cpu}")
    try:
        done = subprocess.run(  # noqa: S603 (our own interpreter and module)
            command,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": IMPORT_PATH},
            capture_output=True,
            text=True,
            timeout=WORKER_LIMIT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"worker_error": f"did not finish within {WORKER_LIMIT:g} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"worker_error": f"exit code {done.returncode}: {done.stderr[-1500:].strip()}"}
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("mode", nargs="?", default="bench", choices=("bench", "serve", "client"))
    parser.add_argument("--children", type=int, default=50)
    parser.add_argument("--version", default="3.4")
    parser.add_argument("--push-every", type=float, default=1.0)
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--interval", type=float, default=0.05)
    parser.add_argument("--peers", default=",".join(PEERS))
    parser.add_argument("--max-seconds", type=float, default=1800.0)
    parser.add_argument("--cpu", type=int, default=None)
    parser.add_argument("--peer", choices=PEERS, default="setsmart")
    parser.add_argument("--hello", default="")
    args = parser.parse_args()
    if args.mode == "serve":
        pin_to_cpu(args.cpu)
        asyncio.run(serve(args))
        return
    if args.mode == "client":
        client(args)
        return
    layout = cpu_layout()
    results: dict[str, Any] = {
        "benchmark": "gateway",
        "children": args.children,
        "version": args.version,
        "push_every_s": args.push_every,
        "commands": args.commands,
        "interval_s": args.interval,
        **layout,
        "targets": TARGETS,
        "peers": {},
    }
    gateway = GatewayProcess(args, layout["fleet_cpu"])
    with gateway, tempfile.TemporaryDirectory() as tmp:
        hello_path = os.path.join(tmp, "hello.json")  # noqa: PTH118
        with open(hello_path, "w") as file:  # noqa: PTH123
            json.dump(gateway.hello, file)
        for peer in args.peers.split(","):
            report = run_peer(peer, hello_path, args, layout["client_cpu"])
            if "worker_error" not in report:
                p99 = report["command"].get("p99_ms")
                report["meets_targets"] = (
                    report["all_states_s"] <= TARGETS["all_states_s"]
                    and p99 is not None
                    and p99 < TARGETS["command_p99_ms"]
                )
            results["peers"][peer] = report
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
