"""Cross-checks of sub-devices and their gateways, once every device has been read.

A sub-device (CONTRACT, "Gateways") names its gateway with ``gateway:`` and its address
there with ``node_id:``, instead of a ``local_key`` and a ``host``: it is reached through
the gateway's one LAN session, so the session's settings are the gateway's.
"""

from __future__ import annotations

from collections.abc import Sequence

from setsmart.config.checks import unknown_device
from setsmart.config.fields import Section
from setsmart.config.model import DeviceConfig

#: The keys of a LAN session: a sub-device uses its gateway's.
SESSION_KEYS = ("local_key", "local_key_file", "host", "port", "version")


def check_gateways(read: Sequence[tuple[Section, DeviceConfig]]) -> None:
    """Report every child whose gateway or node_id is wrong, on the line of the key at fault."""
    by_name = {device.name: device for _, device in read if device.name}
    node_ids: dict[tuple[str, str], tuple[str, int]] = {}
    for section, device in read:
        if device.gateway is None and device.node_id is None:
            continue  # not a sub-device (or its keys are wrong, and already reported)
        if section.node("node_id") is None:
            section.fail("gateway", None, "needs node_id: (the sub-device's cid on its gateway)")
        elif section.node("gateway") is None:
            section.fail(
                "node_id",
                None,
                "needs gateway: (the name of the gateway this sub-device is behind)",
            )
        if device.gateway is None:
            continue
        problem = _gateway_problem(device, device.gateway, by_name)
        if problem:
            section.fail("gateway", None, problem)
        for key in SESSION_KEYS:
            if section.node(key) is not None:
                section.fail(
                    key,
                    None,
                    f"a sub-device has none of its own: it is reached through gateway "
                    f"'{device.gateway}' (local_key, host, port and version are the gateway's)",
                )
        if device.node_id is not None:
            taken = node_ids.setdefault(
                (device.gateway, device.node_id), (section.path, section.key_line("node_id"))
            )
            if taken[0] != section.path:
                section.fail(
                    "node_id",
                    None,
                    f"'{device.node_id}' is already used behind gateway '{device.gateway}' "
                    f"by {taken[0]} (line {taken[1]})",
                )


def _gateway_problem(
    device: DeviceConfig, name: str, by_name: dict[str, DeviceConfig]
) -> str | None:
    gateway = by_name.get(name)
    if gateway is None:
        return unknown_device(name, by_name)
    if gateway is device:
        return "names the device itself: a sub-device's gateway is another device"
    if gateway.gateway is not None:
        return (
            f"'{name}' is itself a sub-device (behind '{gateway.gateway}'): "
            "a gateway must be a LAN device"
        )
    if gateway.local_key is None:
        return (
            f"'{name}' has no local_key (cloud only): a gateway must be a LAN device, "
            "its sub-devices are reached through its session"
        )
    return None
