"""The cloud path to one device: reads, writes, presence and its current local key.

`CloudRoute` is what a `DeviceRuntime` uses as its `Fallback` (and `KeySource`): it turns
DP ids into cloud codes through the device's specification (fetched once, then cached by
the client) and every cloud failure into one readable `RouteError` naming the device.
`CloudTuning` holds the client settings the YAML does not expose (tests and benchmarks
shorten them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from setsmart.cloud import MONTHLY_CALL_LIMIT, CloudError
from setsmart.cloud.models import UpgradeInfo
from setsmart.config import CloudConfig
from setsmart.daemon.cloud_dps import CloudDpCodec, CloudDpError
from setsmart.daemon.logs import register_secret
from setsmart.daemon.runtime import RouteError
from setsmart.protocol import Dps, DpValue

if TYPE_CHECKING:
    from setsmart.cloud import CloudClient

__all__ = ["DEVICE_OFFLINE_CODE", "CloudRoute", "CloudTuning", "make_client"]

#: Tuya's answer to a command for a device that is not connected to the cloud.
DEVICE_OFFLINE_CODE = 2001


@dataclass(frozen=True, slots=True)
class CloudTuning:
    """Client settings that are not in the YAML: per-request timeout, attempts, backoff,
    and the monthly call allowance the quota warning is measured against."""

    timeout: float = 10.0
    max_attempts: int = 3
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    monthly_call_limit: int = MONTHLY_CALL_LIMIT
    warn_ratio: float = 0.8


def make_client(
    config: CloudConfig, tuning: CloudTuning, on_budget: Callable[..., None] | None = None
) -> CloudClient:
    """The one client the daemon shares between its devices."""
    # Here, not at the top: httpx is imported only by a daemon that has `cloud:`.
    from setsmart.cloud.client import CloudClient  # noqa: PLC0415

    return CloudClient(
        config.api_key.reveal(),
        config.api_secret.reveal(),
        config.region,
        config.endpoint,
        tuning.timeout,
        max_attempts=tuning.max_attempts,
        backoff_base=tuning.backoff_base,
        backoff_cap=tuning.backoff_cap,
        monthly_call_limit=tuning.monthly_call_limit,
        warn_ratio=tuning.warn_ratio,
        on_budget=on_budget,
    )


@dataclass(eq=False)
class CloudRoute:
    """One device through the shared cloud client."""

    client: CloudClient
    device_id: str
    name: str
    on_failure: Callable[[], None] = field(default=lambda: None)
    _codec: CloudDpCodec | None = field(init=False, default=None)

    async def read(self) -> Dps:
        """The device's DPs as the cloud last heard them."""
        try:
            codec = await self._get_codec()
            status = await self.client.status(self.device_id)
        except CloudError as exc:
            raise self._failed(exc) from None
        return codec.to_dps(status)

    async def write(self, dps: Mapping[str, DpValue]) -> None:
        """Send DPs as cloud commands; RouteError when the cloud refuses them."""
        try:
            codec = await self._get_codec()
            commands = codec.to_commands(dps)
            accepted = await self.client.send_commands(self.device_id, commands)
        except CloudDpError as exc:
            raise RouteError(f"{self.name}: cannot send this through the cloud: {exc}") from None
        except CloudError as exc:
            raise self._failed(exc) from None
        if not accepted:
            self.on_failure()
            raise RouteError(f"{self.name}: the Tuya cloud did not accept the command")

    async def online(self) -> bool:
        """Whether the cloud says the device is connected to it."""
        try:
            return (await self.client.device(self.device_id)).online
        except CloudError as exc:
            raise self._failed(exc) from None

    async def local_key(self) -> str:
        """The device's current local key (registered as a secret before it is returned)."""
        try:
            key = (await self.client.device(self.device_id)).local_key
        except CloudError as exc:
            raise self._failed(exc) from None
        if not key:
            raise RouteError(f"{self.name}: the Tuya cloud gave no local key for this device")
        register_secret(key)
        return key

    async def product_key(self) -> str:
        """The device's product key (Tuya's product id), as the cloud knows it."""
        try:
            return (await self.client.device(self.device_id)).product_id
        except CloudError as exc:
            raise self._failed(exc) from None

    async def firmware(self) -> list[UpgradeInfo]:
        """The firmware state of each module."""
        try:
            return await self.client.upgrade_infos(self.device_id)
        except CloudError as exc:
            raise self._failed(exc) from None

    async def upgrade(self, module: int | None = None) -> bool:
        """Start an upgrade (of `module`, or of every module with one available)."""
        try:
            return await self.client.confirm_upgrade(self.device_id, module)
        except CloudError as exc:
            raise self._failed(exc) from None

    async def _get_codec(self) -> CloudDpCodec:
        if self._codec is None:
            spec = await self.client.specifications(self.device_id)
            self._codec = CloudDpCodec.from_specification(spec)
        return self._codec

    def _failed(self, error: CloudError) -> RouteError:
        self.on_failure()
        if error.code == DEVICE_OFFLINE_CODE:
            return RouteError(
                f"{self.name}: the Tuya cloud says the device is offline", device_offline=True
            )
        return RouteError(f"{self.name}: {error}")
