"""Which devices are gateways, what is wrong with a sub-device's `gateway:`, and how a
gateway's new link (a new key) keeps serving the sub-devices that joined the old one."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from setsmart.config import DeviceConfig, Secret
from setsmart.daemon.gateways import ChildLink, Gateway, plan
from setsmart.lan.errors import NotConnected
from setsmart.lan.link import DpsReport, LinkEvent, LinkSettings

KEY = Secret("0123456789abcdef")


def hub(**changes: object) -> DeviceConfig:
    fields: dict[str, object] = {"id": "bfhub", "name": "hub", "local_key": KEY, **changes}
    return DeviceConfig(**fields)  # type: ignore[arg-type]


def child(name: str, node_id: str | None, gateway: str | None = "hub") -> DeviceConfig:
    return DeviceConfig(id=f"bf{name}", name=name, gateway=gateway, node_id=node_id)


def test_gateways_are_the_devices_their_children_name_and_start_first() -> None:
    devices = [child("door", "a1"), hub(), DeviceConfig(id="bfplug", name="plug", local_key=KEY)]
    found = plan(devices)
    assert found.gateways == {"hub"}
    assert found.ids == {"hub": "bfhub"}
    assert [d.name for d in found.start_order(devices)] == ["hub", "plug", "door"]


def _link(gateway: Gateway, events: list[LinkEvent]) -> None:
    gateway.make_link(
        name="hub",
        device_id="bfhub",
        local_key=b"0123456789abcdef",
        host="127.0.0.1",
        port=6668,
        version="3.4",
        on_event=events.append,
        settings=LinkSettings(),
        dps_to_query=(),
    )


async def test_a_new_gateway_link_serves_the_children_that_joined_and_not_those_that_left() -> None:
    gateway, events = Gateway("hub"), list[LinkEvent]()
    _link(gateway, events)
    door = ChildLink(gateway, "door", "a1", events.append)
    window = ChildLink(gateway, "window", "a2", events.append)
    tasks = [asyncio.create_task(door.run()), asyncio.create_task(window.run())]
    await asyncio.sleep(0)
    assert gateway.link is not None
    assert set(gateway.link.children) == {"a1", "a2"}
    assert door.host == "127.0.0.1"
    assert not door.connected
    with pytest.raises(NotConnected, match=r"^door \(via gateway hub\): "):
        await door.query()

    tasks[1].cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await tasks[1]
    old = gateway.link
    _link(gateway, events)  # a new key: a new link
    assert gateway.link is not old
    assert set(gateway.link.children) == {"a1"}
    report = DpsReport({"1": True}, full=False)
    gateway.link.children["a1"].on_event(report)  # its reports still reach its runtime
    assert events[-1] is report
    tasks[0].cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await tasks[0]
    assert gateway.link.children == {}
