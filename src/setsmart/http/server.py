"""The HTTP API on aiohttp, inside the daemon's event loop (CONTRACT.md "Local HTTP API").

- Every answer is JSON; every error is `{"status": "error", "error": "..."}` with 400,
  401, 404, 405, 413, 503 or 504: never a traceback, never a 500 (an unexpected failure
  is logged and answered 503).
- With a token, every route but `/api/health`, `/api/openapi.json` and the page's files
  needs `Authorization: Bearer <token>` (the event stream also takes `?access_token=`,
  as a browser's EventSource cannot send headers). Compared in constant time; the access
  log is off, so no token (nor any query string) reaches a log.
- `/api/events`: Server-Sent Events, the current state of every device first.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from importlib.resources import files
from typing import Final

from aiohttp import web

from setsmart.http.backend import Backend
from setsmart.http.openapi import openapi_document
from setsmart.operation_errors import BadRequest, OperationError

__all__ = ["HttpServer", "make_app"]

MAX_BODY: Final = 64 * 1024
KEEPALIVE: Final = 15.0  # seconds between two comments on an idle event stream
_OPEN_PATHS: Final = frozenset({"/api/health", "/api/openapi.json", "/", "/app.js", "/app.css"})
_STATIC: Final = {"/": "index.html", "/app.js": "app.js", "/app.css": "app.css"}
_TYPES: Final = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
}
_BACKEND: Final = web.AppKey("backend", Backend)
_TOKEN: Final = web.AppKey("token", bytes)
Report = Callable[[str], None]
_REPORT: Final[web.AppKey[Report]] = web.AppKey("report")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _json(data: object, status: int = 200) -> web.Response:
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return web.Response(text=body, status=status, content_type="application/json")


def _error(status: int, message: str) -> web.Response:
    return _json({"status": "error", "error": message}, status)


def _authorized(request: web.Request, token: bytes) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" and request.path == "/api/events":
        given = request.query.get("access_token", "")
    elif scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token)


@web.middleware
async def _guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    token = request.app[_TOKEN]
    if token and request.path not in _OPEN_PATHS and not _authorized(request, token):
        return _error(401, "a valid 'Authorization: Bearer <token>' is required")
    try:
        return await handler(request)
    except OperationError as exc:
        return _error(exc.status, str(exc))
    except web.HTTPException as exc:
        if exc.status == 413:
            return _error(413, f"the request body is larger than {MAX_BODY} bytes")
        if exc.status < 400:
            raise
        return _error(exc.status, exc.reason)
    except (asyncio.CancelledError, ConnectionResetError):
        raise
    except Exception as exc:  # noqa: BLE001 (the server answers; the log has the cause)
        request.app[_REPORT](f"HTTP {request.method} {request.path} failed: {exc!r}")
        return _error(503, "the daemon could not answer this request; see its log")


def _name(request: web.Request) -> str:
    return request.match_info["name"]


async def _body(request: web.Request) -> bytes:
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=request.content_length)
    return await request.read()


async def _health(request: web.Request) -> web.Response:
    return _json(await request.app[_BACKEND].health())


async def _devices(request: web.Request) -> web.Response:
    return _json(await request.app[_BACKEND].devices())


async def _device(request: web.Request) -> web.Response:
    return _json(await request.app[_BACKEND].device(_name(request)))


async def _set(request: web.Request) -> web.Response:
    raw = await _body(request)
    return _json(await request.app[_BACKEND].set(_name(request), raw))


async def _get(request: web.Request) -> web.Response:
    await _body(request)
    return _json(await request.app[_BACKEND].get(_name(request)))


async def _history(request: web.Request) -> web.Response:
    query = request.query
    backend = request.app[_BACKEND]
    key = query.get("key", "power")
    return _json(await backend.history(_name(request), key, query.get("from"), query.get("to")))


async def _energy(request: web.Request) -> web.Response:
    query = request.query
    backend = request.app[_BACKEND]
    resolution = query.get("resolution", "hour")
    name = _name(request)
    return _json(await backend.energy(name, resolution, query.get("from"), query.get("to")))


async def _log(request: web.Request) -> web.Response:
    text = request.query.get("limit", "100")
    if not text.isdigit() or len(text) > 6:
        raise BadRequest(f"limit must be a whole number, got {text[:20]!r}")
    return _json(await request.app[_BACKEND].log(int(text)))


async def _bridge(request: web.Request) -> web.Response:
    raw = await _body(request)
    try:
        body = json.loads(raw) if raw.strip() else {}
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the request body is not JSON") from None
    data = await request.app[_BACKEND].bridge_request(request.match_info["op"], body)
    return _json({"status": "ok", "data": data})


async def _openapi(request: web.Request) -> web.Response:
    return _json(openapi_document())


async def _static(request: web.Request) -> web.Response:
    name = _STATIC[request.path]
    data = files("setsmart.http").joinpath("static", name).read_bytes()
    kind = _TYPES[name[name.rindex(".") :]]
    return web.Response(
        body=data, content_type=kind, charset="utf-8", headers={"Cache-Control": "no-cache"}
    )


def _sse(event: str, data: object) -> bytes:
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return f"event: {event}\ndata: {text}\n\n".encode()


async def _events(request: web.Request) -> web.StreamResponse:
    backend = request.app[_BACKEND]
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    with backend.listen() as listener:
        # Listening first, then the snapshot: nothing that changes meanwhile is lost.
        devices = await backend.devices()
        await response.prepare(request)
        for entry in devices:
            name = entry["name"]
            await response.write(
                _sse("availability", {"device": name, "available": entry["available"]})
            )
            if entry.get("state") is not None:
                await response.write(_sse("state", {"device": name, "state": entry["state"]}))
        while True:
            try:
                async with asyncio.timeout(KEEPALIVE):
                    event = await listener.next()
            except TimeoutError:
                await response.write(b": keep-alive\n\n")
                continue
            if event is None:
                break
            await response.write(_sse(*event))
    return response


def make_app(backend: Backend, token: str | None, report: Callable[[str], None]) -> web.Application:
    """The aiohttp application over `backend` (tests serve it as the daemon does)."""
    app = web.Application(middlewares=[_guard], client_max_size=MAX_BODY)
    app[_BACKEND] = backend
    app[_TOKEN] = (token or "").encode()
    app[_REPORT] = report
    router = app.router
    router.add_get("/api/health", _health)
    router.add_get("/api/devices", _devices)
    router.add_get("/api/devices/{name}", _device)
    router.add_post("/api/devices/{name}/set", _set)
    router.add_post("/api/devices/{name}/get", _get)
    router.add_get("/api/devices/{name}/history", _history)
    router.add_get("/api/devices/{name}/energy", _energy)
    router.add_get("/api/events", _events)
    router.add_get("/api/log", _log)
    router.add_post("/api/bridge/{op:.+}", _bridge)
    router.add_get("/api/openapi.json", _openapi)
    for path in _STATIC:
        router.add_get(path, _static)
    return app


class HttpServer:
    """The server's lifetime: `start` binds (OSError if it cannot), then serve until
    cancelled; the daemon's supervisor owns the task."""

    def __init__(
        self,
        backend: Backend,
        *,
        bind: str,
        port: int,
        token: str | None,
        report: Callable[[str], None],
    ) -> None:
        self.app = make_app(backend, token, report)
        self.bind = bind
        self.port = port
        self._runner = web.AppRunner(
            self.app, access_log=None, handle_signals=False, shutdown_timeout=1.0
        )

    async def start(self) -> None:
        # aiohttp answers a malformed request line itself (400) and logs it with a
        # traceback: a client's mistake is not the daemon's error.
        logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.bind, self.port)
        try:
            await site.start()
        except OSError:
            await self._runner.cleanup()
            raise

    async def serve_until_cancelled(self) -> None:
        try:
            await asyncio.Event().wait()
        finally:
            await asyncio.shield(self._runner.cleanup())
