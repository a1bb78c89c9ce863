"""Sub-devices of an import matched to their gateways (CONTRACT, "Gateways"). Pure.

A source names a child's gateway by id (tinytuya's ``parent``, the cloud's ``gateway_id``)
or not at all; then, as tinytuya's wizard does, the gateway is the device that shares the
child's local key (the cloud gives a sub-device its gateway's key). setsmart only takes
that guess when exactly one device (not itself a child) has that key.
"""

from __future__ import annotations

from collections.abc import Sequence

from setsmart.config import checks
from setsmart.config.importers.model import SourceDevice
from setsmart.config.model import DeviceConfig
from setsmart.config.secret import Secret


def gateway_of(
    child: SourceDevice, devices: Sequence[DeviceConfig], origin: str
) -> DeviceConfig | str:
    """The gateway ``child`` is behind among ``devices``, or why none can be told."""
    if child.gateway:
        found = next((device for device in devices if device.id == child.gateway), None)
        if found is None:
            return f"its gateway {child.gateway} is neither in {origin} nor configured"
        if found.gateway is not None:
            return f"its gateway {child.gateway} ({found.name}) is itself a sub-device"
        if found.local_key is None:
            return (
                f"its gateway {found.name} has no local key (cloud only): "
                "give the gateway its local_key, then import again"
            )
        return found
    if not child.local_key:
        return "its gateway is not named and it has no local key to find it by"
    key = Secret(child.local_key)
    sharing = [d for d in devices if d.gateway is None and d.local_key == key]
    if len(sharing) == 1:
        return sharing[0]
    if not sharing:
        return (
            f"its gateway is not named and no device in {origin} or configured shares its local key"
        )
    names = ", ".join(device.name for device in sharing)
    return (
        f"its gateway is not named and {len(sharing)} devices share its local key ({names}): "
        "add it by hand with gateway: and node_id:"
    )


def node_id_problem(
    child: SourceDevice, gateway: DeviceConfig, devices: Sequence[DeviceConfig]
) -> str | None:
    """Why ``child`` cannot be written behind ``gateway`` with its node_id, if it cannot."""
    if not child.node_id:
        return f"a sub-device of {gateway.name} without a node_id (its address on the gateway)"
    problem = checks.node_id(child.node_id)
    if problem:
        return f"its node_id {problem}"
    for device in devices:
        if device.gateway == gateway.name and device.node_id == child.node_id:
            return f"node_id {child.node_id} is already {device.name}'s behind {gateway.name}"
    return None


def insert_child(devices: list[DeviceConfig], child: DeviceConfig) -> None:
    """Put ``child`` after its gateway and the children that already follow it."""
    index = next(i for i, device in enumerate(devices) if device.name == child.gateway) + 1
    while index < len(devices) and devices[index].gateway == child.gateway:
        index += 1
    devices.insert(index, child)
