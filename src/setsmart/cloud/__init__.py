"""The Tuya cloud OpenAPI: a pure request signer and an async client (token, status,
commands, specifications, devices with local keys, firmware upgrades).

`CloudClient` is imported on first use: it brings httpx (and httpcore, h11, idna...),
which a daemon without `cloud:` never needs.
"""

from typing import TYPE_CHECKING, Any

from setsmart.cloud.errors import (
    CloudAuthError,
    CloudBusyError,
    CloudConfigError,
    CloudError,
    CloudPermissionError,
    CloudPlanError,
    CloudProtocolError,
    CloudRequestError,
    CloudTimeout,
    CloudTokenError,
    CloudUnreachableError,
)
from setsmart.cloud.models import (
    MONTHLY_CALL_LIMIT,
    CallBudget,
    CloudDevice,
    DpCodeMap,
    DpSpec,
    Specification,
    UpgradeInfo,
)
from setsmart.cloud.regions import REGIONS

if TYPE_CHECKING:
    from setsmart.cloud.client import CloudClient


def __getattr__(name: str) -> Any:
    if name == "CloudClient":
        from setsmart.cloud.client import CloudClient  # noqa: PLC0415 (on first use: httpx)

        return CloudClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "MONTHLY_CALL_LIMIT",
    "REGIONS",
    "CallBudget",
    "CloudAuthError",
    "CloudBusyError",
    "CloudClient",
    "CloudConfigError",
    "CloudDevice",
    "CloudError",
    "CloudPermissionError",
    "CloudPlanError",
    "CloudProtocolError",
    "CloudRequestError",
    "CloudTimeout",
    "CloudTokenError",
    "CloudUnreachableError",
    "DpCodeMap",
    "DpSpec",
    "Specification",
    "UpgradeInfo",
]
