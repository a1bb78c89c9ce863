"""The operations of the running daemon, once: what the MQTT bridge requests, the HTTP
API and the CLI call (DESIGN.md: one operation, one function).

Each is an async method that returns JSON-ready data or raises an `OperationError`
(`setsmart.operation_errors`) whose type says why, so HTTP answers 400, 404, 503 or 504
and MQTT answers `{"status": "error", "error"}` with the same line.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Final

from setsmart import __version__
from setsmart.config import ConfigError, load_config
from setsmart.daemon import firmware
from setsmart.daemon.commands import (
    CommandError,
    DeviceOffline,
    InvalidCommand,
    NoAnswer,
    NoSuchDevice,
)
from setsmart.daemon.events import EventHub, Listener
from setsmart.daemon.firmware_request import firmware_request
from setsmart.daemon.history import HistoryRecorder, HistoryUnavailable
from setsmart.daemon.runtime import RouteError
from setsmart.devices.capabilities import capabilities
from setsmart.history import HistoryError, Point, open_database, unit_of
from setsmart.lan.discovery import Sighting
from setsmart.mqtt.payloads import CommandPayloadError, decode_set_payload
from setsmart.operation_errors import (
    BadRequest,
    NotFound,
    OperationError,
    TimedOut,
    Unavailable,
)

if TYPE_CHECKING:
    from setsmart.daemon.runtime import DeviceRuntime
    from setsmart.daemon.supervisor import Supervisor

__all__ = [
    "BRIDGE_OPS",
    "Operations",
    "history_document",
    "parse_time",
    "read_history",
    "scan_rows",
]

#: The bridge requests (CONTRACT.md "Bridge requests"), as `B/bridge/request/<op>`.
BRIDGE_OPS: Final = (
    "health_check",
    "devices",
    "scan",
    "reload",
    "firmware/check",
    "firmware/upgrade",
)
_DEFAULT_SPAN: Final = timedelta(hours=24)
_LOG_MAX: Final = 200

_COMMAND_ERRORS: Final[Mapping[type[CommandError], type[OperationError]]] = {
    InvalidCommand: BadRequest,
    NoSuchDevice: NotFound,
    DeviceOffline: Unavailable,
    NoAnswer: TimedOut,
}


def as_operation_error(error: CommandError) -> OperationError:
    """A device command's error as the operation error of the same cause."""
    kind = next((v for k, v in _COMMAND_ERRORS.items() if isinstance(error, k)), Unavailable)
    return kind(str(error))


def parse_time(text: str | None, default: datetime) -> datetime:
    """An ISO 8601 time (UTC when it names no zone), or `default` when absent."""
    if text is None or text == "":
        return default
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{text[:40]!r} is not an ISO 8601 time") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def history_document(key: str, points: Iterable[Point]) -> dict[str, object]:
    """`{"key", "unit", "points": [{"t": ISO 8601, "v"}]}`: the API's history answer."""
    return {
        "key": key,
        "unit": unit_of(key),
        "points": [{"t": _iso(p.t), "v": p.v} for p in points],
    }


def read_history(
    directory: Path, device: str, key: str, since: float, until: float
) -> dict[str, object]:
    """The history document read from the file in `directory` (the CLI, daemon or not:
    SQLite in WAL mode lets a reader in beside the daemon's writer)."""
    try:
        db, _ = open_database(directory)
    except HistoryError as exc:
        raise Unavailable(str(exc)) from None
    try:
        return history_document(key, db.points(device, key, since, until))
    finally:
        db.close()


def scan_rows(
    sightings: Iterable[Sighting], names: Mapping[str, str]
) -> list[dict[str, str | None]]:
    """Devices heard on the LAN as `setsmart scan --json` prints them."""
    return [
        {
            "id": s.beacon.device_id,
            "ip": s.beacon.ip,
            "version": s.beacon.version,
            "product_key": s.beacon.product_key,
            "name": names.get(s.beacon.device_id),
        }
        for s in sightings
    ]


class Operations:
    """The daemon's operations over one supervisor (see the module docstring)."""

    def __init__(
        self,
        supervisor: Supervisor,
        hub: EventHub,
        history: HistoryRecorder | None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._supervisor = supervisor
        self.hub = hub
        self._history = history
        self._monotonic = monotonic
        self._started = monotonic()

    def listen(self) -> AbstractContextManager[Listener]:
        """Live events (see `events`), for the HTTP event stream."""
        return self.hub.listen()

    # Devices ----------------------------------------------------------------------------

    def _runtime(self, name: str) -> DeviceRuntime:
        runtime = self._supervisor.device(name)
        if runtime is None:
            raise NotFound(f"no device named {name!r} is configured")
        return runtime

    def _entry(self, runtime: DeviceRuntime) -> dict[str, object]:
        config, link = runtime.config, runtime.link
        return {
            "name": config.name,
            "id": config.id,
            "type": str(runtime.profile.type) if runtime.profile else config.type,
            "connection": runtime.connection,
            "host": link.host if link else config.host,
            "version": link.version if link else config.version,
            "available": runtime.online,
            "state": self.hub.states.get(config.name),
            "capabilities": capabilities(runtime.profile) if runtime.profile else {},
        }

    async def health(self) -> dict[str, object]:
        runtimes = [self._runtime(name) for name in self._supervisor.devices]
        return {
            "status": "ok",
            "mqtt": "connected" if self._supervisor.bridge.connected.is_set() else "disconnected",
            "devices": {"online": sum(r.online for r in runtimes), "total": len(runtimes)},
            "version": __version__,
            "uptime_s": round(self._monotonic() - self._started, 1),
            # A count that only grows under a steady load is a leak (bench/soak.py reads it).
            "tasks": len(asyncio.all_tasks()),
        }

    async def devices(self) -> list[dict[str, object]]:
        return [self._entry(self._runtime(name)) for name in self._supervisor.devices]

    async def device(self, name: str) -> dict[str, object]:
        return self._entry(self._runtime(name))

    async def set(self, name: str, raw: bytes) -> dict[str, object]:
        """Carry out a `/set` payload (bytes as on MQTT); the state once confirmed.
        A refusal is also a line on `bridge/log`, as for an MQTT command."""
        runtime = self._runtime(name)
        try:
            try:
                payload = decode_set_payload(raw)
            except CommandPayloadError as exc:
                raise BadRequest(f"{name}: {exc}") from None
            await self._request(runtime, "set", payload)
        except OperationError as exc:
            self._supervisor.log_line("error", str(exc), device=name)
            raise
        return {"status": "ok", "state": self.hub.states.get(name)}

    async def get(self, name: str) -> dict[str, object]:
        """Read the device now; its state."""
        runtime = self._runtime(name)
        try:
            await self._request(runtime, "get", None)
        except OperationError as exc:
            self._supervisor.log_line("error", str(exc), device=name)
            raise
        return {"status": "ok", "state": self.hub.states.get(name)}

    async def _request(self, runtime: DeviceRuntime, kind: str, payload: object) -> None:
        try:
            if kind == "set":
                await runtime.request("set", payload)
            else:
                await runtime.request("get")
        except CommandError as exc:
            raise as_operation_error(exc) from None

    # The bridge -------------------------------------------------------------------------

    async def scan(self) -> list[dict[str, str | None]]:
        names = {d.id: d.name for d in self._supervisor.config.devices}
        return scan_rows(self._supervisor.heard.values(), names)

    async def reload(self) -> None:
        source = self._supervisor.config.source
        if source is None:
            raise BadRequest("the configuration was not read from a file: nothing to reload")
        try:
            config = load_config(source)
        except ConfigError as exc:
            raise BadRequest(f"reload refused, the running configuration stays: {exc}") from None
        self._supervisor.reload(config)

    async def firmware_check(self, device: str | None) -> list[dict[str, object]]:
        names = list(self._supervisor.devices) if device is None else [device]
        return [await self.firmware(name, None) for name in names]

    async def firmware_upgrade(
        self, devices: list[str] | None, product_key: str | None = None
    ) -> list[dict[str, object]]:
        """Upgrade `devices` (None: all), those of `product_key` only when given, one at a
        time."""
        names = list(self._supervisor.devices) if devices is None else devices
        for name in names:
            self._runtime(name)
        if product_key is not None:
            names = [name for name in names if await self._product_key(name) == product_key]
            if not names:
                raise BadRequest(f"firmware/upgrade: no such device is of product {product_key!r}")
        return [await self.firmware(name, firmware.FirmwareOrder()) for name in names]

    async def _product_key(self, name: str) -> str | None:
        """The product key the device announced, else the one the cloud knows (None: neither)."""
        runtime = self._runtime(name)
        if runtime.profile_source.product_key:
            return runtime.profile_source.product_key
        route = self._supervisor.account.route(runtime.config)
        if route is None:
            return None
        try:
            return await route.product_key()
        except RouteError as exc:
            raise Unavailable(str(exc)) from None

    async def firmware(self, name: str, order: firmware.FirmwareOrder | None) -> dict[str, object]:
        """Read the device's firmware versions from the cloud (`order`: and start an
        upgrade), publish them, and return them as the firmware document."""
        runtime = self._runtime(name)
        route = self._supervisor.account.route(runtime.config)
        if route is None:
            raise Unavailable(
                f"{name}: firmware versions come from the Tuya cloud, and no cloud is configured"
            )

        def started(line: str) -> None:
            self._supervisor.log_line("info", line, device=name)

        outcome = await firmware_request(route, order, started)
        document = None
        if outcome.infos is not None:
            document = self._supervisor.announce.firmware(name, route.device_id, outcome.infos)
        if outcome.error is not None:
            raise Unavailable(outcome.error)
        assert document is not None  # noqa: S101 (no error: the cloud answered)
        return {"device": name, **document}

    async def bridge_request(self, op: str, body: object) -> object:
        """A bridge request's data (CONTRACT.md "Bridge requests"); `body` is its JSON."""
        if not isinstance(body, dict):
            raise BadRequest(f"bridge/request/{op}: the request must be a JSON object")
        if op == "health_check":
            return {"healthy": True, **(await self.health())}
        if op == "devices":
            return await self.devices()
        if op == "scan":
            return await self.scan()
        if op == "reload":
            await self.reload()
            return None
        if op == "firmware/check":
            device = body.get("device")
            if device is not None and not isinstance(device, str):
                raise BadRequest("firmware/check: 'device' must be a device name")
            return await self.firmware_check(device)
        if op == "firmware/upgrade":
            product_key = body.get("product_key")
            if product_key is not None and not isinstance(product_key, str):
                raise BadRequest("firmware/upgrade: 'product_key' must be a product key")
            return await self.firmware_upgrade(_device_list(body.get("devices")), product_key)
        raise NotFound(f"no bridge request {op!r}; one of {', '.join(BRIDGE_OPS)}")

    async def log(self, limit: int) -> list[dict[str, object]]:
        if not 0 <= limit <= _LOG_MAX:
            raise BadRequest(f"limit must be from 0 to {_LOG_MAX}, got {limit}")
        return self.hub.log(limit)

    # History ----------------------------------------------------------------------------

    def _recorder(self) -> HistoryRecorder:
        if self._history is None:
            raise Unavailable("history is off")
        return self._history

    async def history(
        self, name: str, key: str, since: str | None, until: str | None
    ) -> dict[str, object]:
        self._runtime(name)
        start, end = _span(since, until)
        try:
            points = await self._recorder().points(name, key, start, end)
        except HistoryUnavailable as exc:
            raise Unavailable(str(exc)) from None
        return {
            "key": key,
            "unit": unit_of(key),
            "points": [{"t": _iso(p.t), "v": p.v} for p in points],
        }

    async def energy(
        self, name: str, resolution: str, since: str | None, until: str | None
    ) -> dict[str, object]:
        self._runtime(name)
        if resolution not in ("hour", "day"):
            raise BadRequest(f"resolution must be hour or day, got {resolution[:20]!r}")
        start, end = _span(since, until)
        try:
            points = await self._recorder().energy(
                name, "day" if resolution == "day" else "hour", start, end
            )
        except HistoryUnavailable as exc:
            raise Unavailable(str(exc)) from None
        return {"unit": "kWh", "points": [{"t": _iso(p.t), "kwh": p.v} for p in points]}


def _span(since: str | None, until: str | None) -> tuple[float, float]:
    now = datetime.now(UTC)
    end = parse_time(until, now)
    start = parse_time(since, end - _DEFAULT_SPAN)
    if start > end:
        raise BadRequest("'from' is later than 'to'")
    return start.timestamp(), end.timestamp()


def _device_list(value: object) -> list[str] | None:
    if value == "all":
        return None
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return [str(v) for v in value]
    raise BadRequest("firmware/upgrade: 'devices' must be a list of device names, or \"all\"")


def decode_request(raw: bytes) -> object:
    """A bridge request's payload: empty means `{}`."""
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the request is not JSON") from None
