"""An async Tuya cloud OpenAPI client on httpx.

Design rules:
- One `_send_once` per HTTP request; every request is signed afresh and counted.
- The access token is fetched lazily, renewed before it expires, and fetched anew once
  when the cloud says it expired or is invalid (1010/1011); the request is then retried once.
- Busy answers (1110/1111/1199, HTTP 429/5xx) and failed connections are retried with
  capped exponential backoff and full jitter, a bounded number of times (Tuya commands
  set values, so a repeated one does no harm); timeouts and other refusals are not retried.
- Time and sleeping come from injected callables, so tests drive them.
- The secret and tokens live in private attributes, are scrubbed from every message and
  never appear in `repr`.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote, urlsplit

import httpx

from setsmart.cloud import errors, models, signing
from setsmart.cloud.errors import (
    CloudBusyError,
    CloudConfigError,
    CloudProtocolError,
    CloudTimeout,
    CloudTokenError,
    CloudUnreachableError,
)
from setsmart.cloud.models import (
    MONTHLY_CALL_LIMIT,
    CallBudget,
    CloudDevice,
    DpCodeMap,
    Specification,
    Token,
    UpgradeInfo,
)
from setsmart.cloud.regions import base_url

__all__ = ["MONTHLY_CALL_LIMIT", "CloudClient"]

TOKEN_PATH = "/v1.0/token"  # noqa: S105 - a URL path, not a password
_RENEW_MARGIN_MS = 5 * 60 * 1000


def _wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


def _month_of(t_ms: int) -> str:
    tm = time.gmtime(t_ms // 1000)
    return f"{tm.tm_year:04d}-{tm.tm_mon:02d}"


class CloudClient:
    """A client for one Tuya cloud project (Access ID and Secret) in one data centre."""

    def __init__(
        self,
        api_key: str,
        api_secret: str,
        region: str,
        endpoint: str | None = None,
        timeout: float = 5.0,
        *,
        now_ms: Callable[[], int] = _wall_clock_ms,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        max_attempts: int = 4,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        jitter: Callable[[], float] = random.random,
        monthly_call_limit: int = MONTHLY_CALL_LIMIT,
        warn_ratio: float = 0.8,
        on_budget: Callable[[CallBudget], None] | None = None,
    ) -> None:
        """`on_budget` is called once a month when calls reach `warn_ratio` of the limit,
        and once more when they reach the limit."""
        if not api_key:
            raise CloudConfigError("cloud.api_key (the project's Access ID) is empty")
        if not api_secret:
            raise CloudConfigError("cloud.api_secret (the project's Access Secret) is empty")
        if timeout <= 0:
            raise CloudConfigError(f"cloud timeout must be positive, not {timeout:g} s")
        if max_attempts < 1:
            raise CloudConfigError("the cloud client needs at least one attempt per request")
        if monthly_call_limit < 1 or not 0 < warn_ratio <= 1:
            raise CloudConfigError("the monthly call limit and its warning ratio must be positive")
        self._api_key = api_key
        self._secret = api_secret
        self._region = region
        self._base_url = base_url(region, endpoint)
        self._host = urlsplit(self._base_url).hostname or self._base_url
        self._timeout = timeout
        self._now_ms = now_ms
        self._sleep = sleep
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._jitter = jitter
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(
            transport=transport, timeout=httpx.Timeout(timeout)
        )
        self._token: Token | None = None
        self._old_tokens: deque[Token] = deque(maxlen=4)  # still scrubbed from messages
        self._renew_at_ms = 0
        self._token_lock = asyncio.Lock()
        self._spec_cache: dict[str, Specification] = {}
        self._local_keys: set[str] = set()
        self._limit = monthly_call_limit
        self._warn_at = max(1, int(monthly_call_limit * warn_ratio))
        self._on_budget = on_budget
        self._month = _month_of(now_ms())
        self._calls = 0
        self._budget_level = 0

    def __repr__(self) -> str:
        return (
            f"CloudClient(region={self._region!r}, base_url={self._base_url!r}, "
            f"calls_this_month={self.calls_this_month})"
        )

    # -- lifecycle ------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the HTTP connections (only those of a client this object created)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- properties -----------------------------------------------------------------

    @property
    def region(self) -> str:
        """The data centre, as configured."""
        return self._region

    @property
    def base_url(self) -> str:
        """The URL requests go to."""
        return self._base_url

    @property
    def uid(self) -> str | None:
        """The uid the current token was issued for, once one has been fetched."""
        return self._token.uid if self._token else None

    @property
    def calls_this_month(self) -> int:
        """HTTP requests sent this UTC month (token calls and retries included)."""
        self._roll_month()
        return self._calls

    @property
    def call_budget(self) -> CallBudget:
        """This month's calls against the plan's allowance."""
        self._roll_month()
        return CallBudget(self._month, self._calls, self._limit, self._warn_at)

    def restore_calls(self, month: str, calls: int) -> None:
        """Carry a count saved before a restart over, if it is from this month."""
        self._roll_month()
        if month == self._month:
            self._calls = max(self._calls, calls)
            self._budget_level = self._level(self._calls)

    # -- the API --------------------------------------------------------------------

    async def status(self, device_id: str) -> list[dict[str, Any]]:
        """The device's data points as `[{"code": ..., "value": ...}]`."""
        result = await self._call("GET", f"/v1.0/iot-03/devices/{_seg(device_id)}/status")
        return models.parse_status(result)

    async def send_commands(self, device_id: str, commands: Sequence[Mapping[str, Any]]) -> bool:
        """Send `[{"code": ..., "value": ...}]`; True when the cloud accepted them."""
        body = {"commands": [{"code": c["code"], "value": c["value"]} for c in commands]}
        path = f"/v1.0/iot-03/devices/{_seg(device_id)}/commands"
        return models.parse_commands_result(await self._call("POST", path, body=body))

    async def specifications(self, device_id: str, *, refresh: bool = False) -> Specification:
        """The device's DP specification (functions and status), cached in memory."""
        cached = self._spec_cache.get(device_id)
        if cached is not None and not refresh:
            return cached
        result = await self._call("GET", f"/v1.1/devices/{_seg(device_id)}/specifications")
        spec = models.parse_specification(result)
        self._spec_cache[device_id] = spec
        return spec

    async def thing_model(self, device_id: str) -> dict[str, Any]:
        """The device's thing model (`{"model": "<JSON text>"}`), as the cloud gives it:
        the same DPs as the specification, for products whose specification is refused."""
        path = f"/v2.0/cloud/thing/{_seg(device_id)}/model"
        return models.parse_thing_model(await self._call("GET", path))

    async def dp_code_map(self, device_id: str) -> DpCodeMap:
        """DP id <-> code for the device, from its (cached) specification."""
        return DpCodeMap.from_specification(await self.specifications(device_id))

    async def device(self, device_id: str) -> CloudDevice:
        """The device's details, with its local key and the uid of the app account."""
        result = await self._call("GET", f"/v1.0/devices/{_seg(device_id)}")
        return self._remember_keys([models.parse_device(result)])[0]

    async def user_devices(self, uid: str) -> list[CloudDevice]:
        """Every device of the app account `uid`, with local keys."""
        result = await self._call("GET", f"/v1.0/users/{_seg(uid)}/devices")
        return self._remember_keys(models.parse_devices(result))

    def _remember_keys(self, devices: list[CloudDevice]) -> list[CloudDevice]:
        # Local keys seen are scrubbed from later messages too (one per device: bounded).
        self._local_keys.update(device.local_key for device in devices if device.local_key)
        return devices

    async def upgrade_infos(self, device_id: str) -> list[UpgradeInfo]:
        """Firmware state of each module of the device."""
        path = f"/v1.0/iot-03/devices/{_seg(device_id)}/upgrade-infos"
        return models.parse_upgrade_infos(await self._call("GET", path))

    async def confirm_upgrade(self, device_id: str, module_type: int | None = None) -> bool:
        """Start the firmware upgrade of one module, or of every module with one available.

        False when there is nothing to upgrade or the cloud did not accept it.
        """
        if module_type is None:
            infos = await self.upgrade_infos(device_id)
            modules = [info.module_type for info in infos if info.available]
        else:
            modules = [module_type]
        path = f"/v1.0/iot-03/devices/{_seg(device_id)}/confirm-upgrade"
        accepted = bool(modules)
        for module in modules:
            result = await self._call("POST", path, body={"module_type": module})
            accepted = models.parse_commands_result(result) and accepted
        return accepted

    # -- requests -------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        body: object = None,
    ) -> Any:
        """The `result` of one API call, with token handling and backoff."""
        content = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        token = await self._access_token()
        try:
            return await self._with_backoff(method, path, query, content, token)
        except CloudTokenError:
            self._forget(token)
        return await self._with_backoff(method, path, query, content, await self._access_token())

    async def _access_token(self) -> str:
        async with self._token_lock:
            if self._token is None or self._now_ms() >= self._renew_at_ms:
                obtained_at = self._now_ms()
                result = await self._with_backoff(
                    "GET", TOKEN_PATH, {"grant_type": "1"}, b"", access_token=""
                )
                token = models.parse_token(result)
                if self._token is not None:
                    self._old_tokens.append(self._token)
                life_ms = token.expire_time_s * 1000
                margin = min(max(_RENEW_MARGIN_MS, life_ms // 10), life_ms // 2)
                self._token = token
                self._renew_at_ms = obtained_at + life_ms - margin
            return self._token.access_token

    def _forget(self, access_token: str) -> None:
        # Another request may have renewed the token meanwhile; keep a newer one.
        if self._token is not None and self._token.access_token == access_token:
            self._old_tokens.append(self._token)
            self._token = None

    async def _with_backoff(
        self,
        method: str,
        path: str,
        query: Mapping[str, str] | None,
        content: bytes,
        access_token: str,
    ) -> Any:
        for attempt in range(1, self._max_attempts):
            try:
                return await self._send_once(method, path, query, content, access_token)
            except (CloudBusyError, CloudUnreachableError):
                await self._sleep(self.backoff_delay(attempt))
        try:
            return await self._send_once(method, path, query, content, access_token)
        except (CloudBusyError, CloudUnreachableError) as exc:
            raise exc.after(self._max_attempts) from None

    def backoff_delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt `attempt` (1-based): full jitter, capped."""
        ceiling = min(self._backoff_cap, self._backoff_base * 2.0 ** (attempt - 1))
        return ceiling * self._jitter()

    async def _send_once(
        self,
        method: str,
        path: str,
        query: Mapping[str, str] | None,
        content: bytes,
        access_token: str,
    ) -> Any:
        what = f"{method} {path}"
        self._count_call()
        headers = signing.signed_headers(
            client_id=self._api_key,
            secret=self._secret,
            t_ms=self._now_ms(),
            method=method,
            path_with_query=signing.path_with_query(path, query),
            body=content,
            access_token=access_token,
            nonce=uuid.uuid4().hex,
        )
        if content:
            headers["Content-Type"] = "application/json"
        url = self._base_url + path
        if query:
            url += "?" + "&".join(f"{k}={quote(query[k], safe='')}" for k in sorted(query))
        try:
            async with asyncio.timeout(self._timeout):
                response = await self._http.request(
                    method, url, content=content or None, headers=headers, timeout=self._timeout
                )
        except (TimeoutError, httpx.TimeoutException):
            raise CloudTimeout(
                f"the Tuya cloud at {self._host} did not answer {what} within {self._timeout:g} s"
            ) from None
        except httpx.TransportError as exc:
            raise CloudUnreachableError(self._host, type(exc).__name__) from None
        except httpx.RequestError as exc:
            # A reply that arrived but cannot be read (a broken Content-Encoding...).
            raise CloudProtocolError(
                f"unexpected reply from the Tuya cloud to {what}: it could not be read "
                f"({type(exc).__name__})"
            ) from None
        return self._result(response, what)

    def _result(self, response: httpx.Response, what: str) -> Any:
        status = response.status_code
        if status == 429:
            raise CloudBusyError("HTTP 429 too many requests")
        if status >= 500:
            raise CloudBusyError(f"HTTP {status}")
        try:
            envelope = json.loads(response.content)
        except ValueError:
            raise self._unexpected(response, what, "not JSON") from None
        if not isinstance(envelope, dict) or not isinstance(envelope.get("success"), bool):
            raise self._unexpected(response, what, "no 'success' field")
        if envelope["success"]:
            if not 200 <= status < 300:
                raise self._unexpected(response, what, "success with an error status")
            if "result" not in envelope:
                raise self._unexpected(response, what, "no 'result' field")
            return envelope["result"]
        code = envelope.get("code")
        if isinstance(code, str) and code.isascii() and code.isdigit():
            code = int(code)
        if not isinstance(code, int) or isinstance(code, bool):
            raise self._unexpected(response, what, "an error without a code")
        msg = envelope.get("msg")
        text = errors.shorten(msg, self._secrets()) if isinstance(msg, str) else ""
        raise errors.error_for_code(code, text, region=self._region, what=what)

    def _unexpected(self, response: httpx.Response, what: str, problem: str) -> CloudProtocolError:
        kind = response.headers.get("content-type", "no content type").split(";")[0]
        return CloudProtocolError(
            f"unexpected reply from the Tuya cloud to {what}: {problem} "
            f"(HTTP {response.status_code}, {kind}): "
            f"{errors.excerpt(response.content, self._secrets())}"
        )

    def _secrets(self) -> list[str]:
        tokens = [*self._old_tokens, *([self._token] if self._token else [])]
        issued = [value for t in tokens for value in (t.access_token, t.refresh_token)]
        return [self._secret, *issued, *self._local_keys]

    # -- call budget ----------------------------------------------------------------

    def _roll_month(self) -> None:
        month = _month_of(self._now_ms())
        if month != self._month:
            self._month, self._calls, self._budget_level = month, 0, 0

    def _level(self, calls: int) -> int:
        return 2 if calls >= self._limit else 1 if calls >= self._warn_at else 0

    def _count_call(self) -> None:
        self._roll_month()
        self._calls += 1
        level = self._level(self._calls)
        if level > self._budget_level:
            self._budget_level = level
            if self._on_budget is not None:
                self._on_budget(self.call_budget)


def _seg(value: str) -> str:
    """A path segment (device id, uid), refused when it could change the path."""
    if not value or any(ch in value for ch in "/?#%& ") or value in (".", ".."):
        raise CloudConfigError(f"not a valid Tuya device id or uid: {value!r}")
    return value
