"""A firmware check or upgrade of one device through the cloud, as one operation.

What `B/<name>/firmware/get` and `/set` do (and, later, the HTTP API and the bridge
requests): read the firmware state of every module and, for an upgrade, start it on
every module that has one (or on the one asked for), then read the state again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from setsmart.cloud.models import UpgradeInfo
from setsmart.daemon import firmware
from setsmart.daemon.cloud_route import CloudRoute
from setsmart.daemon.runtime import RouteError


@dataclass(frozen=True, slots=True)
class FirmwareOutcome:
    """The modules' state to publish (None: the cloud failed before it was read), and
    the error to answer with (None: done)."""

    infos: list[UpgradeInfo] | None
    error: str | None = None


async def firmware_request(
    route: CloudRoute,
    order: firmware.FirmwareOrder | None,
    started: Callable[[str], None],
) -> FirmwareOutcome:
    """Check (`order` None) or upgrade; `started` gets a line per upgrade started."""
    try:
        infos = await route.firmware()
        if order is None:
            return FirmwareOutcome(infos)
        targets = [
            info for info in infos if info.available and order.module in (None, info.module_type)
        ]
        if not targets:
            which = "" if order.module is None else f" for module {order.module}"
            return FirmwareOutcome(infos, f"{route.name}: no firmware upgrade is available{which}")
        for info in targets:
            await route.upgrade(info.module_type)
            started(
                f"firmware upgrade started: {firmware.module_name(info.module_type)} "
                f"{info.current_version or '?'} -> {info.upgrade_version or '?'}"
            )
        return FirmwareOutcome(await route.firmware())
    except RouteError as exc:
        return FirmwareOutcome(None, str(exc))
