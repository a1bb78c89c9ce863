"""The clients the LAN benchmarks compare, behind one small interface each.

Every client opens a persistent session per device (connect, handshake where the version
has one, first full status), reads the full status, and sets DP 1 waiting for the device
to acknowledge. setsmart is asyncio; tinytuya and rustuya block, so they are driven from
threads. A peer's library is imported only when its client is made, so a worker process
holds no other peer's code when its memory is measured.
"""

from __future__ import annotations

import importlib.metadata
import logging
from collections.abc import Mapping
from typing import Any, Protocol

from bench.fleetspec import DeviceSpec

PEERS = ("setsmart", "tinytuya", "rustuya")


class OpFailed(Exception):
    """An operation failed; `kind` is timeout, error or incomplete."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class PeerUnavailable(Exception):
    """The peer's library cannot be used here (not installed...)."""


def peer_version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def check_full(device: DeviceSpec, dps: object) -> Mapping[str, object]:
    """The DPs of a status reply, if it holds every DP the device has."""
    if not isinstance(dps, Mapping):
        raise OpFailed("incomplete", f"status without dps: {str(dps)[:80]}")
    missing = [dp for dp in device.dps if dp not in dps]
    if missing:
        raise OpFailed("incomplete", f"status lacks DPs {missing} (got {sorted(dps, key=str)})")
    return dps


class BlockingClient(Protocol):
    """A peer driven from threads: every call blocks until done or failed.

    `make` builds the device object (rustuya starts connecting in the background there),
    `open` makes sure the session is up by reading the first full status.
    """

    name: str
    version: str

    def make(self, device: DeviceSpec) -> Any: ...
    def open(self, device: DeviceSpec, handle: Any) -> None: ...
    def status(self, device: DeviceSpec, handle: Any) -> Mapping[str, object]: ...
    def set(self, device: DeviceSpec, handle: Any, value: bool) -> None: ...
    def close(self, handle: Any) -> None: ...


# setsmart ---------------------------------------------------------------------------------


class SetsmartClient:
    """setsmart.lan.connection.Connection: all sessions on one event loop."""

    name = "setsmart"

    def __init__(self, timeout: float) -> None:
        from setsmart.lan.connection import Connection, Target
        from setsmart.lan.errors import LanError, ReplyTimeout
        from setsmart.protocol import VERSIONS

        self._connection = Connection
        self._target = Target
        self._lan_error = LanError
        self._reply_timeout = ReplyTimeout
        self._versions = VERSIONS
        self.timeout = timeout
        self.version = peer_version("setsmart") or "unknown"

    def _failed(self, exc: Exception) -> OpFailed:
        kind = "timeout" if isinstance(exc, self._reply_timeout) else "error"
        return OpFailed(kind, f"{type(exc).__name__}: {exc}")

    async def open(self, device: DeviceSpec) -> Any:
        version = next(v for v in self._versions if v == device.version)
        target = self._target(
            device.id, device.id, device.key.encode("latin-1"), version, device.host, device.port
        )
        try:
            conn = await self._connection.open(target, time_limit=self.timeout)
        except self._lan_error as exc:
            raise self._failed(exc) from None
        try:
            await self.status(device, conn)
        except OpFailed:
            conn.close()
            raise
        return conn

    async def status(self, device: DeviceSpec, conn: Any) -> Mapping[str, object]:
        try:
            dps = await conn.query()
        except self._lan_error as exc:
            raise self._failed(exc) from None
        return check_full(device, dps)

    async def set(self, device: DeviceSpec, conn: Any, value: bool) -> None:
        try:
            await conn.control({"1": value})
        except self._lan_error as exc:
            raise self._failed(exc) from None

    def close(self, conn: Any) -> None:
        conn.close()

    @staticmethod
    def is_open(conn: Any) -> bool:
        return bool(conn.is_open)


# tinytuya ---------------------------------------------------------------------------------


class TinytuyaClient:
    """tinytuya.Device with a persistent socket (persist=True, set_socketPersistent)."""

    name = "tinytuya"

    def __init__(self, timeout: float) -> None:
        try:
            import tinytuya
        except ImportError as exc:
            raise PeerUnavailable(f"tinytuya is not installed: {exc}") from None
        logging.getLogger("tinytuya").setLevel(logging.CRITICAL)
        self._tinytuya = tinytuya
        self.timeout = timeout
        self.version = str(tinytuya.__version__)

    @staticmethod
    def _check(result: object) -> dict[str, Any]:
        if not isinstance(result, dict):
            raise OpFailed("error", f"tinytuya returned {result!r}")
        if "Error" in result:
            kind = "timeout" if "timeout" in str(result["Error"]).lower() else "error"
            raise OpFailed(kind, f"tinytuya Err {result.get('Err')}: {result['Error']}")
        return result

    def make(self, device: DeviceSpec) -> Any:
        dev = self._tinytuya.Device(
            device.id,
            device.host,
            device.key,
            version=float(device.version),
            port=device.port,
            persist=True,
            connection_timeout=self.timeout,
            connection_retry_limit=1,
            connection_retry_delay=0.1,
        )
        dev.set_socketPersistent(True)
        return dev

    def open(self, device: DeviceSpec, dev: Any) -> None:
        """Connect (and negotiate the 3.4/3.5 session key) with the first status."""
        try:
            self.status(device, dev)
        except OpFailed:
            dev.close()
            raise

    def status(self, device: DeviceSpec, dev: Any) -> Mapping[str, object]:
        return check_full(device, self._check(dev.status()).get("dps"))

    def set(self, device: DeviceSpec, dev: Any, value: bool) -> None:
        self._check(dev.set_value(1, value))

    def close(self, dev: Any) -> None:
        dev.close()


# rustuya ----------------------------------------------------------------------------------


class RustuyaClient:
    """rustuya.Device (Rust core, tokio): persist=True, blocking calls release the GIL."""

    name = "rustuya"

    def __init__(self, timeout: float, connect_concurrency: int | None = None) -> None:
        try:
            import rustuya
        except ImportError as exc:
            raise PeerUnavailable(f"rustuya is not installed: {exc}") from None
        self._rustuya = rustuya
        if connect_concurrency is not None:
            rustuya.set_connect_concurrency(connect_concurrency)
        self.connect_concurrency = int(rustuya.connect_concurrency())
        self.timeout = timeout
        self.version = str(rustuya.version())

    def _call(self, action: Any, *args: object) -> Any:
        try:
            result = action(*args)
        except RuntimeError as exc:
            kind = "timeout" if "timeout" in str(exc).lower() else "error"
            raise OpFailed(kind, f"rustuya: {exc}") from None
        if isinstance(result, dict) and result.get("errorCode") not in (None, 0):
            raise OpFailed("error", f"rustuya error reply: {str(result)[:120]}")
        return result

    def make(self, device: DeviceSpec) -> Any:
        """The device object; its background task starts connecting now (after rustuya's
        own random 0-5 s start-up jitter when many are made within 100 ms)."""
        return self._rustuya.Device(
            device.id,
            device.key,
            address=device.host,
            version=device.version,
            port=device.port,
            timeout=self.timeout,
            persist=True,
        )

    def open(self, device: DeviceSpec, dev: Any) -> None:
        try:
            self.status(device, dev)
        except OpFailed:
            dev.stop()
            raise

    def status(self, device: DeviceSpec, dev: Any) -> Mapping[str, object]:
        result = self._call(dev.status)
        if not isinstance(result, dict):
            raise OpFailed("incomplete", f"rustuya status returned {result!r}")
        # 3.1-3.3 replies carry "dps" at the top, 3.4/3.5 under "data".
        dps = result.get("dps", (result.get("data") or {}).get("dps"))
        return check_full(device, dps)

    def set(self, device: DeviceSpec, dev: Any, value: bool) -> None:
        self._call(dev.set_value, 1, value)

    def close(self, dev: Any) -> None:
        dev.stop()

    @staticmethod
    def is_open(dev: Any) -> bool:
        return bool(dev.is_connected)


def blocking_client(name: str, timeout: float, concurrency: int | None = None) -> BlockingClient:
    if name == "tinytuya":
        return TinytuyaClient(timeout)
    if name == "rustuya":
        return RustuyaClient(timeout, concurrency)
    raise ValueError(f"no blocking client named {name!r} (known: tinytuya, rustuya)")
