"""The Tuya cloud OpenAPI: a pure request signer and an async client (token, status,
commands, specifications, devices with local keys, firmware upgrades)."""

from setsmart.cloud.client import MONTHLY_CALL_LIMIT, CloudClient
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
    CallBudget,
    CloudDevice,
    DpCodeMap,
    DpSpec,
    Specification,
    UpgradeInfo,
)
from setsmart.cloud.regions import REGIONS

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
