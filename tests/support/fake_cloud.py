"""A local fake of the Tuya cloud OpenAPI, over real HTTP on a loopback address.

It checks every request's signature as Tuya does (1004 when wrong), issues tokens that
expire, keeps devices whose status follows the commands sent to them, serves the
endpoints `setsmart.cloud.CloudClient` uses, and injects faults on demand. It records
every call so tests can count them.

    async with FakeCloud() as cloud:
        cloud.add_device(FakeDevice.plug("bf00000000000000aaaa", "0123456789abcdef"))
        client = CloudClient(cloud.client_id, cloud.secret, "eu", endpoint=cloud.base_url)

Design rules: one asyncio server in the caller's event loop; every connection, request
and wait is bounded; `stop()` closes every connection it opened. It uses the pure signer
of `setsmart.cloud.signing` (checked against Tuya's published vectors) to verify.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import ipaddress
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from setsmart.cloud.signing import path_with_query, verify_request

__all__ = [
    "DEFAULT_USER_UID",
    "FakeCloud",
    "FakeDevice",
    "FakeDp",
    "FakeFirmware",
    "Fault",
    "RecordedCall",
]

DEFAULT_USER_UID = "az1700000000000fake1"
_MAX_LINE = 8192
_MAX_HEADERS = 100
_MAX_BODY = 1 << 20
_MAX_REQUESTS_PER_CONNECTION = 10_000
_IDLE_TIMEOUT_S = 30.0

_MESSAGES = {
    1004: "sign invalid",
    1005: "clientId invalid",
    1010: "token invalid",
    1011: "token invalid",
    1013: "request time is invalid",
    1106: "permission deny",
    1108: "uri path invalid",
    1109: "param is illegal ,please check it",
    1110: "concurrent request over limit",
    1111: "system busy",
    1199: "too frequent request",
    2001: "device is offline",
    2008: "command or value not support",
    28841002: "No permissions. Your subscription to cloud development plan has expired.",
    28841004: "No permissions. This project is not authorized to call this API.",
}


class Fault(enum.Enum):
    """A failure the fake cloud can be told to answer with."""

    TOKEN_EXPIRED = 1010
    TOKEN_INVALID = 1011
    SIGN_INVALID = 1004
    PERMISSION_DENY = 1106
    CONCURRENT_LIMIT = 1110
    SYSTEM_BUSY = 1111
    TOO_FREQUENT = 1199
    PLAN_EXPIRED = 28841002
    QUOTA_USED_UP = 28841004
    HTTP_429 = "http-429"
    HTTP_500 = "http-500"
    HTML = "html"
    NOT_JSON = "not-json"
    MISSING_FIELDS = "missing-fields"
    EMPTY_RESULT = "empty-result"
    SLOW = "slow"
    RAW = "raw"
    DROP = "drop"


@dataclass
class _Injection:
    fault: Fault | int
    remaining: int
    path: str | None
    delay: float
    msg: str | None
    status: int
    body: bytes

    def matches(self, path: str) -> bool:
        return self.remaining > 0 and (self.path is None or self.path in path)


#: The thing model's names of the specification's types.
_MODEL_TYPES = {"Boolean": "bool", "Integer": "value", "Enum": "enum", "String": "string"}


@dataclass
class FakeDp:
    """One data point: its code, DP id, Tuya type and `values` (range, min/max...)."""

    code: str
    dp_id: int
    type: str
    values: dict[str, Any] = field(default_factory=dict)
    writable: bool = True

    def accepts(self, value: object) -> bool:
        """Whether a command may set this DP to `value` (as Tuya checks it)."""
        if self.type == "Boolean":
            return isinstance(value, bool)
        if self.type == "Integer":
            if not isinstance(value, int) or isinstance(value, bool):
                return False
            low, high = self.values.get("min"), self.values.get("max")
            return (low is None or value >= low) and (high is None or value <= high)
        if self.type == "Enum":
            return value in self.values.get("range", [])
        if self.type in ("String", "Json"):
            return isinstance(value, str)
        return True

    def spec(self) -> dict[str, Any]:
        """As the specifications endpoint lists it (`values` as a JSON string)."""
        return {
            "code": self.code,
            "dp_id": self.dp_id,
            "type": self.type,
            "values": json.dumps(self.values),
        }

    def model_property(self) -> dict[str, Any]:
        """As the thing model lists it (`typeSpec` with the values inline)."""
        kind = _MODEL_TYPES.get(self.type, self.type.lower())
        return {
            "abilityId": self.dp_id,
            "code": self.code,
            "accessMode": "rw" if self.writable else "ro",
            "name": self.code,
            "description": "",
            "typeSpec": {"type": kind, **self.values},
        }


@dataclass
class FakeFirmware:
    """One firmware module: 0 Wi-Fi, 9 MCU. upgrade_status 0 none, 1 ready, 2 upgrading,
    3 done, 4 failed."""

    module_type: int
    current_version: str
    upgrade_version: str = ""
    upgrade_status: int = 0
    module_desc: str = ""

    def info(self) -> dict[str, Any]:
        """As the upgrade-infos endpoint lists it."""
        return {
            "module_type": self.module_type,
            "current_version": self.current_version,
            "upgrade_version": self.upgrade_version,
            "upgrade_status": self.upgrade_status,
            "module_desc": self.module_desc,
            "upgrade_desc": "",
            "last_upgrade_time": 0,
        }


@dataclass
class FakeDevice:
    """A device as the fake cloud holds it; `status` maps DP codes to values."""

    id: str
    local_key: str = field(repr=False)
    name: str = ""
    category: str = "cz"
    product_id: str = "fakeproduct00001"
    product_name: str = "Fake device"
    ip: str = "127.0.0.1"
    online: bool = True
    uid: str = DEFAULT_USER_UID
    dps: list[FakeDp] = field(default_factory=list)
    status: dict[str, Any] = field(default_factory=dict)
    firmware: list[FakeFirmware] = field(default_factory=list)
    #: a sub-device behind a gateway (PROTOCOL.md, "Gateways and sub-devices"): its
    #: key is the gateway's, and `gateway_id` is not always in the cloud's record
    sub: bool = False
    node_id: str = ""
    gateway_id: str = ""

    @classmethod
    def plug(cls, device_id: str, local_key: str, name: str = "plug", **kwargs: Any) -> Self:
        """A metering plug: switch_1 (1), countdown_1 (9), add_ele (17), cur_current (18),
        cur_power (19), cur_voltage (20)."""
        dps = [
            FakeDp("switch_1", 1, "Boolean"),
            FakeDp("countdown_1", 9, "Integer", {"unit": "s", "min": 0, "max": 86400, "step": 1}),
            FakeDp("add_ele", 17, "Integer", {"min": 0, "max": 50000, "scale": 3}, False),
            FakeDp("cur_current", 18, "Integer", {"unit": "mA", "min": 0, "max": 30000}, False),
            FakeDp(
                "cur_power", 19, "Integer", {"unit": "W", "min": 0, "max": 50000, "scale": 1}, False
            ),
            FakeDp(
                "cur_voltage",
                20,
                "Integer",
                {"unit": "V", "min": 0, "max": 5000, "scale": 1},
                False,
            ),
        ]
        status = {
            "switch_1": False,
            "countdown_1": 0,
            "add_ele": 0,
            "cur_current": 0,
            "cur_power": 0,
            "cur_voltage": 2300,
        }
        firmware = [FakeFirmware(0, "1.1.5", module_desc="Wi-Fi module")]
        return cls(
            device_id,
            local_key,
            name,
            category="cz",
            dps=dps,
            status=status,
            firmware=firmware,
            **kwargs,
        )

    @classmethod
    def bulb(cls, device_id: str, local_key: str, name: str = "bulb", **kwargs: Any) -> Self:
        """A v2 colour bulb: switch_led (20), work_mode (21), bright_value_v2 (22),
        temp_value_v2 (23), colour_data_v2 (24)."""
        dps = [
            FakeDp("switch_led", 20, "Boolean"),
            FakeDp("work_mode", 21, "Enum", {"range": ["white", "colour", "scene", "music"]}),
            FakeDp("bright_value_v2", 22, "Integer", {"min": 10, "max": 1000, "step": 1}),
            FakeDp("temp_value_v2", 23, "Integer", {"min": 0, "max": 1000, "step": 1}),
            FakeDp("colour_data_v2", 24, "Json", {}),
        ]
        status = {
            "switch_led": False,
            "work_mode": "white",
            "bright_value_v2": 1000,
            "temp_value_v2": 500,
            "colour_data_v2": "000003e803e8",
        }
        firmware = [FakeFirmware(0, "1.0.0", module_desc="Wi-Fi module")]
        return cls(
            device_id,
            local_key,
            name,
            category="dj",
            dps=dps,
            status=status,
            firmware=firmware,
            **kwargs,
        )

    def dp(self, code: str) -> FakeDp | None:
        """The DP with this code, if the device has it."""
        return next((dp for dp in self.dps if dp.code == code), None)

    def detail(self) -> dict[str, Any]:
        """As `GET /v1.0/devices/{id}` answers."""
        record: dict[str, Any] = {
            "id": self.id,
            "uuid": self.id,
            "name": self.name,
            "local_key": self.local_key,
            "uid": self.uid,
            "owner_id": "fakehome",
            "ip": self.ip,
            "category": self.category,
            "product_id": self.product_id,
            "product_name": self.product_name,
            "online": self.online,
            "sub": self.sub,
            "time_zone": "+00:00",
            "status": self.status_list(),
        }
        if self.node_id:
            record["node_id"] = self.node_id
        if self.gateway_id:
            record["gateway_id"] = self.gateway_id
        return record

    def status_list(self) -> list[dict[str, Any]]:
        """`[{"code", "value"}]`."""
        return [{"code": code, "value": value} for code, value in self.status.items()]


@dataclass(frozen=True)
class RecordedCall:
    """One request the fake cloud received and what it answered."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    http_status: int
    code: int | None
    signed_ok: bool


@dataclass
class _Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    keep_alive: bool


@dataclass
class _Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    drop: bool = False  # close the connection without answering


class _BadRequestError(Exception):
    pass


_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("GET", re.compile(r"/v1\.0/iot-03/devices/([^/]+)/status"), "_status"),
    ("POST", re.compile(r"/v1\.0/iot-03/devices/([^/]+)/commands"), "_commands"),
    ("GET", re.compile(r"/v1\.1/devices/([^/]+)/specifications"), "_specifications"),
    ("GET", re.compile(r"/v1\.0/iot-03/devices/([^/]+)/specification"), "_iot_specification"),
    ("GET", re.compile(r"/v2\.0/cloud/thing/([^/]+)/model"), "_thing_model"),
    ("GET", re.compile(r"/v2\.0/cloud/thing/([^/]+)/shadow/properties"), "_shadow"),
    ("GET", re.compile(r"/v1\.0/devices/([^/]+)"), "_detail"),
    ("GET", re.compile(r"/v1\.0/users/([^/]+)/devices"), "_user_devices"),
    ("GET", re.compile(r"/v1\.0/iot-03/devices/([^/]+)/upgrade-infos"), "_upgrade_infos"),
    ("POST", re.compile(r"/v1\.0/iot-03/devices/([^/]+)/confirm-upgrade"), "_confirm_upgrade"),
]


class _TuyaError(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class FakeCloud:
    """A fake Tuya cloud project (one Access ID and Secret) serving HTTP on loopback."""

    def __init__(
        self,
        *,
        client_id: str = "fakecloudclientid001",
        secret: str = "fakecloudsecret0000000000000000x",  # noqa: S107 - a test fixture value
        host: str = "127.0.0.1",
        port: int = 0,
        token_ttl_s: int = 7200,
        now_ms: Callable[[], int] | None = None,
        max_clock_skew_ms: int = 15 * 60 * 1000,
        project_uid: str = "fakeprojectuid000001",
    ) -> None:
        if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"the fake cloud serves loopback addresses only, not {host!r}")
        self.client_id = client_id
        self.secret = secret
        self.token_ttl_s = token_ttl_s
        self.project_uid = project_uid
        self.max_clock_skew_ms = max_clock_skew_ms
        self.calls: list[RecordedCall] = []
        self._host = host
        self._port = port
        self.now_ms = now_ms or (lambda: time.time_ns() // 1_000_000)
        self._devices: dict[str, FakeDevice] = {}
        self._tokens: dict[str, int] = {}
        self.issued_tokens: list[str] = []
        self._faults: list[_Injection] = []
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        return f"FakeCloud(base_url={self.base_url!r}, devices={len(self._devices)})"

    # -- lifecycle ------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>` once started."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._port}"

    async def start(self) -> None:
        """Listen on the loopback address (a free port unless one was given)."""
        self._server = await asyncio.start_server(
            self._serve_connection, self._host, self._port, limit=_MAX_LINE * 4
        )
        self._port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Close the listener and every open connection."""
        if self._server is None:
            return
        self._server.close()
        tasks = list(self._connections)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- hooks for tests ------------------------------------------------------------

    def add_device(self, device: FakeDevice) -> FakeDevice:
        """Register (or replace) a device."""
        self._devices[device.id] = device
        return device

    def device(self, device_id: str) -> FakeDevice:
        """A registered device (KeyError when unknown)."""
        return self._devices[device_id]

    @property
    def devices(self) -> list[FakeDevice]:
        """Every registered device."""
        return list(self._devices.values())

    def set_local_key(self, device_id: str, local_key: str) -> None:
        """As after a re-pairing."""
        self._devices[device_id].local_key = local_key

    def set_status(self, device_id: str, code: str, value: Any) -> None:
        """As when the device reports a change."""
        self._devices[device_id].status[code] = value

    def set_online(self, device_id: str, online: bool) -> None:
        """Mark the device online or offline."""
        self._devices[device_id].online = online

    def finish_upgrade(self, device_id: str, *, ok: bool = True) -> None:
        """Complete every running upgrade of the device (status 3, or 4 when not ok)."""
        for module in self._devices[device_id].firmware:
            if module.upgrade_status == 2:
                module.upgrade_status = 3 if ok else 4
                if ok:
                    module.current_version = module.upgrade_version

    def inject(
        self,
        fault: Fault | int,
        *,
        times: int = 1,
        path: str | None = None,
        delay: float = 0.0,
        msg: str | None = None,
        status: int = 200,
        body: bytes = b"",
    ) -> None:
        """Answer the next `times` requests whose path contains `path` (any when None)
        with `fault`: a `Fault`, or any Tuya error code (with `msg` instead of the usual
        message). `Fault.SLOW` waits `delay` seconds, then answers normally; `Fault.RAW`
        answers `body` as JSON with HTTP `status`; `Fault.DROP` closes the connection
        without an answer (recorded with HTTP status 0)."""
        self._faults.append(_Injection(fault, times, path, delay, msg, status, body))

    def clear_faults(self) -> None:
        """Forget every pending fault."""
        self._faults.clear()

    def expire_tokens(self) -> None:
        """Make every issued token expired (1010 from now on)."""
        now = self.now_ms()
        for token in self._tokens:
            self._tokens[token] = now

    def revoke_tokens(self) -> None:
        """Forget every issued token (1011 from now on)."""
        self._tokens.clear()

    def count(self, path: str | None = None, method: str | None = None) -> int:
        """Calls received whose path contains `path` and whose method is `method`."""
        return sum(
            1
            for call in self.calls
            if (path is None or path in call.path) and (method is None or call.method == method)
        )

    # -- HTTP -----------------------------------------------------------------------

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            for _ in range(_MAX_REQUESTS_PER_CONNECTION):
                async with asyncio.timeout(_IDLE_TIMEOUT_S):
                    request = await _read_request(reader)
                if request is None:
                    break
                response = await self._handle(request)
                if response.drop:
                    break
                writer.write(_encode_response(response, request.keep_alive))
                await writer.drain()
                if not request.keep_alive:
                    break
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError, _BadRequestError):
            pass
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _handle(self, request: _Request) -> _Response:
        parts = urlsplit(request.target)
        path = parts.path
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        body: Any = None
        if request.body:
            try:
                body = json.loads(request.body)
            except ValueError:
                body = request.body.decode("utf-8", "replace")
        signed_ok = verify_request(
            secret=self.secret,
            method=request.method,
            path_with_query=path_with_query(path, query),
            body=request.body,
            headers=request.headers,
        )
        response, code = await self._answer(request, path, query, body, signed_ok)
        self.calls.append(
            RecordedCall(request.method, path, query, body, response.status, code, signed_ok)
        )
        return response

    async def _answer(
        self,
        request: _Request,
        path: str,
        query: dict[str, str],
        body: Any,
        signed_ok: bool,
    ) -> tuple[_Response, int | None]:
        fault = self._take_fault(path)
        if fault is not None:
            if fault.fault is Fault.SLOW:
                await asyncio.sleep(fault.delay)
            else:
                return self._fault_response(fault)
        try:
            self._authenticate(request, path, signed_ok)
            result = self._route(request.method, path, query, body)
        except _TuyaError as exc:
            return self._error(exc.code), exc.code
        return self._envelope({"success": True, "result": result}), None

    def _take_fault(self, path: str) -> _Injection | None:
        for injection in self._faults:
            if injection.matches(path):
                injection.remaining -= 1
                if injection.remaining == 0:
                    self._faults.remove(injection)
                return injection
        return None

    def _fault_response(self, injection: _Injection) -> tuple[_Response, int | None]:
        fault = injection.fault
        code = fault if isinstance(fault, int) else fault.value
        if isinstance(code, int):
            return self._error(code, injection.msg), code
        if fault is Fault.RAW:
            return _Response(injection.status, injection.body), None
        if fault is Fault.DROP:
            return _Response(0, b"", drop=True), None
        if fault is Fault.HTTP_429:
            return _Response(429, b'{"msg":"too many requests"}'), None
        if fault is Fault.HTTP_500:
            return _Response(500, b"Internal Server Error", "text/plain"), None
        if fault is Fault.HTML:
            page = b"<html><head><title>Gateway</title></head><body><h1>Oops</h1></body></html>"
            return _Response(200, page, "text/html"), None
        if fault is Fault.NOT_JSON:
            return _Response(200, b"upstream connect error or disconnect/reset", "text/plain"), None
        if fault is Fault.MISSING_FIELDS:
            return self._envelope({}), None
        return self._envelope({"success": True, "result": {}}), None  # EMPTY_RESULT

    def _envelope(self, fields: dict[str, Any]) -> _Response:
        document = {**fields, "t": self.now_ms(), "tid": secrets.token_hex(16)}
        return _Response(200, json.dumps(document).encode())

    def _error(self, code: int, msg: str | None = None) -> _Response:
        msg = _MESSAGES.get(code, "error") if msg is None else msg
        return self._envelope({"success": False, "code": code, "msg": msg})

    def _authenticate(self, request: _Request, path: str, signed_ok: bool) -> None:
        headers = request.headers
        if headers.get("client_id") != self.client_id:
            raise _TuyaError(1005)
        if not signed_ok:
            raise _TuyaError(1004)
        if abs(int(headers["t"]) - self.now_ms()) > self.max_clock_skew_ms:
            raise _TuyaError(1013)
        if path == "/v1.0/token":
            return
        expires_at = self._tokens.get(headers.get("access_token", ""))
        if expires_at is None:
            raise _TuyaError(1011)
        if self.now_ms() >= expires_at:
            raise _TuyaError(1010)

    # -- endpoints ------------------------------------------------------------------

    def _route(self, method: str, path: str, query: dict[str, str], body: Any) -> Any:
        if path == "/v1.0/token" and method == "GET":
            return self._token(query)
        for route_method, pattern, handler in _ROUTES:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                return getattr(self, handler)(match.group(1), body)
        raise _TuyaError(1108)

    def _token(self, query: dict[str, str]) -> dict[str, Any]:
        if query.get("grant_type") != "1":
            raise _TuyaError(1109)
        token = secrets.token_hex(16)
        self._tokens[token] = self.now_ms() + self.token_ttl_s * 1000
        self.issued_tokens.append(token)
        return {
            "access_token": token,
            "refresh_token": secrets.token_hex(16),
            "expire_time": self.token_ttl_s,
            "uid": self.project_uid,
        }

    def _known(self, device_id: str) -> FakeDevice:
        device = self._devices.get(device_id)
        if device is None:
            raise _TuyaError(1106)
        return device

    def _status(self, device_id: str, _body: Any) -> list[dict[str, Any]]:
        return self._known(device_id).status_list()

    def _commands(self, device_id: str, body: Any) -> bool:
        device = self._known(device_id)
        commands = body.get("commands") if isinstance(body, dict) else None
        if not isinstance(commands, list) or not commands:
            raise _TuyaError(1109)
        changes: dict[str, Any] = {}
        for command in commands:
            if not isinstance(command, dict) or "value" not in command:
                raise _TuyaError(1109)
            dp = device.dp(str(command.get("code")))
            if dp is None or not dp.writable or not dp.accepts(command["value"]):
                raise _TuyaError(2008)
            changes[dp.code] = command["value"]
        if not device.online:
            raise _TuyaError(2001)
        device.status.update(changes)
        return True

    def _specifications(self, device_id: str, _body: Any) -> dict[str, Any]:
        device = self._known(device_id)
        return {
            "category": device.category,
            "functions": [dp.spec() for dp in device.dps if dp.writable],
            "status": [dp.spec() for dp in device.dps],
        }

    def _iot_specification(self, device_id: str, _body: Any) -> dict[str, Any]:
        # This one names no DP ids (the LAN cannot use it without another call).
        spec = self._specifications(device_id, _body)
        for key in ("functions", "status"):
            spec[key] = [{k: v for k, v in dp.items() if k != "dp_id"} for dp in spec[key]]
        return spec

    def _thing_model(self, device_id: str, _body: Any) -> dict[str, Any]:
        device = self._known(device_id)
        service = {"code": "", "name": "", "properties": [dp.model_property() for dp in device.dps]}
        model = {"modelId": device.product_id, "services": [service]}
        return {"model": json.dumps(model)}

    def _shadow(self, device_id: str, _body: Any) -> dict[str, Any]:
        device = self._known(device_id)
        properties = [
            {
                "code": dp.code,
                "dp_id": dp.dp_id,
                "type": _MODEL_TYPES.get(dp.type, dp.type.lower()),
                "value": device.status.get(dp.code),
                "time": self.now_ms(),
            }
            for dp in device.dps
        ]
        return {"properties": properties}

    def _detail(self, device_id: str, _body: Any) -> dict[str, Any]:
        return self._known(device_id).detail()

    def _user_devices(self, uid: str, _body: Any) -> list[dict[str, Any]]:
        devices = [device.detail() for device in self._devices.values() if device.uid == uid]
        if not devices:
            raise _TuyaError(1106)
        return devices

    def _upgrade_infos(self, device_id: str, _body: Any) -> list[dict[str, Any]]:
        return [module.info() for module in self._known(device_id).firmware]

    def _confirm_upgrade(self, device_id: str, body: Any) -> bool:
        device = self._known(device_id)
        module_type = body.get("module_type") if isinstance(body, dict) else None
        for module in device.firmware:
            if module.module_type == module_type and module.upgrade_status == 1:
                module.upgrade_status = 2
                return True
        raise _TuyaError(1109)


async def _read_request(reader: asyncio.StreamReader) -> _Request | None:
    """One HTTP/1.1 request, or None when the peer closed the connection between requests."""
    line = await reader.readline()
    if not line:
        return None
    try:
        method, target, version = line.decode("latin-1").split()
    except ValueError:
        raise _BadRequestError from None
    headers: dict[str, str] = {}
    for _ in range(_MAX_HEADERS):
        raw = await reader.readline()
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    else:
        raise _BadRequestError
    length_text = headers.get("content-length", "0") or "0"
    if not (length_text.isascii() and length_text.isdigit()):
        raise _BadRequestError
    length = int(length_text)
    if length > _MAX_BODY:
        raise _BadRequestError
    body = await reader.readexactly(length) if length else b""
    connection = headers.get("connection", "").lower()
    keep_alive = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
    return _Request(method.upper(), target, headers, body, keep_alive)


def _encode_response(response: _Response, keep_alive: bool) -> bytes:
    reason = {200: "OK", 429: "Too Many Requests", 500: "Internal Server Error"}
    head = (
        f"HTTP/1.1 {response.status} {reason.get(response.status, 'Error')}\r\n"
        f"Content-Type: {response.content_type}\r\n"
        f"Content-Length: {len(response.body)}\r\n"
        f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n"
    )
    return head.encode("latin-1") + response.body
