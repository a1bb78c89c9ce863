"""The least a Python bridge does per message, as a peer in the daemon benchmarks.

    .venv/bin/python -m bench.daemon_floor --broker mqtt://127.0.0.1:1883 --fleet F.json

It is setsmart's protocol layer (`ClientSession`: framing, encryption, the 3.4/3.5
handshake) and MQTT session (`mqtt.connection` on the `mqtt5` codec) on uvloop, joined by
nothing else: one asyncio protocol per device, a `set` on `floor/<id>/set`
(`{"<dp>": value}`) written to the device at once, every DP report published as is on
`floor/<id>`, a heartbeat after `--heartbeat` seconds without a frame sent. No command
queue, availability, reconnection, profile, state document, retained topic, history or
log: what setsmart's daemon costs beyond this is the price of those. Prints one JSON line
when it has started; runs until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit

import orjson

from bench.fleetspec import DeviceSpec, load_fleet
from bench.measure import pin_to_cpu, raise_fd_limit, rss_mb
from bench.simfleet import parse_version
from setsmart.eventloop import run
from setsmart.mqtt.connection import Endpoint, connect
from setsmart.mqtt.session import ConnectOptions, Message
from setsmart.protocol.events import Event, Fault, HandshakeComplete, Push, Reply
from setsmart.protocol.session import ClientSession

ROOT = "floor"

Publish = Callable[[str, bytes], None]


class DeviceProtocol(asyncio.Protocol):
    """One device's connection: handshake, first query, then sets, reports, heartbeats."""

    def __init__(self, spec: DeviceSpec, publish: Publish, heartbeat: float) -> None:
        self.session = ClientSession(spec.id, spec.key.encode(), parse_version(spec.version))
        self.topic = f"{ROOT}/{spec.id}"
        self.publish = publish
        self.heartbeat = heartbeat
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.last_sent = 0.0
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        events = self.session.start()
        self._write(self.session.data_to_send())
        self._handle(events)

    def data_received(self, data: bytes) -> None:
        events = self.session.receive_data(data)
        handshake = self.session.data_to_send()
        if handshake:
            self._write(handshake)
        self._handle(events)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self.timer is not None:
            self.timer.cancel()

    def set(self, dps: dict[str, bool | int | str]) -> None:
        if self.transport is not None:
            self._write(self.session.control(dps).data)

    def _handle(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, Push | Reply):
                dps = event.dps
                if dps:
                    self.publish(self.topic, orjson.dumps(dps))
            elif isinstance(event, HandshakeComplete):
                self._write(self.session.query().data)
                self._beat_later(self.heartbeat)
            elif isinstance(event, Fault) and event.fatal and self.transport is not None:
                self.transport.close()

    def _write(self, data: bytes) -> None:
        if self.transport is not None:
            self.transport.write(data)
            self.last_sent = self.loop.time()

    def _beat_later(self, delay: float) -> None:
        self.timer = self.loop.call_later(delay, self._beat)

    def _beat(self) -> None:
        idle = self.loop.time() - self.last_sent
        if idle >= self.heartbeat and self.transport is not None:
            self._write(self.session.heartbeat().data)
            idle = 0.0
        self._beat_later(self.heartbeat - idle)


async def serve(broker: str, fleet: list[DeviceSpec], heartbeat: float) -> None:
    address = urlsplit(broker)
    devices: dict[str, DeviceProtocol] = {}

    def on_message(message: Message) -> None:
        parts = message.topic.split("/")
        device = devices.get(parts[1]) if len(parts) == 3 else None
        try:
            dps = orjson.loads(message.payload)
        except orjson.JSONDecodeError:
            return
        if device is not None and isinstance(dps, dict):
            device.set(dps)

    mqtt = await connect(
        Endpoint(address.hostname or "127.0.0.1", address.port or 1883),
        ConnectOptions(client_id="bench-floor"),
        on_message,
    )
    await mqtt.subscribe([f"{ROOT}/+/set"])

    def publish(topic: str, payload: bytes) -> None:
        mqtt.publish(topic, payload)

    loop = asyncio.get_running_loop()
    for spec in fleet:
        _, device = await loop.create_connection(
            partial(DeviceProtocol, spec, publish, heartbeat), spec.host, spec.port
        )
        devices[spec.id] = device
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    mqtt.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--broker", required=True, help="mqtt://host:port")
    parser.add_argument("--fleet", required=True, type=Path, help="the fleet's device list")
    parser.add_argument("--heartbeat", type=float, default=10.0)
    parser.add_argument("--cpu", type=int, default=None, help="pin to this CPU")
    args = parser.parse_args()
    pin_to_cpu(args.cpu)
    raise_fd_limit()
    print(json.dumps({"rss_before_start_mb": rss_mb()}), flush=True)
    run(serve(args.broker, load_fleet(args.fleet), args.heartbeat))


if __name__ == "__main__":
    main()
