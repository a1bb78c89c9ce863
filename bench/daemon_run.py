"""One bridge serving the simulated fleet for a while: the steps both daemon benchmarks
share (a fresh broker, the observer, start, wait until every device is served, stop).

Every run gets its own mosquitto, so no retained message of one bridge (rustuya-bridge's
instance lock, tuya2mqtt's device snapshot) reaches the next, and the observer subscribes
to everything on it ("#"): all it sees is the bridge's.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from bench.daemon_bridges import BridgeProcess, LanSettings, SetsmartBridge, make_bridge
from bench.daemon_fleet import DaemonFleet
from bench.daemon_mqtt import Mosquitto, Observer
from bench.fleetspec import DeviceSpec
from bench.measure import cpu_seconds, machine_busy_seconds, rss_mb, thread_count

POLL_S = 0.2


class BridgeRun:
    """A context manager: broker, observer and bridge up; everything stopped on exit."""

    def __init__(
        self,
        name: str,
        fleet: DaemonFleet,
        devices: Sequence[DeviceSpec],
        *,
        kind: str,
        workdir: Path,
        cpu: int | None,
        lan: LanSettings,
        tuya2mqtt: str | None,
        profile: str | None = None,
    ) -> None:
        self.fleet = fleet
        self.devices = list(devices)
        self.kind = kind
        # Raises PeerUnavailable before anything starts when the bridge cannot run here.
        self.bridge: BridgeProcess = make_bridge(
            name, workdir, cpu, lan=lan, tuya2mqtt=tuya2mqtt, profile=profile
        )
        self.broker = Mosquitto()
        self.observer: Observer | None = None
        self.started_at = 0.0
        self.stopped: dict[str, Any] = {}

    def __enter__(self) -> BridgeRun:
        try:
            self.broker.start()
            self.observer = Observer(
                self.broker.host, self.broker.port, ["#"], "bench-observer"
            ).__enter__()
            self.fleet.mark()
            self.started_at = time.monotonic()
            self.bridge.start(self.devices, self.kind, self.broker)
            self.bridge.after_start(self.observer, self.devices)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.stopped = self.bridge.stop() or self.stopped
        self.bridge.close()
        if self.observer is not None:
            self.observer.close()
            self.observer = None
        self.broker.stop()

    @property
    def obs(self) -> Observer:
        assert self.observer is not None
        return self.observer

    def wait_online(self, limit: float) -> dict[str, Any]:
        """Until every device has an established session with the bridge (and, for
        setsmart, its availability says online), at most `limit` seconds."""
        want = len(self.devices)
        deadline = self.started_at + limit
        ready = answering = 0
        mqtt_online: int | None = None
        while True:
            stats = self.fleet.stats()
            ready = int(stats["sessions_ready"])
            answering = int(stats["answering"])
            mqtt_online = self._mqtt_online()
            done = ready >= want and (mqtt_online is None or mqtt_online >= want)
            if done or time.monotonic() >= deadline or not self.bridge.running():
                break
            time.sleep(POLL_S)
        report: dict[str, Any] = {
            "all_online": done,
            "online_s": round(time.monotonic() - self.started_at, 2),
            "sessions_ready": ready,
            "devices_asked_something": answering,
        }
        if mqtt_online is not None:
            report["mqtt_availability_online"] = mqtt_online
        if not self.bridge.running():
            report["bridge_exited"] = self.bridge.stderr_tail(600)
        return report

    def wait_settled(self, quiet: float, limit: float) -> dict[str, Any]:
        """Until the bridge has published nothing on a topic new to it for `quiet` seconds
        (its start-up publishing is over: discovery, availability, first states; periodic
        updates on known topics do not count), at most `limit` seconds."""
        start = time.monotonic()
        seen: set[str] = set()
        checked = 0
        last_new = start
        newest = self.started_at  # when the last topic new to the bridge showed
        while True:
            messages = self.obs.since(checked)
            checked += len(messages)
            for message in messages:
                if message.topic not in seen:
                    seen.add(message.topic)
                    newest = max(newest, message.t_ns / 1e9)  # the time.monotonic clock
                    last_new = max(last_new, newest)
            now = time.monotonic()
            if now - last_new >= quiet or now - start >= limit:
                break
            time.sleep(POLL_S)
        return {
            "settled": now - last_new >= quiet,
            "settle_s": round(now - start, 2),
            "startup_publishing_s": round(newest - self.started_at, 2),
            "topics_seen": len(seen),
            "messages_seen": checked,
        }

    def _mqtt_online(self) -> int | None:
        if isinstance(self.bridge, SetsmartBridge):
            return self.bridge.online(self.obs.since(0))
        return None

    def usage(self) -> Usage:
        """The bridge's, the fleet's and mosquitto's CPU time now, and the machine's."""
        return Usage(
            time.monotonic(),
            cpu_seconds(self.bridge.pid),
            self.fleet.cpu_seconds(),
            cpu_seconds(self.broker.pid),
            machine_busy_seconds(),
        )

    def memory(self) -> dict[str, Any]:
        return {"rss_mb": rss_mb(self.bridge.pid), "threads": thread_count(self.bridge.pid)}


class Usage:
    """CPU times at one moment; `since(earlier)` gives the differences as a report."""

    def __init__(self, wall: float, bridge: float, fleet: float, broker: float, busy: float):
        self.wall = wall
        self.bridge = bridge
        self.fleet = fleet
        self.broker = broker
        self.busy = busy

    def since(self, earlier: Usage) -> dict[str, float]:
        wall = max(self.wall - earlier.wall, 1e-9)
        bridge = self.bridge - earlier.bridge
        fleet = self.fleet - earlier.fleet
        broker = self.broker - earlier.broker
        return {
            "wall_s": round(wall, 3),
            "bridge_cpu_s": round(bridge, 3),
            "bridge_cpu_pct_of_one_core": round(100 * bridge / wall, 3),
            "fleet_cpu_s": round(fleet, 3),
            "broker_cpu_s": round(broker, 3),
            # Whatever else ran on the machine meanwhile (this benchmark's own process
            # included): noise, if large.
            "other_cpu_s": round(max(0.0, self.busy - earlier.busy - bridge - fleet - broker), 3),
        }
