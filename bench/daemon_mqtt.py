"""The MQTT side of the daemon benchmarks: a mosquitto of their own on a free loopback
port, and an observer client that timestamps every message the moment it arrives.

The observer is setsmart's sans-IO MQTT session (`setsmart.mqtt.session`) read by a
thread of its own on a blocking socket: a message's receive time (CLOCK_MONOTONIC, ns) is
taken as its bytes arrive, before anything parses them, so the benchmark's own work never
delays it.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from setsmart.mqtt.session import Closed, Connected, ConnectOptions, Event, Session, Subscribed
from setsmart.mqtt.session import Message as Incoming

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
        self._acked = threading.Condition(self._lock)  # a QoS 1 window opened
        self._session = Session(ConnectOptions(client_id, keep_alive=0, window=100))
        self._sock: socket.socket | None = None
        self._reader: threading.Thread | None = None

    def __enter__(self) -> Observer:
        sock = socket.create_connection((self.host, self.port), timeout=START_LIMIT)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        try:
            self._session.connect(time.monotonic())
            self._until(Connected)
            self._session.subscribe(self.topics)
            self._until(Subscribed)
        except (OSError, BrokerUnavailable) as error:
            sock.close()
            raise BrokerUnavailable(
                f"no subscription on {self.host}:{self.port}: {error}"
            ) from error
        sock.settimeout(None)
        self._reader = threading.Thread(target=self._read, name="observer", daemon=True)
        self._reader.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        sock = self._sock
        if sock is None:
            return
        with self._lock, contextlib.suppress(OSError):
            self._session.disconnect()
            self._send()
            sock.shutdown(socket.SHUT_RDWR)
        if self._reader is not None:
            self._reader.join(START_LIMIT)
        sock.close()

    def publish(self, topic: str, payload: str, qos: int = 0) -> int:
        """Publish; the CLOCK_MONOTONIC time (ns) just before the client took it."""
        sent_at = time.monotonic_ns()
        with self._lock:
            if qos and not self._acked.wait_for(lambda: self._session.window_open, START_LIMIT):
                raise BrokerUnavailable("the broker acknowledges nothing")
            self._session.publish(topic, payload.encode(), qos=qos)
            self._send()
        return sent_at

    def mark(self) -> int:
        with self._lock:
            return len(self.messages)

    def since(self, mark: int) -> list[Message]:
        with self._lock:
            return self.messages[mark:]

    def _send(self) -> None:
        assert self._sock is not None
        for data in self._session.data_to_send():
            self._sock.sendall(data)

    def _until(self, wanted: type[Event]) -> None:
        """Send what the session queued and read until `wanted` (before the reader runs)."""
        assert self._sock is not None
        self._send()
        while True:
            data = self._sock.recv(65_536)
            events = self._session.receive_data(data, time.monotonic()) if data else []
            self._send()
            if not data or any(isinstance(event, Closed) for event in events):
                raise BrokerUnavailable(f"the broker closed the connection ({events})")
            if any(isinstance(event, wanted) for event in events):
                return

    def _read(self) -> None:
        assert self._sock is not None
        while data := self._sock.recv(1 << 20):
            arrived = time.monotonic_ns()
            with self._lock:
                events = self._session.receive_data(data)
                for event in events:
                    if isinstance(event, Incoming):
                        self.messages.append(
                            Message(arrived, event.topic, event.payload, event.retain)
                        )
                self._send()
                self._acked.notify_all()
                if any(isinstance(event, Closed) for event in events):
                    return
