"""The daemon: one supervisor owning every task (asyncio TaskGroup), and routing.

It owns the MQTT bridge, one runtime per device, the discovery listener, the systemd
watchdog and the periodic saves; it wires device events to MQTT topics and MQTT commands
to devices, reloads the configuration on request (applying only the differences), and
on stop says goodbye on MQTT (availability offline, bridge offline) before cancelling.
What it keeps lives in objects of their own: the cloud account and its quota
(`cloud_account`), the register of retained topics (`retained`), the energy totals
(`energy`), what it announces about devices on retained topics: Home Assistant discovery,
firmware, `bridge/devices` and `bridge/info` (`announcements`); firmware requests are
`firmware_request`, answered through `operations` as for HTTP; time comes from one
`clock`.
It starts nothing but the systemd watchdog until the broker says no other instance holds
its base topic (`instance`).

Cloud routing (see `machine`): every device gets a `CloudRoute` to fetch a local key
it needs; as a `Fallback` only a device without a local key (cloud-only) or, when
`cloud.fallback` is on, a LAN device, and in both cases only if the device's own `cloud`
is true. Firmware topics: see `firmware`.

Gateways (see `gateways`): a device that others name as `gateway:` gets a gateway link,
each of its sub-devices a runtime whose link shares it; gateways start first, and a
gateway's sub-devices restart with it on a reload.

Other parts of the daemon start a task with `spawn(coroutine, name)` (it ends with the
daemon) and reach a device with `device(name).request(...)` (see `runtime`).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from setsmart._structlog import structlog
from setsmart.backoff import Backoff
from setsmart.cloud import CloudError
from setsmart.config import Config, DeviceConfig, HttpConfig
from setsmart.config.secret import Secret
from setsmart.daemon import firmware
from setsmart.daemon.announcements import Announcements
from setsmart.daemon.clock import LOOP_CLOCK, Clock
from setsmart.daemon.cloud_account import CloudAccount
from setsmart.daemon.cloud_route import CloudTuning
from setsmart.daemon.coalesce import Coalescer
from setsmart.daemon.commands import Command, CommandError, InvalidCommand, NoSuchDevice
from setsmart.daemon.energy import SAVE_EVERY, EnergyStore
from setsmart.daemon.events import EventHub
from setsmart.daemon.gateways import NO_GATEWAYS, Gateway, GatewayPlan, child_link_factory, plan
from setsmart.daemon.history import HistoryRecorder
from setsmart.daemon.instance import BaseTopicTaken, claim_base_topic
from setsmart.daemon.learnt_keys import LearntKeys
from setsmart.daemon.machine import sleep_window
from setsmart.daemon.operations import Operations, decode_request
from setsmart.daemon.retained import RetainedTopics
from setsmart.daemon.runtime import DeviceRuntime, LinkFactory
from setsmart.daemon.saver import StateSaver
from setsmart.daemon.specs import SpecCache, load_specs
from setsmart.daemon.store import StateError, StateStore
from setsmart.daemon.systemd import Notifier
from setsmart.daemon.watchdog import Watchdogs
from setsmart.devices import AUTO, set_keys
from setsmart.devices.spec import SpecError
from setsmart.lan.discovery import DiscoveryListener, Sighting
from setsmart.mqtt.bridge import Incoming, MqttBridge
from setsmart.mqtt.channels import channel_command, channel_state, published_channels
from setsmart.mqtt.payloads import (
    CommandPayloadError,
    LogLevel,
    decode_set_payload,
    encode_json,
    encode_json_bytes,
    log_document,
    response_document,
)
from setsmart.mqtt.topics import CommandKind, Topics
from setsmart.operation_errors import OperationError
from setsmart.protocol.constants import as_version

if TYPE_CHECKING:
    from setsmart.cloud import CloudClient

log = structlog.get_logger("setsmart.daemon")

_PROBE_EVERY = 60.0  # seconds between two 3.5 probes while a device has no address
_FLUSH_WITHIN = 3.0  # seconds to get the goodbye messages out on stop
_SUMMARY_EVERY = 1.0  # seconds between two bridge/devices documents (and STATUS= lines)
_HEARD_MAX = 4096  # devices heard on the LAN kept for the scan operation


class _Stop(Exception):
    """Raised inside the task group to end it."""


@dataclass(eq=False, slots=True)
class _Device:
    runtime: DeviceRuntime


@dataclass(eq=False)
class Supervisor:
    config: Config
    store: StateStore
    notifier: Notifier = field(default_factory=Notifier)
    cloud_tuning: CloudTuning = field(default_factory=CloudTuning)
    clock: Clock = LOOP_CLOCK
    devices: dict[str, _Device] = field(init=False, default_factory=dict)
    bridge: MqttBridge = field(init=False)
    topics: Topics = field(init=False)
    announce: Announcements = field(init=False)
    _group: asyncio.TaskGroup | None = field(init=False, default=None)
    _bridge_task: asyncio.Task[None] | None = field(init=False, default=None)
    _listener: DiscoveryListener | None = field(init=False, default=None)
    ready: asyncio.Event = field(init=False, default_factory=asyncio.Event)
    _stop: asyncio.Event = field(init=False, default_factory=asyncio.Event)
    saver: StateSaver = field(init=False)
    energy_totals: EnergyStore = field(init=False)
    retained: RetainedTopics = field(init=False)
    account: CloudAccount = field(init=False)
    keys: LearntKeys = field(init=False)
    _pending_reload: Config | None = field(init=False, default=None)
    _reload_requested: asyncio.Event = field(init=False, default_factory=asyncio.Event)
    _devices_summary: Coalescer = field(init=False)
    _status_summary: Coalescer = field(init=False)
    hub: EventHub = field(init=False, default_factory=EventHub)
    history: HistoryRecorder | None = field(init=False, default=None)
    operations: Operations = field(init=False)
    heard: dict[str, Sighting] = field(init=False, default_factory=dict)
    _http_task: asyncio.Task[None] | None = field(init=False, default=None)
    _specs: SpecCache | None = field(init=False, default=None)
    _watchdogs: Watchdogs | None = field(init=False, default=None)
    gateways: dict[str, Gateway] = field(init=False, default_factory=dict)
    """The running gateways' sessions, by the gateway's name, for their sub-devices."""
    _plan: GatewayPlan = field(init=False, default=NO_GATEWAYS)
    _command_topics: dict[str, tuple[str, CommandKind]] = field(init=False, default_factory=dict)
    """`B/<name>/set` and `B/<name>/get` of every configured device: nearly every message
    is one of these, found with one look-up instead of trying each kind of topic."""

    def __post_init__(self) -> None:
        self.history = HistoryRecorder(self.store.directory, self._history_line)
        self.operations = Operations(self, self.hub, self.history)
        self.saver = StateSaver(self.store, self._log_error)
        self.energy_totals = EnergyStore(self.saver)
        self.retained = RetainedTopics(self.saver, self.spawn)
        self.keys = LearntKeys(self.saver, self.spawn)
        self.account = CloudAccount(
            self.saver, self.cloud_tuning, self._log, self._spawn_if_running
        )
        self._devices_summary = Coalescer(self._publish_devices_now, _SUMMARY_EVERY, self.clock)
        self._status_summary = Coalescer(self._notify_status, _SUMMARY_EVERY, self.clock)

    @property
    def cloud(self) -> CloudClient | None:
        """The shared Tuya cloud client (None without `cloud:`, or when it is unusable)."""
        return self.account.client

    def device(self, name: str) -> DeviceRuntime | None:
        """The runtime of a configured device, to send it commands (`request`)."""
        known = self.devices.get(name)
        return known.runtime if known is not None else None

    # Lifecycle ------------------------------------------------------------------------

    async def run(self) -> None:
        """Serve until `stop()`; returns after the goodbye."""
        try:
            async with asyncio.TaskGroup() as group:
                self._group = group
                group.create_task(self._watchdog())
                if not await claim_base_topic(self.config, self._stop, Backoff(0.5, 30.0)):
                    raise _Stop  # noqa: TRY301 (stopped while the broker was away)
                self._start_bridge()
                if self.history is not None:
                    group.create_task(self.history.run(), name="history")
                if self.config.http is not None:
                    await self._start_http(self.config.http)
                self._load_state()
                self.account.open(self.config.cloud)
                self._plan = plan(self.config.devices)
                for device in self._plan.start_order(self.config.devices):
                    self._start_device(device)
                await self._start_discovery()
                self.announce.forget_all_but(self.config.devices)
                self._start_watchdogs()
                group.create_task(self._announce_ready())
                group.create_task(self._save_periodically())
                group.create_task(self._probe_periodically())
                group.create_task(self._reloads())
                await self._stop.wait()
                await self._goodbye()
                raise _Stop  # noqa: TRY301 (the way out of a TaskGroup)
        except* _Stop:
            pass
        except* BaseTopicTaken as taken:
            raise taken.exceptions[0] from None
        finally:
            self._group = None
            for known in self.devices.values():
                known.runtime.close()
            if self._watchdogs is not None:
                self._watchdogs.close()
            self._devices_summary.cancel()
            self._status_summary.cancel()
            if self._listener is not None:
                self._listener.close()
            self.energy_totals.save_now()
            await self.account.close()
            self.saver.close()

    def stop(self) -> None:
        self._stop.set()

    def reload(self, config: Config) -> None:
        """Apply a new configuration (SIGHUP): only what changed is restarted."""
        self._pending_reload = config
        self._reload_requested.set()

    def reload_failed(self, error: str) -> None:
        self._log("error", f"reload failed, the running configuration stays: {error}")

    # Tasks ------------------------------------------------------------------------------

    def spawn(
        self,
        coro: Coroutine[Any, Any, None],
        name: str,
        context: contextvars.Context | None = None,
    ) -> asyncio.Task[None]:
        """Start a task that ends with the daemon (a failure in it ends the daemon)."""
        assert self._group is not None  # noqa: S101 (only called while running)
        return self._group.create_task(coro, name=name, context=context)

    def _spawn_if_running(
        self, coro: Coroutine[Any, Any, None], name: str
    ) -> asyncio.Task[None] | None:
        if self._group is None:
            coro.close()
            return None
        return self.spawn(coro, name)

    async def _start_http(self, settings: HttpConfig) -> None:
        # Imported here: aiohttp costs 100 ms at start-up, and most daemons serve no page.
        from setsmart.http.server import HttpServer  # noqa: PLC0415

        token = settings.token.reveal() if settings.token is not None else None
        server = HttpServer(
            self.operations,
            bind=settings.bind,
            port=settings.port,
            token=token,
            report=self._log_error,
        )
        try:
            await server.start()
        except OSError as exc:
            self._log("error", f"cannot serve HTTP on {settings.bind}:{settings.port}: {exc}")
            return
        self._http_task = self.spawn(server.serve_until_cancelled(), "http")

    async def _restart_http(self, settings: HttpConfig | None) -> None:
        task, self._http_task = self._http_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if settings is not None:
            await self._start_http(settings)

    def _start_bridge(self) -> None:
        config = self.config
        self.topics = Topics.from_config(config)
        self._command_topics.clear()
        for name in self.devices:
            self._add_command_topics(name)
        subscriptions = [
            *self.topics.command_filters,
            *self.topics.channel_set_filters,
            *firmware.filters(self.topics.base),
            self.topics.bridge_request_filter,
        ]
        if config.homeassistant.discovery:
            subscriptions.append(self.topics.ha_status)
        self.bridge = MqttBridge(
            config.mqtt,
            status_topic=self.topics.bridge_state,
            subscriptions=subscriptions,
            on_message=self._on_message,
            on_connect=self._on_connect,
        )
        self.announce = Announcements(
            self.bridge, self.topics, self.retained, self.hub, config.homeassistant.discovery
        )
        self._bridge_task = self.spawn(self.bridge.run(), "mqtt")
        self.announce.info(config)

    def _start_device(self, config: DeviceConfig) -> None:
        meter = self.energy_totals.meter(config.id)
        route = self.account.route(config)
        cloud = self.config.cloud
        factory, child = self._link_factory(config)
        lan = config.local_key is not None or child
        routed = config.cloud and (not lan or (cloud and cloud.fallback))
        runtime = DeviceRuntime(
            config,
            self.config.lan,
            self,
            energy_meter=meter,
            fallback=route if routed else None,
            # A sub-device's key is its gateway's business.
            keys=route if config.local_key is not None and not child else None,
            learnt_key=None if child else self.keys.get(config.id),
            cloud_poll=cloud.poll if cloud else 0.0,
            clock=self.clock,
            link_factory=factory,
        )
        if not lan and runtime.fallback is None and config.gateway is None:
            why = "`cloud: false` is set for it" if self.cloud else "no cloud is usable"
            self._log(
                "error",
                f"{config.name} has no local_key and {why}: it cannot be reached",
                device=config.name,
            )
        self._start_profile_source(runtime)
        runtime.start(self.spawn)
        self.devices[config.name] = _Device(runtime)
        self._add_command_topics(config.name)
        self.bridge.publish(self.topics.availability(config.name), "offline", retain=True, qos=1)
        if config.name in self._plan.gateways:
            self._publish_discovery(runtime)  # its connectivity, even without DPs of its own
        else:
            self.announce.gateway_gone(config.id)

    def _link_factory(self, config: DeviceConfig) -> tuple[LinkFactory | None, bool]:
        """The device's link factory (None: a link of its own), and whether it is a
        sub-device served through its gateway."""
        if config.name in self._plan.gateways:
            gateway = self.gateways[config.name] = Gateway(config.name)
            return gateway.make_link, False
        behind = None if config.gateway is None else self.gateways.get(config.gateway)
        if behind is None or config.node_id is None:
            return None, False
        # A sensor or a device with `sleep:` (known from the configuration; a `type: auto`
        # one is asked at every poll all the same).
        sleeps = sleep_window(config.sleep, config.type) is not None
        factory = child_link_factory(behind, config.node_id, sleeps=sleeps)
        return factory, True  # its gateway started first

    async def _stop_device(self, name: str, *, forget: bool) -> None:
        device = self.devices.pop(name)
        self._command_topics.pop(self.topics.set(name), None)
        self._command_topics.pop(self.topics.get(name), None)
        self.gateways.pop(name, None)
        await device.runtime.stop()
        self.hub.forget(name)
        if self.history is not None and forget:
            self.history.forget(name)
        if forget:
            self.announce.forget(device.runtime.config, device.runtime.profile)

    async def _start_discovery(self) -> None:
        lan = self.config.lan
        if not lan.discovery:
            return
        listener = DiscoveryListener(
            bind=lan.bind,
            ports=lan.discovery_ports,
            on_sighting=self._on_sighting,
            on_error=self._on_discovery_noise,
        )
        try:
            await listener.start()
        except OSError as exc:
            self._log(
                "error",
                f"cannot listen for device broadcasts on {lan.bind} {lan.discovery_ports}: {exc}",
            )
            return
        self._listener = listener

    async def _announce_ready(self) -> None:
        await self.bridge.connected.wait()
        self.notifier.ready(self._status_text())
        self.ready.set()
        # Everything loaded so far lives as long as the daemon: keep the collector from
        # walking it again (a full collection took 30-40 ms with 1000 sessions).
        gc.freeze()
        log.info("setsmart is ready", devices=len(self.devices))

    async def _watchdog(self) -> None:
        interval = self.notifier.watchdog_interval
        if interval is None:
            return
        while True:
            self.notifier.watchdog()
            await asyncio.sleep(interval)

    async def _save_periodically(self) -> None:
        while True:
            await asyncio.sleep(SAVE_EVERY)
            await self.energy_totals.save()
            await self.account.save_usage()

    async def _probe_periodically(self) -> None:
        probe = self.config.lan.probe
        while self._listener is not None and probe is not None:
            if any(d.runtime.link and d.runtime.link.host is None for d in self.devices.values()):
                self._listener.probe(probe)
            await asyncio.sleep(_PROBE_EVERY)

    async def _reloads(self) -> None:
        while True:
            await self._reload_requested.wait()
            self._reload_requested.clear()
            config, self._pending_reload = self._pending_reload, None
            if config is not None:
                await self._apply(config)

    async def _apply(self, new: Config) -> None:
        old, self.config = self.config, new
        self.notifier.reloading()
        cloud_changed = new.cloud != old.cloud
        restart_all = new.lan != old.lan or cloud_changed
        if new.mqtt != old.mqtt or new.homeassistant != old.homeassistant:
            self._restart_bridge()
        wanted = {d.name: d for d in new.devices}
        old_plan, self._plan = self._plan, plan(new.devices)
        changed = {
            name
            for name, known in self.devices.items()
            if name not in wanted
            or restart_all
            or wanted[name] != known.runtime.config
            or (name in old_plan.gateways) != (name in self._plan.gateways)
        }
        # A gateway's sub-devices restart with it (and when it comes or goes).
        touched = changed | (wanted.keys() - self.devices.keys())
        for name in list(self.devices):
            gateway = self.devices[name].runtime.config.gateway
            if name in changed or (gateway is not None and gateway in touched):
                await self._stop_device(name, forget=name not in wanted)
        if new.http != old.http:
            await self._restart_http(new.http)
        if cloud_changed:
            await self.account.close()
            self.account.open(new.cloud)
        for device in self._plan.start_order(new.devices):
            if device.name not in self.devices:
                self._start_device(device)
        if restart_all:
            if self._listener is not None:
                self._listener.close()
                self._listener = None
            await self._start_discovery()
        if self._watchdogs is not None:
            await self._watchdogs.apply(new.watchdogs, self.topics, new.homeassistant.discovery)
        self._publish_devices()
        self.announce.info(new)
        self.notifier.ready(self._status_text())
        self._log("info", f"configuration reloaded: {len(self.devices)} devices")

    def _restart_bridge(self) -> None:
        if self._bridge_task is not None:
            self._bridge_task.cancel()
        retained = [d.runtime for d in self.devices.values()]
        self._start_bridge()
        for runtime in retained:
            self._republish(runtime)

    async def _goodbye(self) -> None:
        self._devices_summary.flush()
        self.notifier.stopping()
        for name in self.devices:
            self.bridge.publish(self.topics.availability(name), "offline", retain=True, qos=1)
        self.bridge.publish(self.topics.bridge_state, "offline", retain=True, qos=1)
        await self.bridge.flush(_FLUSH_WITHIN)

    # MQTT -------------------------------------------------------------------------------

    def _on_connect(self) -> None:
        self._publish_devices()

    def _add_command_topics(self, name: str) -> None:
        self._command_topics[self.topics.set(name)] = (name, "set")
        self._command_topics[self.topics.get(name)] = (name, "get")

    def _on_message(self, message: Incoming) -> None:
        command = self._command_topics.get(message.topic)
        if command is not None:
            self._on_command(message, *command)
            return
        if message.topic == self.topics.ha_status:
            if message.payload.strip() == b"online":
                for known in self.devices.values():
                    self._publish_discovery(known.runtime)
                if self._watchdogs is not None:
                    self._watchdogs.publish_discovery()
            return
        op = self.topics.parse_bridge_request(message.topic)
        if op is not None:
            self.spawn(self._bridge_request(op, message), f"bridge:{op}")
            return
        request = firmware.parse_topic(self.topics.base, message.topic)
        if request is not None:
            self._on_firmware(message, *request)
            return
        channel = self.topics.parse_channel_command(message.topic)
        if channel is not None:
            self._on_command(message, channel[0], "set", channel[1])
            return
        # The command topic of a device that is not configured (it is answered).
        parsed = self.topics.parse_command_topic(message.topic)
        if parsed is not None:
            self._on_command(message, *parsed)

    def _on_command(
        self, message: Incoming, name: str, kind: CommandKind, channel: int | None = None
    ) -> None:
        """A `/set` or `/get` for device `name` (`channel`: to `B/<name>/l<N>/set`)."""
        device = self.devices.get(name)

        def done(error: CommandError | None) -> None:
            if error is not None or message.response_topic:  # else there is nothing to say
                self._answer(
                    message, name if device else None, None if error is None else str(error)
                )

        if device is None:
            done(NoSuchDevice(f"no device named {name!r} is configured"))
            return
        payload = None
        if kind == "set":
            try:
                payload = decode_set_payload(message.payload)
                if channel is not None:
                    keys = set_keys(device.runtime.profile) if device.runtime.profile else ()
                    payload = channel_command(payload, channel, keys)
            except CommandPayloadError as exc:
                done(InvalidCommand(f"{name}: {exc}"))
                return
        device.runtime.submit(Command(kind, payload, message.topic, done))

    async def _bridge_request(self, op: str, message: Incoming) -> None:
        body: object = None
        try:
            body = decode_request(message.payload)
            data = await self.operations.bridge_request(op, body)
            document: dict[str, object] = {"status": "ok", "data": data}
        except OperationError as exc:
            document = {"status": "error", "data": {}, "error": str(exc)}
        if isinstance(body, dict) and "transaction" in body:
            document["transaction"] = body["transaction"]
        self.bridge.publish(self.topics.bridge_response(op), encode_json(document))

    def _answer(self, message: Incoming, device: str | None, error: str | None) -> None:
        if error is not None:
            self._log("error", error, device=device, topic=message.topic)
        if message.response_topic:
            document = encode_json(response_document(error))
            self.bridge.respond(message.response_topic, document, message.correlation)

    def state(self, device: DeviceRuntime, document: dict[str, object]) -> None:
        name = device.config.name
        topic = self.topics.state(name)
        first = not self.bridge.holds(topic)
        self.bridge.publish(topic, encode_json_bytes(document), retain=True)
        for n in published_channels(device.profile):
            channel = encode_json_bytes(channel_state(document, n))
            self.bridge.publish(self.topics.channel_state(name, n), channel, retain=True)
        self.hub.state(name, document)
        if self.history is not None:
            self.history.observe(name, document)
        if first:
            self._publish_discovery(device)
            self._publish_devices()

    def availability(self, device: DeviceRuntime, online: bool) -> None:
        self.bridge.publish(
            self.topics.availability(device.name),
            "online" if online else "offline",
            retain=True,
            qos=1,
        )
        self.hub.publish("availability", {"device": device.name, "available": online})
        self._status_summary.request()

    def learnt_key(self, device: DeviceRuntime, key: Secret | None) -> None:
        self.keys.keep(device.config.id, key)

    def connection(self, device: DeviceRuntime) -> None:
        self._publish_devices()

    def problem(
        self, device: DeviceRuntime, level: LogLevel, message: str, topic: str | None = None
    ) -> None:
        self._log(level, message, device=device.name, topic=topic)

    def energy(self, device: DeviceRuntime) -> None:
        self.energy_totals.changed()

    def _republish(self, runtime: DeviceRuntime) -> None:
        self.bridge.publish(
            self.topics.availability(runtime.name),
            "online" if runtime.online else "offline",
            retain=True,
            qos=1,
        )
        runtime.republish()
        self._publish_discovery(runtime)

    def _publish_discovery(self, runtime: DeviceRuntime) -> None:
        self.announce.device(runtime.config, runtime.profile, self._plan)

    def _publish_devices(self) -> None:
        self._devices_summary.request()

    def _publish_devices_now(self) -> None:
        self.announce.devices(device.runtime for device in self.devices.values())

    def _on_sighting(self, sighting: Sighting) -> None:
        beacon = sighting.beacon
        if beacon.device_id in self.heard or len(self.heard) < _HEARD_MAX:
            self.heard[beacon.device_id] = sighting
        for device in self.devices.values():
            link = device.runtime.link
            if device.runtime.config.id == beacon.device_id and link is not None:
                if link.host != beacon.ip and link.host is not None:
                    self._log(
                        "info",
                        f"device announced a new address {beacon.ip}",
                        device=device.runtime.name,
                    )
                link.update_address(beacon.ip, as_version(beacon.version))
                device.runtime.heard()
            if device.runtime.config.id == beacon.device_id and beacon.product_key:
                device.runtime.learn_profile_source(product_key=beacon.product_key)

    def _on_discovery_noise(self, message: str) -> None:
        log.debug(message)

    def _load_state(self) -> None:
        specs = load_specs(self.store)
        self._specs = SpecCache(self.store, specs.value)
        problems = [*self.energy_totals.load(), *self.retained.load(), *self.keys.load()]
        for problem in problems + self.account.load() + list(specs.problems):
            self._log("warning", str(problem))

    def _start_profile_source(self, runtime: DeviceRuntime) -> None:
        """A `type: auto` device's cloud specification: the cached one, else fetched once."""
        config = runtime.config
        if config.type != AUTO or self._specs is None:
            return
        cached = self._specs.get(config.id)
        if cached is not None:
            runtime.learn_profile_source(spec=cached)
        elif self.cloud is not None and config.cloud:
            self.spawn(self._fetch_spec(runtime, self.cloud), f"spec:{config.name}")

    async def _fetch_spec(self, runtime: DeviceRuntime, client: CloudClient) -> None:
        assert self._specs is not None  # noqa: S101 (set with the state)
        name = runtime.name
        try:
            spec = await self._specs.fetch(client, runtime.config.id)
        except SpecError as exc:
            self._log(
                "warning",
                f"{name}: the Tuya cloud's specification is malformed ({exc}); "
                "the product library or its DPs decide its kind",
                device=name,
            )
            return
        except CloudError as exc:
            self._log(
                "warning", f"{name}: no specification from the Tuya cloud ({exc})", device=name
            )
            return
        except StateError as exc:
            self._log("error", f"could not save state: {exc}")
            kept = self._specs.get(runtime.config.id)
            if kept is not None:
                runtime.learn_profile_source(spec=kept)
            return
        runtime.learn_profile_source(spec=spec)

    def _notify_status(self) -> None:
        self.notifier.status(self._status_text())

    def _status_text(self) -> str:
        online = sum(d.runtime.online for d in self.devices.values())
        return f"{online}/{len(self.devices)} devices online"

    def _log(
        self, level: LogLevel, message: str, *, device: str | None = None, topic: str | None = None
    ) -> None:
        context = {key: value for key, value in (("device", device), ("topic", topic)) if value}
        getattr(log, level)(message, **context)
        document = log_document(level, message, device=device, topic=topic)
        self.bridge.publish(self.topics.bridge_log, encode_json(document))
        self.hub.publish("log", {**document, "time": datetime.now(UTC).isoformat()})

    log_line = _log

    # Watchdogs (see `watchdog`) ----------------------------------------------------------

    def _start_watchdogs(self) -> None:
        config = self.config
        self._watchdogs = Watchdogs(self, self.store, self.topics, config.homeassistant.discovery)
        for problem in self._watchdogs.start(config.watchdogs):
            self._log("warning", problem)

    def watchdog_spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        return self.spawn(coro, name)

    def watchdog_device(self, name: str) -> DeviceRuntime | None:
        return self.device(name)

    def watchdog_publish(self, topic: str, payload: str) -> None:
        self.bridge.publish(topic, payload, retain=True, qos=1)

    def watchdog_log(self, level: LogLevel, message: str, device: str, topic: str) -> None:
        self._log(level, message, device=device, topic=topic)

    def watchdog_save(self, save: Callable[[StateStore, Any], None], data: object) -> None:
        self.spawn(self._save_watchdogs(save, data), "save-watchdogs")

    async def _save_watchdogs(self, save: Callable[[StateStore, Any], None], data: object) -> None:
        await self.saver.write(save, data)

    def _history_line(self, level: LogLevel, message: str) -> None:
        self._log(level, message)

    def _log_error(self, message: str) -> None:
        self._log("error", message)

    # Firmware ---------------------------------------------------------------------------

    def _on_firmware(self, message: Incoming, name: str, kind: firmware.FirmwareKind) -> None:
        def done(error: str | None) -> None:
            self._answer(message, name if name in self.devices else None, error)

        order = None
        if kind == "set":
            try:
                order = firmware.decode_request(message.payload)
            except firmware.FirmwareRequestError as exc:
                done(f"{name}: {exc}")
                return
        self.account.track(self.spawn(self._firmware(name, order, done), f"firmware:{name}"))

    async def _firmware(
        self, name: str, order: firmware.FirmwareOrder | None, done: Callable[[str | None], None]
    ) -> None:
        try:
            await self.operations.firmware(name, order)
        except OperationError as exc:
            done(str(exc))
        else:
            done(None)
