"""The daemon: one supervisor owning every task (asyncio TaskGroup).

It owns the MQTT bridge, one runtime per device, the discovery listener, the systemd
watchdog, the state saver and, when `cloud:` is configured, the one Tuya cloud client
the devices share; it wires device events to MQTT topics and MQTT commands to devices,
reloads the configuration on request (applying only the differences), and on stop says
goodbye on MQTT (availability offline, bridge offline) before cancelling.

Cloud routing (see `runtime`): every device gets a `CloudRoute` to fetch a local key
it needs; as a `Fallback` only a device without a local key (cloud-only) or, when
`cloud.fallback` is on, a LAN device, and in both cases only if the device's own `cloud`
is true. The client's monthly call count is kept in the state directory and a warning
goes to `B/bridge/log` at 80 % of the allowance and when it is reached. Firmware topics:
see `firmware`.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from setsmart._structlog import structlog
from setsmart.cloud import CallBudget, CloudError
from setsmart.cloud.models import UpgradeInfo
from setsmart.config import Config, DeviceConfig
from setsmart.config.secret import Secret
from setsmart.daemon import firmware
from setsmart.daemon.cloud_route import CloudRoute, CloudTuning, make_client
from setsmart.daemon.coalesce import Coalescer
from setsmart.daemon.logs import register_secret
from setsmart.daemon.runtime import Command, DeviceRuntime, RouteError
from setsmart.daemon.store import (
    CloudUsage,
    StateError,
    StateStore,
    load_cloud_usage,
    load_energy,
    load_local_keys,
    load_published,
    save_cloud_usage,
    save_energy,
    save_local_keys,
    save_published,
)
from setsmart.daemon.systemd import Notifier
from setsmart.daemon.watchdog import Watchdogs
from setsmart.devices import EnergyMeter
from setsmart.lan.discovery import DiscoveryListener, Sighting
from setsmart.mqtt.bridge import Incoming, MqttBridge
from setsmart.mqtt.discovery import (
    DiscoveryPayloads,
    discovery_documents,
    removed_device_topics,
    stale_discovery_topics,
)
from setsmart.mqtt.payloads import (
    BridgeDevice,
    CommandPayloadError,
    LogLevel,
    bridge_devices_document,
    decode_set_payload,
    encode_json,
    log_document,
    response_document,
)
from setsmart.mqtt.topics import Topics
from setsmart.protocol.constants import as_version

if TYPE_CHECKING:
    from setsmart.cloud import CloudClient

log = structlog.get_logger("setsmart.daemon")

_ENERGY_SAVE_EVERY = 60.0  # seconds between two saves of energy totals that changed
_PROBE_EVERY = 60.0  # seconds between two 3.5 probes while a device has no address
_FLUSH_WITHIN = 3.0  # seconds to get the goodbye messages out on stop
_SUMMARY_EVERY = 1.0  # seconds between two bridge/devices documents (and STATUS= lines)


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
    cloud: CloudClient | None = field(init=False, default=None)
    devices: dict[str, _Device] = field(init=False, default_factory=dict)
    bridge: MqttBridge = field(init=False)
    topics: Topics = field(init=False)
    _group: asyncio.TaskGroup | None = field(init=False, default=None)
    _bridge_task: asyncio.Task[None] | None = field(init=False, default=None)
    _listener: DiscoveryListener | None = field(init=False, default=None)
    ready: asyncio.Event = field(init=False, default_factory=asyncio.Event)
    _stop: asyncio.Event = field(init=False, default_factory=asyncio.Event)
    _energy_dirty: bool = field(init=False, default=False)
    _meters: dict[str, EnergyMeter] = field(init=False, default_factory=dict)
    # Per device id, the retained topics it has published (sorted: a tuple is a tenth of a set).
    _published: dict[str, tuple[str, ...]] = field(init=False, default_factory=dict)
    _save_lock: asyncio.Lock = field(init=False, default_factory=asyncio.Lock)
    _published_dirty: bool = field(init=False, default=False)
    _published_saver: asyncio.Task[None] | None = field(init=False, default=None)
    _pending_reload: Config | None = field(init=False, default=None)
    _reload_requested: asyncio.Event = field(init=False, default_factory=asyncio.Event)
    _usage: CloudUsage = field(init=False, default_factory=CloudUsage)
    _saved_calls: int = field(init=False, default=0)
    _learnt_keys: dict[str, Secret] = field(init=False, default_factory=dict)
    _cloud_requests: set[asyncio.Task[None]] = field(init=False, default_factory=set)
    _devices_summary: Coalescer = field(init=False)
    _status_summary: Coalescer = field(init=False)
    _watchdogs: Watchdogs | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self._devices_summary = Coalescer(self._publish_devices_now, _SUMMARY_EVERY)
        self._status_summary = Coalescer(self._notify_status, _SUMMARY_EVERY)

    # Lifecycle ------------------------------------------------------------------------

    async def run(self) -> None:
        """Serve until `stop()`; returns after the goodbye."""
        try:
            async with asyncio.TaskGroup() as group:
                self._group = group
                self._start_bridge()
                self._load_state()
                self._start_cloud()
                for device in self.config.devices:
                    self._start_device(device)
                await self._start_discovery()
                self._clear_removed_devices()
                self._start_watchdogs()
                group.create_task(self._announce_ready())
                group.create_task(self._watchdog())
                group.create_task(self._save_periodically())
                group.create_task(self._probe_periodically())
                group.create_task(self._reloads())
                await self._stop.wait()
                await self._goodbye()
                raise _Stop  # noqa: TRY301 (the way out of a TaskGroup)
        except* _Stop:
            pass
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
            self._save_energy_now()
            await self._close_cloud()

    def stop(self) -> None:
        self._stop.set()

    def reload(self, config: Config) -> None:
        """Apply a new configuration (SIGHUP): only what changed is restarted."""
        self._pending_reload = config
        self._reload_requested.set()

    def reload_failed(self, error: str) -> None:
        self._log("error", f"reload failed, the running configuration stays: {error}")

    # Tasks ------------------------------------------------------------------------------

    def _spawn(
        self, coro: object, name: str, context: contextvars.Context | None = None
    ) -> asyncio.Task[None]:
        assert self._group is not None  # noqa: S101 (only called while running)
        return self._group.create_task(coro, name=name, context=context)  # type: ignore[arg-type]

    def _start_bridge(self) -> None:
        config = self.config
        self.topics = Topics.from_config(config)
        subscriptions = [*self.topics.command_filters, *firmware.filters(self.topics.base)]
        if config.homeassistant.discovery:
            subscriptions.append(self.topics.ha_status)
        self.bridge = MqttBridge(
            config.mqtt,
            status_topic=self.topics.bridge_state,
            subscriptions=subscriptions,
            on_message=self._on_message,
            on_connect=self._on_connect,
        )
        self._bridge_task = self._spawn(self.bridge.run(), "mqtt")

    def _start_device(self, config: DeviceConfig) -> None:
        meter = self._meters.setdefault(config.id, EnergyMeter())
        route = self._route(config)
        cloud = self.config.cloud
        routed = config.cloud and (config.local_key is None or (cloud and cloud.fallback))
        runtime = DeviceRuntime(
            config,
            self.config.lan,
            self,
            energy_meter=meter,
            fallback=route if routed else None,
            keys=route if config.local_key is not None else None,
            learnt_key=self._learnt_keys.get(config.id),
            cloud_poll=cloud.poll if cloud else 0.0,
        )
        if config.local_key is None and runtime.fallback is None:
            why = "`cloud: false` is set for it" if self.cloud else "no cloud is usable"
            self._log(
                "error",
                f"{config.name} has no local_key and {why}: it cannot be reached",
                device=config.name,
            )
        runtime.start(self._spawn)
        self.devices[config.name] = _Device(runtime)
        self.bridge.publish(self.topics.availability(config.name), "offline", retain=True, qos=1)

    async def _stop_device(self, name: str, *, forget: bool) -> None:
        device = self.devices.pop(name)
        await device.runtime.stop()
        if forget:
            config = device.runtime.config
            topics = {
                *removed_device_topics(config, self.topics),
                *self._published.pop(config.id, ()),
            }
            self._clear(topics)
            self._save_published()

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
            await asyncio.sleep(_ENERGY_SAVE_EVERY)
            if self._energy_dirty:
                self._energy_dirty = False
                await self._write_state(save_energy, self._energy_snapshot())
            await self._save_usage()

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
            if self._bridge_task is not None:
                self._bridge_task.cancel()
            retained = [d.runtime for d in self.devices.values()]
            self._start_bridge()
            for runtime in retained:
                self._republish(runtime)
        wanted = {d.name: d for d in new.devices}
        for name in list(self.devices):
            current = self.devices[name].runtime.config
            if name not in wanted:
                await self._stop_device(name, forget=True)
            elif restart_all or wanted[name] != current:
                await self._stop_device(name, forget=False)
        if cloud_changed:
            await self._close_cloud()
            self._start_cloud()
        for name, device in wanted.items():
            if name not in self.devices:
                self._start_device(device)
        if restart_all:
            if self._listener is not None:
                self._listener.close()
                self._listener = None
            await self._start_discovery()
        if self._watchdogs is not None:
            await self._watchdogs.apply(new.watchdogs, self.topics, new.homeassistant.discovery)
        self._publish_devices()
        self.notifier.ready(self._status_text())
        self._log("info", f"configuration reloaded: {len(self.devices)} devices")

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

    def _on_message(self, message: Incoming) -> None:
        if message.topic == self.topics.ha_status:
            if message.payload.strip() == b"online":
                for known in self.devices.values():
                    self._publish_discovery(known.runtime)
                if self._watchdogs is not None:
                    self._watchdogs.publish_discovery()
            return
        request = firmware.parse_topic(self.topics.base, message.topic)
        if request is not None:
            self._on_firmware(message, *request)
            return
        parsed = self.topics.parse_command_topic(message.topic)
        if parsed is None:
            return
        name, kind = parsed
        device = self.devices.get(name)

        def done(error: str | None) -> None:
            self._answer(message, name if device else None, error)

        if device is None:
            done(f"no device named {name!r} is configured")
            return
        if kind == "get":
            device.runtime.submit(Command("get", None, message.topic, done))
            return
        try:
            payload = decode_set_payload(message.payload)
        except CommandPayloadError as exc:
            done(f"{name}: {exc}")
            return
        device.runtime.submit(Command("set", payload, message.topic, done))

    def _answer(self, message: Incoming, device: str | None, error: str | None) -> None:
        if error is not None:
            self._log("error", error, device=device, topic=message.topic)
        if message.response_topic:
            document = encode_json(response_document(error))
            self.bridge.respond(message.response_topic, document, message.correlation)

    def state(self, device: DeviceRuntime, document: dict[str, object]) -> None:
        first = self.bridge.retained(self.topics.state(device.name)) is None
        self.bridge.publish(self.topics.state(device.name), encode_json(document), retain=True)
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
        self._status_summary.request()

    def learnt_key(self, device: DeviceRuntime, key: Secret | None) -> None:
        device_id = device.config.id
        if key is None:
            if self._learnt_keys.pop(device_id, None) is None:
                return
        else:
            register_secret(key)
            self._learnt_keys[device_id] = key
        self._spawn(self._write_state(save_local_keys, dict(self._learnt_keys)), "save-keys")

    def connection(self, device: DeviceRuntime) -> None:
        self._publish_devices()

    def problem(
        self, device: DeviceRuntime, level: LogLevel, message: str, topic: str | None = None
    ) -> None:
        self._log(level, message, device=device.name, topic=topic)

    def energy(self, device: DeviceRuntime) -> None:
        self._energy_dirty = True

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
        if not self.config.homeassistant.discovery or runtime.profile is None:
            return
        device_id = runtime.config.id
        documents = discovery_documents(runtime.config, runtime.profile, self.topics)
        before = self._published.get(device_id, ())
        # A type change or a lost gang: drop the entities that no longer exist.
        self._clear(
            t for t in stale_discovery_topics(device_id, self.topics, documents) if t in before
        )
        payloads = DiscoveryPayloads(runtime.config, runtime.profile, self.topics)
        for topic in documents:
            self.bridge.publish(topic, payloads, retain=True, qos=1)
        now = {*documents, self.topics.state(runtime.name), self.topics.availability(runtime.name)}
        now |= set(before) & {firmware.state_topic(self.topics.base, runtime.name)}
        if now != set(before):
            self._published[device_id] = tuple(sorted(now))
            self._save_published()

    def _clear_removed_devices(self) -> None:
        """Devices published by an earlier run but no longer configured lose their topics."""
        configured = {d.id for d in self.config.devices}
        gone = [device_id for device_id in self._published if device_id not in configured]
        for device_id in gone:
            self._clear(self._published.pop(device_id))
        if gone:
            self._save_published()

    def _clear(self, topics: Iterable[str]) -> None:
        for topic in topics:
            self.bridge.publish(topic, b"", retain=True, qos=1)

    def _publish_devices(self) -> None:
        self._devices_summary.request()

    def _publish_devices_now(self) -> None:
        rows = []
        for device in self.devices.values():
            runtime, config = device.runtime, device.runtime.config
            link = runtime.link
            rows.append(
                BridgeDevice(
                    name=config.name,
                    id=config.id,
                    type=str(runtime.profile.type) if runtime.profile else config.type,
                    connection=runtime.connection,
                    host=link.host if link else config.host,
                    version=link.version if link else config.version,
                )
            )
        document = encode_json(bridge_devices_document(rows))
        self.bridge.publish(self.topics.bridge_devices, document, retain=True, qos=1)

    def _on_sighting(self, sighting: Sighting) -> None:
        beacon = sighting.beacon
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

    def _on_discovery_noise(self, message: str) -> None:
        log.debug(message)

    def _load_state(self) -> None:
        energy = load_energy(self.store)
        published = load_published(self.store)
        keys = load_local_keys(self.store)
        usage = load_cloud_usage(self.store)
        for problem in (*energy.problems, *published.problems, *keys.problems, *usage.problems):
            self._log("warning", str(problem))
        for key in keys.value.values():
            register_secret(key)
        self._learnt_keys = keys.value
        self._usage = usage.value
        self._saved_calls = usage.value.calls
        self._meters = energy.value
        self._published = {
            device_id: tuple(sorted(set(topics))) for device_id, topics in published.value.items()
        }

    def _energy_snapshot(self) -> dict[str, EnergyMeter]:
        return {device_id: EnergyMeter(meter.kwh) for device_id, meter in self._meters.items()}

    async def _write_state(self, save: Callable[[StateStore, Any], None], data: object) -> None:
        """Write a state file off the event loop (fsync can take long on an SD card);
        one write at a time, so the newest data is written last."""
        async with self._save_lock:
            try:
                await asyncio.to_thread(save, self.store, data)
            except StateError as exc:
                self._log("error", f"could not save state: {exc}")

    def _save_published(self) -> None:
        """Save the published topics soon: one save at a time, taking the map as it is then
        (a save per device coming online would copy the whole map each time)."""
        self._published_dirty = True
        if self._published_saver is None or self._published_saver.done():
            self._published_saver = self._spawn(self._save_published_soon(), "save-published")

    async def _save_published_soon(self) -> None:
        while self._published_dirty:
            self._published_dirty = False
            data = {device_id: list(topics) for device_id, topics in self._published.items()}
            await self._write_state(save_published, data)

    def _save_energy_now(self) -> None:
        """The last save, at exit: there is no loop left to hand it to."""
        if self._energy_dirty:
            try:
                save_energy(self.store, self._energy_snapshot())
            except StateError as exc:
                log.error("could not save energy totals", error=str(exc))  # noqa: TRY400 (one line)

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

    # Watchdogs (see `watchdog`) ----------------------------------------------------------

    def _start_watchdogs(self) -> None:
        config = self.config
        self._watchdogs = Watchdogs(self, self.store, self.topics, config.homeassistant.discovery)
        for problem in self._watchdogs.start(config.watchdogs):
            self._log("warning", problem)

    def watchdog_spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        return self._spawn(coro, name)

    def watchdog_device(self, name: str) -> DeviceRuntime | None:
        device = self.devices.get(name)
        return None if device is None else device.runtime

    def watchdog_publish(self, topic: str, payload: str) -> None:
        self.bridge.publish(topic, payload, retain=True, qos=1)

    def watchdog_log(self, level: LogLevel, message: str, device: str, topic: str) -> None:
        self._log(level, message, device=device, topic=topic)

    def watchdog_save(self, save: Callable[[StateStore, Any], None], data: object) -> None:
        self._spawn(self._write_state(save, data), "save-watchdogs")

    # The cloud --------------------------------------------------------------------------

    def _start_cloud(self) -> None:
        """The shared client, when the configuration has a cloud section."""
        settings = self.config.cloud
        self.cloud = None
        if settings is None:
            return
        try:
            client = make_client(settings, self.cloud_tuning, on_budget=self._on_budget)
        except CloudError as exc:
            self._log("error", f"the Tuya cloud is not used: {exc}")
            return
        client.restore_calls(self._usage.month, self._usage.calls)
        self.cloud = client
        budget = client.call_budget
        if budget.warning:
            self._on_budget(budget)

    async def _close_cloud(self) -> None:
        for task in list(self._cloud_requests):
            task.cancel()
        client, self.cloud = self.cloud, None
        if client is None:
            return
        self._usage = self._usage_now(client)
        await client.aclose()
        if self._usage.calls != self._saved_calls:
            try:
                save_cloud_usage(self.store, self._usage)
            except StateError as exc:
                log.error("could not save the cloud call count", error=str(exc))  # noqa: TRY400 (one line)
            else:
                self._saved_calls = self._usage.calls

    def _route(self, config: DeviceConfig) -> CloudRoute | None:
        if self.cloud is None:
            return None
        return CloudRoute(self.cloud, config.id, config.name, on_failure=self._count_failure)

    def _count_failure(self) -> None:
        if self.cloud is not None:
            self._usage = self._usage_now(self.cloud)
        self._usage.failures += 1

    def _usage_now(self, client: CloudClient) -> CloudUsage:
        budget = client.call_budget
        failures = self._usage.failures if budget.month == self._usage.month else 0
        return CloudUsage(budget.month, budget.calls, failures)

    async def _save_usage(self) -> None:
        if self.cloud is None:
            return
        self._usage = self._usage_now(self.cloud)
        if self._usage.calls != self._saved_calls:
            self._saved_calls = self._usage.calls
            await self._write_state(
                save_cloud_usage,
                CloudUsage(self._usage.month, self._usage.calls, self._usage.failures),
            )

    def _on_budget(self, budget: CallBudget) -> None:
        share = round(100 * budget.calls / budget.limit)
        if budget.calls >= budget.limit:
            state = (
                f"the plan's monthly allowance of about {budget.limit} calls is reached; "
                "the cloud may refuse calls until next month"
            )
        else:
            state = (
                f"{share}% of the plan's monthly allowance of about {budget.limit} calls; "
                "past it the cloud may refuse calls until next month"
            )
        self._log(
            "warning",
            f"the Tuya cloud has been called {budget.calls} times this month ({budget.month}): "
            f"{state}. Give devices their local_key, or raise cloud.poll, to call it less",
        )
        if self._group is not None:
            self._spawn(self._save_usage(), "save-usage")

    # Firmware ---------------------------------------------------------------------------

    def _on_firmware(self, message: Incoming, name: str, kind: firmware.FirmwareKind) -> None:
        device = self.devices.get(name)

        def done(error: str | None) -> None:
            self._answer(message, name if device else None, error)

        if device is None:
            done(f"no device named {name!r} is configured")
            return
        route = self._route(device.runtime.config)
        if route is None:
            done(f"{name}: firmware versions come from the Tuya cloud, and no cloud is configured")
            return
        order = None
        if kind == "set":
            try:
                order = firmware.decode_request(message.payload)
            except firmware.FirmwareRequestError as exc:
                done(f"{name}: {exc}")
                return
        task = self._spawn(self._firmware(route, order, done), f"firmware:{name}")
        self._cloud_requests.add(task)
        task.add_done_callback(self._cloud_requests.discard)

    async def _firmware(
        self,
        route: CloudRoute,
        order: firmware.FirmwareOrder | None,
        done: Callable[[str | None], None],
    ) -> None:
        name = route.name
        try:
            infos = await route.firmware()
            if order is not None:
                targets = [
                    info
                    for info in infos
                    if info.available and order.module in (None, info.module_type)
                ]
                if not targets:
                    self._publish_firmware(route, infos)
                    which = "" if order.module is None else f" for module {order.module}"
                    done(f"{name}: no firmware upgrade is available{which}")
                    return
                for info in targets:
                    await route.upgrade(info.module_type)
                    self._log(
                        "info",
                        f"firmware upgrade started: {firmware.module_name(info.module_type)} "
                        f"{info.current_version or '?'} -> {info.upgrade_version or '?'}",
                        device=name,
                    )
                infos = await route.firmware()
        except RouteError as exc:
            done(str(exc))
            return
        self._publish_firmware(route, infos)
        done(None)

    def _publish_firmware(self, route: CloudRoute, infos: list[UpgradeInfo]) -> None:
        topic = firmware.state_topic(self.topics.base, route.name)
        document = firmware.firmware_document(infos, datetime.now(UTC))
        self.bridge.publish(topic, encode_json(document), retain=True, qos=1)
        published = self._published.get(route.device_id, ())
        if topic not in published:
            self._published[route.device_id] = tuple(sorted((*published, topic)))
            self._save_published()
