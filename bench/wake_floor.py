"""What one wake-up costs a Python asyncio process that does nothing else: the floor under
every message setsmart handles. Prints JSON.

    .venv/bin/python -m bench.wake_floor [--rates 50,250] [--count 1000]

A uvloop server, as the daemon runs (`setsmart.eventloop`), answers each 60-byte message
on one TCP connection over 127.0.0.1 with the same bytes, from a protocol callback and
nothing more. A client process sends the messages at a fixed rate, one at a time. The
server's CPU time (user and system, `getrusage`) over the run, divided by the messages, is
what a wake costs before any work of the daemon's own: the loop's turn, the read and the
write system calls, and the caches refilled after sleeping. A `/set` wakes the daemon two
or three times (the MQTT message, then the device's acknowledgement and its new state,
often read apart), a device push once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import socket
import sys
import time
from collections.abc import Sequence
from importlib.metadata import version

import uvloop

MESSAGE = b"x" * 60
_LIMIT_S = 60.0  # a run never lasts longer, whatever the rate and count


class _Echo(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.transport.write(data)


def _client(port: int, rate: float, count: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        start = time.monotonic()
        for n in range(count):
            due = start + n / rate
            if due - start > _LIMIT_S:
                break
            time.sleep(max(0.0, due - time.monotonic()))
            sock.sendall(MESSAGE)
            received = 0
            while received < len(MESSAGE):
                received += len(sock.recv(len(MESSAGE)))


def _cpu() -> tuple[float, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime


async def _measure(rate: float, count: int) -> dict[str, float]:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.wake_floor", "--client", str(port), str(rate), str(count)
    )
    user, system = _cpu()
    await asyncio.wait_for(client.wait(), _LIMIT_S + 10)
    user_after, system_after = _cpu()
    server.close()
    await server.wait_closed()
    return {
        "rate_per_s": rate,
        "messages": count,
        "cpu_ms_per_wake": round(1e3 * (user_after - user + system_after - system) / count, 4),
        "user_ms_per_wake": round(1e3 * (user_after - user) / count, 4),
        "system_ms_per_wake": round(1e3 * (system_after - system) / count, 4),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="50,250", help="messages/s, one run each")
    parser.add_argument("--count", type=int, default=1000, help="messages per run")
    parser.add_argument("--client", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.client:
        port, rate, count = args.client
        _client(int(port), float(rate), int(count))
        return
    rates = [float(rate) for rate in args.rates.split(",")]
    results = [uvloop.run(_measure(rate, args.count)) for rate in rates]
    report = {
        "benchmark": "wake_floor",
        "python": sys.version.split()[0],
        "uvloop": version("uvloop"),
        "results": results,
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
