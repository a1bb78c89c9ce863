"""The MQTT bridges the daemon benchmarks compare, each run as a process of its own.

- setsmart: `setsmart run -c <generated config>`, state directory in a temp dir;
- rustuya-bridge: PyPI pyrustuyabridge, through `python -m bench.daemon_rustuya`, its
  devices added over MQTT (`{"action": "add", ...}` on rustuya/command);
- python-floor: `python -m bench.daemon_floor`, setsmart's protocol layer and MQTT session
  joined by nothing else (what a Python bridge costs at the least, daemon aside);
- tuya2mqtt: the published tinytuya-based bridge (PyPI tuya2mqtt, tinytuya +
  tinytuya_async + aiomqtt), `python -m tuya2mqtt --mode foreground`, with an interpreter
  that has it installed (`--tuya2mqtt-python`); its devices are added over MQTT, as its
  README says.

Each knows how to start, how a `set` of DP 1 is published to it, and how to read a
device's DPs from the messages it publishes, so the benchmarks treat them alike.
"""

from __future__ import annotations

import compileall
import contextlib
import importlib.util
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.daemon_mqtt import Message, Mosquitto, Observer
from bench.fleetspec import DeviceSpec, save_fleet
from bench.peers import PeerUnavailable, peer_version
from bench.profiled import PREFIX_VARIABLE
from bench.simfleet import IMPORT_PATH, REPO
from setsmart.config.envsubst import escape

BRIDGES = ("setsmart", "rustuya-bridge", "tuya2mqtt", "python-floor")
STOP_LIMIT = 20.0  # seconds for a bridge to exit after SIGTERM
# The contract's device types that are also simulated kinds; others are detected.
CONTRACT_TYPES = frozenset({"plug", "strip", "bulb", "bulb_v1"})


@dataclass(frozen=True, slots=True)
class LanSettings:
    """setsmart's `lan:` timings (CONTRACT.md defaults)."""

    heartbeat: float = 10.0
    poll: float = 30.0
    energy_poll: float = 5.0
    timeout: float = 5.0

    def as_dict(self) -> dict[str, float]:
        return {
            "heartbeat": self.heartbeat,
            "poll": self.poll,
            "energy_poll": self.energy_poll,
            "timeout": self.timeout,
        }


def _json_object(payload: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


class BridgeProcess:
    """A bridge's process: start pinned to a CPU, stderr kept, SIGTERM to stop."""

    name = "bridge"
    version = "unknown"

    def __init__(self, workdir: Path, cpu: int | None) -> None:
        self.workdir = workdir
        self.cpu = cpu
        self.command: list[str] = []
        self.hello: dict[str, Any] = {}
        self._proc: subprocess.Popen[str] | None = None
        self._stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed in stop)

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, devices: Sequence[DeviceSpec], kind: str, broker: Mosquitto) -> None:
        raise NotImplementedError

    def after_start(self, observer: Observer, devices: Sequence[DeviceSpec]) -> None:
        """Anything the bridge needs over MQTT once the observer listens (adding devices)."""

    def _wait_for_topic(self, observer: Observer, topic: str, limit: float = 30.0) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if any(message.topic == topic for message in observer.since(0)):
                return
            if not self.running():
                raise RuntimeError(f"{self.name} exited: {self.stderr_tail()}")
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} published nothing on {topic}: {self.stderr_tail()}")

    def set_message(self, device: DeviceSpec, value: bool) -> tuple[str, str]:
        """The topic and payload that set DP 1 of `device` to `value`."""
        raise NotImplementedError

    def device_dps(self, message: Message) -> tuple[str, Mapping[str, Any]] | None:
        """(device id, DPs) when `message` tells a device's DPs; else None."""
        raise NotImplementedError

    def _spawn(self, command: list[str], env: Mapping[str, str] | None = None) -> None:
        self.command = command
        self._proc = subprocess.Popen(  # noqa: S603 (a bridge from this machine's venvs)
            command,
            cwd=self.workdir,
            env={**os.environ, "PYTHONPATH": IMPORT_PATH, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        if self.cpu is not None and hasattr(os, "sched_setaffinity"):
            # Right after exec the interpreter is still alone in its process: the threads
            # it starts later inherit the affinity.
            with contextlib.suppress(OSError):
                os.sched_setaffinity(self._proc.pid, {self.cpu})

    def _read_hello(self, limit: float) -> dict[str, Any]:
        """The JSON line a wrapper prints before its bridge starts."""
        proc = self._proc
        assert proc is not None
        assert proc.stdout is not None
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 0.2)
            if ready:
                line = proc.stdout.readline()
                if line.strip():
                    hello: dict[str, Any] = json.loads(line)
                    return hello
            if proc.poll() is not None:
                break
        raise RuntimeError(f"{self.name} did not start: {self.stderr_tail()}")

    def stderr_tail(self, size: int = 1500) -> str:
        if self._stderr.closed:
            return ""
        self._stderr.seek(0, os.SEEK_END)
        end = self._stderr.tell()
        self._stderr.seek(max(0, end - size * 4))
        return self._stderr.read()[-size:].strip()

    def stderr_lines(self) -> int:
        if self._stderr.closed:
            return 0
        self._stderr.seek(0)
        return sum(1 for _ in self._stderr)

    def stop(self) -> dict[str, Any]:
        """SIGTERM, wait, then kill; the exit code and how long the exit took."""
        proc, self._proc = self._proc, None
        if proc is None:
            return {}
        start = time.monotonic()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        killed = False
        try:
            proc.wait(timeout=STOP_LIMIT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
            killed = True
        if proc.stdout is not None:
            proc.stdout.close()
        result = {
            "exit_code": proc.returncode,
            "stop_s": round(time.monotonic() - start, 2),
            "killed": killed,
            "stderr_lines": self.stderr_lines(),
        }
        if proc.returncode not in (0, -signal.SIGTERM):
            result["stderr_tail"] = self.stderr_tail(600)
        return result

    def close(self) -> None:
        if self._proc is not None:
            self.stop()
        self._stderr.close()


# setsmart ---------------------------------------------------------------------------------


def device_name(index: int) -> str:
    return f"dev{index:04d}"


def setsmart_config(
    devices: Sequence[DeviceSpec], kind: str, broker: Mosquitto, lan: LanSettings
) -> str:
    """The YAML of a daemon serving `devices` (lan.discovery off: hosts are given)."""
    device_type = kind if kind in CONTRACT_TYPES else "auto"
    lines = [
        "mqtt:",
        f"  host: {broker.host}",
        f"  port: {broker.port}",
        "  base_topic: setsmart",
        "  client_id: bench-setsmart",
        "lan:",
        "  discovery: false",
        *(f"  {key}: {value:g}" for key, value in lan.as_dict().items()),
        "devices:",
    ]
    for index, device in enumerate(devices):
        lines += [
            f"  - id: {device.id}",
            f"    name: {device_name(index)}",
            f"    type: {device_type}",
            f"    local_key: {json.dumps(escape(device.key))}",
            f"    host: {device.host}",
            f"    port: {device.port}",
            f"    version: '{device.version}'",
        ]
    return "\n".join(lines) + "\n"


def compile_setsmart() -> None:
    """Write setsmart's bytecode, as installing it does (pip compiles a wheel's modules).

    Where PYTHONDONTWRITEBYTECODE is set (this machine sets it), a checkout's modules would
    otherwise be compiled from source at every start: 0.2 s more to start and 1.3 MB more
    memory than an installed daemon has.
    """
    compileall.compile_dir(REPO / "src" / "setsmart", quiet=1)


def unit_allocator_environment() -> dict[str, str]:
    """The glibc allocator settings the shipped systemd unit gives the daemon (MALLOC_*):
    the daemon is measured as it is deployed."""
    unit = (REPO / "systemd" / "setsmart.service").read_text()
    settings = [
        line.removeprefix("Environment=").partition("=")
        for line in unit.splitlines()
        if line.startswith("Environment=MALLOC_")
    ]
    return {name: value for name, _, value in settings}


def setsmart_command() -> list[str]:
    script = Path(sys.executable).parent / "setsmart"
    return [str(script)] if script.exists() else [sys.executable, "-m", "setsmart"]


class SetsmartBridge(BridgeProcess):
    """`setsmart run -c config.yaml` with SETSMART_STATE_DIR in the work directory."""

    name = "setsmart"
    base = "setsmart"

    def __init__(
        self, workdir: Path, cpu: int | None, lan: LanSettings, profile: str | None = None
    ) -> None:
        super().__init__(workdir, cpu)
        self.lan = lan
        self.profile = profile  # a prefix: run under bench.profiled, profiles written there
        self.version = peer_version("setsmart") or "unknown"
        self._ids: dict[str, str] = {}  # name -> device id
        self._names: dict[str, str] = {}  # device id -> name

    def start(self, devices: Sequence[DeviceSpec], kind: str, broker: Mosquitto) -> None:
        config = self.workdir / "setsmart.yaml"
        config.write_text(setsmart_config(devices, kind, broker, self.lan))
        self._ids = {device_name(i): device.id for i, device in enumerate(devices)}
        self._names = {device.id: device_name(i) for i, device in enumerate(devices)}
        env = {
            "SETSMART_STATE_DIR": str(self.workdir / "setsmart-state"),
            **unit_allocator_environment(),
        }
        compile_setsmart()
        command = setsmart_command()
        if self.profile is not None:
            command = [sys.executable, "-m", "bench.profiled"]
            env[PREFIX_VARIABLE] = self.profile
        self._spawn([*command, "run", "-c", str(config)], env)

    def profiling(self, on: bool) -> None:
        """Start or stop (and write) a profile, when run under bench.profiled."""
        if self.profile is not None and self.running():
            os.kill(self.pid, signal.SIGUSR1 if on else signal.SIGUSR2)

    def set_message(self, device: DeviceSpec, value: bool) -> tuple[str, str]:
        topic = f"{self.base}/{self._names[device.id]}/set"
        return topic, json.dumps({"state": "ON" if value else "OFF"})

    def device_dps(self, message: Message) -> tuple[str, Mapping[str, Any]] | None:
        parts = message.topic.split("/")
        if len(parts) != 2 or parts[0] != self.base or parts[1] not in self._ids:
            return None
        state = _json_object(message.payload)
        dps = state.get("dps") if state else None
        return (self._ids[parts[1]], dps) if isinstance(dps, dict) else None

    def online(self, messages: Sequence[Message]) -> int:
        """How many devices the last availability messages say are online."""
        last: dict[str, bytes] = {}
        for message in messages:
            parts = message.topic.split("/")
            if len(parts) == 3 and parts[0] == self.base and parts[2] == "availability":
                last[parts[1]] = message.payload
        return sum(1 for payload in last.values() if payload == b"online")


# rustuya-bridge ---------------------------------------------------------------------------


class RustuyaBridge(BridgeProcess):
    """pyrustuyabridge's PyBridgeServer via `python -m bench.daemon_rustuya`."""

    name = "rustuya-bridge"
    root = "rustuya"

    def __init__(self, workdir: Path, cpu: int | None) -> None:
        super().__init__(workdir, cpu)
        if importlib.util.find_spec("pyrustuyabridge") is None:
            raise PeerUnavailable("pyrustuyabridge is not installed")
        self.version = peer_version("pyrustuyabridge") or "unknown"
        self._known: set[str] = set()

    def start(self, devices: Sequence[DeviceSpec], kind: str, broker: Mosquitto) -> None:
        # No device in its state file: loading 100 from there at start-up left 0.4.4 deaf
        # to commands and silent on events here; `add` over MQTT (its README's way) works.
        self._known = {d.id for d in devices}
        command = [sys.executable, "-m", "bench.daemon_rustuya", f"--broker={broker.url}"]
        command.append(f"--state-file={self.workdir / 'rustuya.json'}")
        if self.cpu is not None:
            command.append(f"--cpu={self.cpu}")
        self._spawn(command)
        self.hello = self._read_hello(30.0)
        if "unavailable" in self.hello:
            raise PeerUnavailable(str(self.hello["unavailable"]))

    def after_start(self, observer: Observer, devices: Sequence[DeviceSpec]) -> None:
        """Once its retained config shows (it listens then), `add` every device."""
        self._wait_for_topic(observer, f"{self.root}/bridge/config")
        for index, device in enumerate(devices):
            add = {
                "action": "add",
                "id": device.id,
                "key": device.key,
                "ip": device.host,
                "version": device.version,
                "name": device_name(index),
            }
            observer.publish(f"{self.root}/command", json.dumps(add), qos=1)

    def set_message(self, device: DeviceSpec, value: bool) -> tuple[str, str]:
        payload = {"action": "set", "id": device.id, "dps": {"1": value}}
        return f"{self.root}/command", json.dumps(payload)

    def device_dps(self, message: Message) -> tuple[str, Mapping[str, Any]] | None:
        parts = message.topic.split("/")
        if len(parts) != 4 or parts[:2] != [self.root, "event"] or parts[3] not in self._known:
            return None
        dps = _json_object(message.payload)
        return (parts[3], dps) if dps is not None else None


# python-floor -----------------------------------------------------------------------------


class FloorBridge(BridgeProcess):
    """`python -m bench.daemon_floor`: the protocol layer and MQTT session alone."""

    name = "python-floor"
    root = "floor"

    def __init__(self, workdir: Path, cpu: int | None, lan: LanSettings) -> None:
        super().__init__(workdir, cpu)
        self.lan = lan
        self.version = peer_version("setsmart") or "unknown"
        self._known: set[str] = set()

    def start(self, devices: Sequence[DeviceSpec], kind: str, broker: Mosquitto) -> None:
        fleet = self.workdir / "fleet.json"
        save_fleet(fleet, devices)
        self._known = {d.id for d in devices}
        command = [sys.executable, "-m", "bench.daemon_floor", f"--broker={broker.url}"]
        command += [f"--fleet={fleet}", f"--heartbeat={self.lan.heartbeat}"]
        self._spawn(command)
        self.hello = self._read_hello(30.0)

    def set_message(self, device: DeviceSpec, value: bool) -> tuple[str, str]:
        return f"{self.root}/{device.id}/set", json.dumps({"1": value})

    def device_dps(self, message: Message) -> tuple[str, Mapping[str, Any]] | None:
        parts = message.topic.split("/")
        if len(parts) != 2 or parts[0] != self.root or parts[1] not in self._known:
            return None
        dps = _json_object(message.payload)
        return (parts[1], dps) if dps is not None else None


# tuya2mqtt --------------------------------------------------------------------------------


def tuya2mqtt_python(given: str | None) -> str:
    """An interpreter that can import tuya2mqtt: `given`, else this one if it can."""
    for python in [given] if given else [sys.executable]:
        try:
            done = subprocess.run(  # noqa: S603 (an interpreter named by the user)
                [python, "-c", "import importlib.metadata as m; print(m.version('tuya2mqtt'))"],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise PeerUnavailable(f"cannot run {python}: {exc}") from None
        if done.returncode == 0:
            return python
    where = given or sys.executable
    raise PeerUnavailable(
        f"tuya2mqtt is not installed for {where} (pip install tuya2mqtt, then pass"
        " --tuya2mqtt-python)"
    )


class Tuya2mqttBridge(BridgeProcess):
    """tuya2mqtt 1.2 (tinytuya_async.DeviceAsync per device) in the foreground."""

    name = "tuya2mqtt"
    root = "tuya2mqtt"

    def __init__(self, workdir: Path, cpu: int | None, python: str | None) -> None:
        super().__init__(workdir, cpu)
        self.python = tuya2mqtt_python(python)
        self.version = self._version()
        self._known: set[str] = set()

    def _version(self) -> str:
        code = (
            "import importlib.metadata as m; print(m.version('tuya2mqtt'),"
            " m.version('tinytuya'), m.version('tinytuya_async'))"
        )
        done = subprocess.run(  # noqa: S603 (the interpreter checked above)
            [self.python, "-c", code], capture_output=True, text=True, timeout=30, check=False
        )
        parts = done.stdout.split()
        if len(parts) != 3:
            return "unknown"
        return f"{parts[0]} (tinytuya {parts[1]}, tinytuya_async {parts[2]})"

    def start(self, devices: Sequence[DeviceSpec], kind: str, broker: Mosquitto) -> None:
        conf = self.workdir / "tuya2mqtt.conf"
        conf.write_text(json.dumps({"broker": {"hostname": broker.host, "port": broker.port}}))
        self._known = {d.id for d in devices}
        self._spawn([self.python, "-m", "tuya2mqtt", "--mode", "foreground", "--config", str(conf)])

    def after_start(self, observer: Observer, devices: Sequence[DeviceSpec]) -> None:
        """Wait for its retained topic list (it listens then), then add every device."""
        self._wait_for_topic(observer, self.root)
        time.sleep(0.5)  # it subscribes to its command topics just before that publish
        entries = [
            {
                "id": d.id,
                "ip": d.host,
                "key": d.key,
                "version": float(d.version),
                "name": device_name(i),
            }
            for i, d in enumerate(devices)
        ]
        observer.publish(f"{self.root}/intro/device/add", json.dumps(entries), qos=1)

    def set_message(self, device: DeviceSpec, value: bool) -> tuple[str, str]:
        payload = {"id": device.id, "data": {"1": value}}
        return f"{self.root}/intro/device/set", json.dumps(payload)

    def device_dps(self, message: Message) -> tuple[str, Mapping[str, Any]] | None:
        if not message.topic.startswith(f"{self.root}/extra/device/"):
            return None
        body = _json_object(message.payload)
        if body is None or body.get("id") not in self._known:
            return None
        dps = body.get("data")
        return (str(body["id"]), dps) if isinstance(dps, dict) else None


def make_bridge(
    name: str,
    workdir: Path,
    cpu: int | None,
    *,
    lan: LanSettings,
    tuya2mqtt: str | None = None,
    profile: str | None = None,
) -> BridgeProcess:
    """A bridge by name; PeerUnavailable when it cannot be run here."""
    workdir.mkdir(parents=True, exist_ok=True)
    if name == "setsmart":
        return SetsmartBridge(workdir, cpu, lan, profile)
    if name == "rustuya-bridge":
        return RustuyaBridge(workdir, cpu)
    if name == "tuya2mqtt":
        return Tuya2mqttBridge(workdir, cpu, tuya2mqtt)
    if name == "python-floor":
        return FloorBridge(workdir, cpu, lan)
    raise ValueError(f"no bridge named {name!r} (known: {', '.join(BRIDGES)})")
