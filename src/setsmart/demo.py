"""`setsmart demo`: simulated devices, a broker and the daemon, all on this machine.

Eleven simulated devices on loopback (every protocol version, and every kind: a metering
plug, a 3.2 device22 plug, a strip, a v2 bulb, a v1 bulb, a wall switch, a dimmer, a
curtain that travels, a fan, a thermostat warming its room, a temperature sensor), a
Zigbee gateway with three sub-devices behind it (a plug, a temperature sensor, a door
sensor) sharing its one session, the configured MQTT broker or, when none answers, a
mosquitto started for the demo on a free port, and the daemon serving them.
Nothing is sent anywhere but 127.0.0.0/8: broadcast discovery is off in the demo.

Besides them, a battery sensor (`demo_battery_sensor`) wakes every few seconds, reports
and sleeps; its wakes are the one broadcast the daemon hears, on a loopback port of its
own.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import socket
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from setsmart.config import (
    Config,
    DeviceConfig,
    HttpConfig,
    LanConfig,
    MqttConfig,
    Secret,
    dump_config,
)
from setsmart.daemon.store import StateStore
from setsmart.daemon.supervisor import Supervisor
from setsmart.errors import SetsmartError
from setsmart.sim import SimFleet, SimGateway
from setsmart.sim.device import ReplyShape
from setsmart.sim.kinds import running_scene

DEMO_DEVICES: tuple[tuple[str, str, str, str, ReplyShape, dict[str, int]], ...] = (
    # name, kind, version, type in the config, how it answers a control (sim/device.py),
    # its dps: block
    ("demo_plug", "plug", "3.3", "plug", "push", {}),
    ("demo_plug_32", "plug", "3.2", "auto", "reply", {}),
    ("demo_strip", "strip", "3.4", "strip", "split", {}),
    ("demo_bulb", "bulb", "3.5", "bulb", "reply", {}),
    ("demo_bulb_v1", "bulb_v1", "3.1", "bulb_v1", "push", {}),
    ("demo_switch", "switch", "3.3", "switch", "push", {}),
    ("demo_dimmer", "dimmer", "3.4", "dimmer", "reply", {}),
    ("demo_cover", "cover", "3.3", "cover", "push", {}),
    ("demo_fan", "fan", "3.4", "fan", "split", {"fan_direction": 8}),
    ("demo_thermostat", "climate", "3.3", "climate", "push", {}),
    ("demo_sensor", "sensor", "3.4", "sensor", "push", {}),
    ("demo_battery_sensor", "sensor", "3.3", "sensor", "push", {}),
)
#: The demo's battery sensor: it wakes every `wake_every` seconds for `awake_for` (often
#: enough for `setsmart scan --timeout 5` to hear it), and may sleep `sleep` seconds.
_SLEEPER = "demo_battery_sensor"
_SLEEPER_CYCLE = {"wake_every": 4.0, "awake_for": 1.5}
_SLEEPER_SLEEP = 60.0
#: Where a demo device starts other than as its kind does: each bulb runs a scene.
_START_DPS = {
    "demo_bulb": running_scene("bulb", "read"),
    "demo_bulb_v1": running_scene("bulb_v1", "scene_1"),
}
#: The gateway's sub-devices: name, node id (cid), simulated kind, type, dps: block. The
#: door's DPs are Tuya's mcs contact sensor's (see sim/gateway.py).
DEMO_CHILDREN: tuple[tuple[str, str, str, str, dict[str, int | None]], ...] = (
    ("demo_zb_plug", "a4c138d000000001", "plug", "plug", {}),
    ("demo_zb_climate", "a4c138d000000002", "temperature", "sensor", {}),
    (
        "demo_zb_door",
        "a4c138d000000003",
        "door",
        "sensor",
        {
            "doorcontact_state": 1,
            "battery_percentage": 2,
            "va_temperature": None,
            "va_humidity": None,
            "battery_state": None,
        },
    ),
)
DEMO_GATEWAY = "demo_gateway"
_GATEWAY_ID = "bfdemogateway0000001"
_GATEWAY_HOST = "127.0.0.60"  # clear of the fleet's 127.0.0.2 and on
_KEY = "demo-local-key!!"
_RESPONDER_HOST = "127.0.0.250"  # the 3.5 device's discovery address (UDP only)
_BEACON_EVERY = 2.0
_PAGE_PORT = 8080  # the page's usual port; another one when something listens there


class DemoError(SetsmartError):
    """The demo cannot start (no broker and no mosquitto to start)."""


def _answers(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1.0):
        return True
    return False


def _mosquitto() -> str | None:
    """The mosquitto binary (Debian puts it in /usr/sbin, often not on a user's PATH)."""
    found = shutil.which("mosquitto")
    if found is None and Path("/usr/sbin/mosquitto").exists():
        found = "/usr/sbin/mosquitto"
    return found


@contextlib.asynccontextmanager
async def _broker(mqtt: MqttConfig, say: Callable[[str], None]) -> AsyncIterator[MqttConfig]:
    """The configured broker if it answers, else a mosquitto of our own on a free port."""
    if await asyncio.to_thread(_answers, mqtt.host, mqtt.port):
        say(f"Using the MQTT broker at {mqtt.host}:{mqtt.port}.")
        yield mqtt
        return
    binary = _mosquitto()
    if binary is None:
        raise DemoError(
            f"no MQTT broker answers at {mqtt.host}:{mqtt.port} and mosquitto is not installed "
            "(sudo apt-get install mosquitto)"
        )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    with tempfile.TemporaryDirectory(prefix="setsmart-demo-") as workdir:
        conf = Path(workdir) / "mosquitto.conf"
        conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        process = await asyncio.create_subprocess_exec(
            binary,
            "-c",
            str(conf),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            async with asyncio.timeout(10):
                # A starting process offers no event to wait on: poll its port.
                while not await asyncio.to_thread(_answers, "127.0.0.1", port):  # noqa: ASYNC110
                    await asyncio.sleep(0.1)
            say(f"No broker answered at {mqtt.host}:{mqtt.port}: started mosquitto on port {port}.")
            yield replace(mqtt, host="127.0.0.1", port=port, username=None, password=None, tls=None)
        finally:
            process.terminate()
            await process.wait()


def demo_gateway() -> SimGateway:
    """The simulated gateway (3.4) with its sub-devices."""
    children = {cid: kind for _, cid, kind, _, _ in DEMO_CHILDREN}
    return SimGateway(_GATEWAY_ID, _KEY, "3.4", children=children, host=_GATEWAY_HOST)


def demo_config(base: Config, fleet: SimFleet, gateway: SimGateway, mqtt: MqttConfig) -> Config:
    devices = []
    for (name, _, _, type_, _, dps), device in zip(DEMO_DEVICES, fleet, strict=True):
        devices.append(
            DeviceConfig(
                id=device.device_id,
                name=name,
                type=type_,
                dps=dps,
                local_key=Secret(_KEY),
                host=device.host,
                port=device.port,
                version=device.version,
                sleep=_SLEEPER_SLEEP if name == _SLEEPER else None,
            )
        )
    devices.append(
        DeviceConfig(
            id=gateway.device_id,
            name=DEMO_GATEWAY,
            local_key=Secret(_KEY),
            host=gateway.host,
            port=gateway.port,
            version=gateway.version,
        )
    )
    for index, (child, cid, _, child_type, child_dps) in enumerate(DEMO_CHILDREN):
        devices.append(
            DeviceConfig(
                id=f"bfdemozigbee{index:08d}",
                name=child,
                type=child_type,
                dps=child_dps,
                gateway=DEMO_GATEWAY,
                node_id=cid,
            )
        )
    lan = LanConfig(
        discovery=True,
        bind="127.0.0.1",
        discovery_ports=_wake_ports(fleet),
        probe=None,
        heartbeat=10.0,
        poll=30.0,
        energy_poll=5.0,
        timeout=5.0,
    )
    http = base.http or HttpConfig(bind="127.0.0.1", port=_free_tcp_port(_PAGE_PORT))
    return replace(base, mqtt=mqtt, lan=lan, cloud=None, devices=tuple(devices), http=http)


def _wake_ports(fleet: SimFleet) -> tuple[int, ...]:
    """Where the battery sensor announces its wakes: the daemon listens there."""
    return tuple(port for device in fleet for _, port in device.wake_targets)


def _free_tcp_port(preferred: int) -> int:
    """`preferred` when nothing listens there on loopback, else any free port."""
    for port in (preferred, 0):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise DemoError("no free TCP port on 127.0.0.1 for the page")


async def run_demo(
    base: Config, say: Callable[[str], None], *, state_dir: Path | None = None
) -> None:
    """Run until SIGINT (Ctrl-C) or SIGTERM, then stop everything cleanly."""
    fleet = SimFleet(first_host="127.0.0.2", devinfo_address=(_RESPONDER_HOST, 0))
    wake_port = _free_udp_port()
    for index, (name, kind, version, _, shape, _) in enumerate(DEMO_DEVICES):
        sleeper: dict[str, Any] = (
            {**_SLEEPER_CYCLE, "wake_targets": [("127.0.0.1", wake_port)]}
            if name == _SLEEPER
            else {}
        )
        fleet.add(
            f"bfdemo{index:014d}",
            _KEY,
            version,  # type: ignore[arg-type]
            kind,
            reply_shape=shape,
            dps=_START_DPS.get(name),
            **sleeper,
        )
    gateway = demo_gateway()
    async with fleet, gateway, _broker(base.mqtt, say) as mqtt:
        config = demo_config(base, fleet, gateway, mqtt)
        with tempfile.TemporaryDirectory(prefix="setsmart-demo-") as scratch:
            cli_config = Path(scratch) / "config.yaml"
            cli_config.write_text(dump_config(_cli_config(config, fleet, gateway)))
            supervisor = Supervisor(config, StateStore(state_dir or Path(scratch) / "state"))
            loop = asyncio.get_running_loop()
            for stop_signal in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(stop_signal, supervisor.stop)
            try:
                task = asyncio.create_task(supervisor.run())
                ready = asyncio.create_task(supervisor.ready.wait())
                await asyncio.wait({task, ready}, timeout=15, return_when=asyncio.FIRST_COMPLETED)
                ready.cancel()
                if task.done():
                    await task  # it ended before it was ready: its error is the demo's
                    return
                if not supervisor.ready.is_set():
                    task.cancel()
                    raise DemoError("the daemon did not get ready within 15 s")
                _explain(config, cli_config, say)
                await task
                say("Demo stopped.")
            finally:
                for stop_signal in (signal.SIGINT, signal.SIGTERM):
                    loop.remove_signal_handler(stop_signal)


def _cli_config(config: Config, fleet: SimFleet, gateway: SimGateway) -> Config:
    """The demo's configuration for the user's own `setsmart scan/status/set`.

    The devices announce themselves as real ones do, but only to loopback: 3.1 to the
    first discovery port, 3.2-3.4 to the second, and the 3.5 one answers the probe sent to
    the responder on the third. Nothing leaves 127.0.0.0/8.
    """
    old_style, new_style = _free_udp_port(), _free_udp_port()
    assert fleet.devinfo_address is not None  # noqa: S101 (the fleet was started with one)
    responder_host, probe_port = fleet.devinfo_address
    for device in [*fleet, gateway]:
        if device.version != "3.5":
            port = old_style if device.version == "3.1" else new_style
            device.beacon_target = ("127.0.0.1", port)
            device.beacon_interval = _BEACON_EVERY
    lan = LanConfig(
        bind="127.0.0.1",
        discovery_ports=(old_style, new_style, probe_port),
        probe=responder_host,
        timeout=5.0,
    )
    return replace(config, lan=lan)


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _described(device: DeviceConfig) -> str:
    return f"{device.name} ({device.version or f'via {device.gateway}'})"


def _explain(config: Config, cli_config: Path, say: Callable[[str], None]) -> None:
    mqtt, base = config.mqtt, config.mqtt.base_topic
    pub = f"mosquitto_pub -h {mqtt.host} -p {mqtt.port} -t {base}"
    cli = f"setsmart {{}} -c {cli_config}"
    lines = [
        "",
        f"setsmart demo is running: {len(config.devices)} simulated devices, "
        "every protocol version and every kind.",
        "",
        "Open the page (every device, its controls, live state and plots):",
        f"  http://{config.http.bind}:{config.http.port}/" if config.http else "  (no http:)",
        "",
        "Watch everything:",
        f"  mosquitto_sub -h {mqtt.host} -p {mqtt.port} -t '{base}/#' -v",
        f"  ({_SLEEPER} is a battery sensor: it wakes every "
        f"{_SLEEPER_CYCLE['wake_every']:g} s, reports and sleeps, and stays online.)",
        "Switch the plug, dim the bulb, run a scene, draw the curtain, warm the room:",
        f"  {pub}/demo_plug/set -m TOGGLE",
        f"  {pub}/demo_bulb/set -m '{{\"brightness\": 80}}'",
        f"  {pub}/demo_cover/set -m '{{\"position\": 30}}'",
        f"  {pub}/demo_thermostat/set -m '{{\"current_heating_setpoint\": 23.5}}'",
        f'  {pub}/demo_bulb/set -m \'{{"effect": "rainbow"}}\'',
        f"Switch the Zigbee plug behind {DEMO_GATEWAY} (it shares the gateway's one session):",
        f"  {pub}/demo_zb_plug/set -m TOGGLE",
        "Or from another terminal, with the command line (.venv/bin/setsmart):",
        "  " + cli.format("scan --timeout 5"),
        "  " + cli.format("status demo_bulb_v1"),
        "  " + cli.format("set demo_strip state_l2=ON"),
        "",
        "Devices: " + ", ".join(_described(d) for d in config.devices),
        "Press Ctrl-C to stop.",
    ]
    for line in lines:
        say(line)
