"""The MQTT side of the daemon benchmarks: a mosquitto of their own on a free loopback
port, and an observer client that timestamps every message the moment it arrives.

The observer is a paho client whose network loop runs in its own thread: a message's
receive time (CLOCK_MONOTONIC, ns) is taken in `on_message`, before anything parses it,
so the benchmark's own work never delays it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
BROKER_HOST = "127.0.0.1"
START_LIMIT = 10.0


def free_tcp_port(host: str = BROKER_HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class BrokerUnavailable(Exception):
    """mosquitto is not installed or did not start."""


class Mosquitto:
    """A mosquitto process on a free loopback port (no persistence, no log, TCP_NODELAY on
    its sockets); a context manager."""

    def __init__(self, host: str = BROKER_HOST) -> None:
        self.host = host
        self.port = free_tcp_port(host)
        self.version = "unknown"
        self._dir = tempfile.TemporaryDirectory(prefix="bench-mosquitto-")
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def __enter__(self) -> Mosquitto:
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
        if not Path(MOSQUITTO).exists():
            raise BrokerUnavailable(f"mosquitto is not installed (looked for {MOSQUITTO})")
        conf = Path(self._dir.name) / "mosquitto.conf"
        conf.write_text(
            f"listener {self.port} {self.host}\nallow_anonymous true\npersistence false\n"
            # Without it the broker's own Nagle holds the second of two messages sent to
            # a client back to back (the observer's command echoed, then the bridge's
            # state) until that client's delayed ACK: 40 ms that belong to no bridge.
            "set_tcp_nodelay true\n"
            "log_dest none\nmax_queued_messages 100000\n"
        )
        self.version = _mosquitto_version()
        self._proc = subprocess.Popen(  # noqa: S603 (the system's mosquitto, our config)
            [MOSQUITTO, "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_LIMIT
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.host, self.port), timeout=1):
                    return
            except OSError:
                if self._proc.poll() is not None:
                    break
                time.sleep(0.05)
        self.stop()
        raise BrokerUnavailable(f"mosquitto did not listen on {self.host}:{self.port}")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        self._dir.cleanup()


def _mosquitto_version() -> str:
    try:
        done = subprocess.run(  # noqa: S603 (the system's mosquitto)
            [MOSQUITTO, "-h"], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    first = (done.stdout or done.stderr).splitlines()
    return first[0].strip() if first else "unknown"


@dataclass(frozen=True, slots=True)
class Message:
    t_ns: int  # CLOCK_MONOTONIC when it arrived
    topic: str
    payload: bytes
    retain: bool


class Observer:
    """Subscribes to `topics`, keeps every message with its arrival time, publishes."""

    def __init__(self, host: str, port: int, topics: list[str], client_id: str) -> None:
        self.host = host
        self.port = port
        self.topics = topics
        self.messages: list[Message] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message

    def __enter__(self) -> Observer:
        self._client.connect(self.host, self.port, keepalive=60)
        self._client.loop_start()
        if not self._subscribed.wait(START_LIMIT):
            self.close()
            raise BrokerUnavailable(f"no subscription on {self.host}:{self.port}")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def publish(self, topic: str, payload: str, qos: int = 0) -> int:
        """Publish; the CLOCK_MONOTONIC time (ns) just before the client took it."""
        sent_at = time.monotonic_ns()
        self._client.publish(topic, payload, qos=qos)
        return sent_at

    def mark(self) -> int:
        with self._lock:
            return len(self.messages)

    def since(self, mark: int) -> list[Message]:
        with self._lock:
            return self.messages[mark:]

    def _on_connect(self, client: mqtt.Client, *_: Any) -> None:
        # paho leaves Nagle on: a publish could wait for the broker's delayed ACK (40 ms).
        sock = client.socket()
        if isinstance(sock, socket.socket):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client.subscribe([(topic, 0) for topic in self.topics])

    def _on_subscribe(self, *_: Any) -> None:
        self._subscribed.set()

    def _on_message(self, _client: mqtt.Client, _userdata: Any, msg: mqtt.MQTTMessage) -> None:
        arrived = time.monotonic_ns()
        with self._lock:
            self.messages.append(Message(arrived, msg.topic, bytes(msg.payload), bool(msg.retain)))
