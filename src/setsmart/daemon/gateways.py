"""Gateways and their sub-devices in the daemon (CONTRACT.md "Gateways").

A device that others name as `gateway:` is served like any device, but its runtime's
link is a `GatewayLink`, made by its `Gateway` (the runtime's link factory). Each of its
sub-devices (`gateway:` and `node_id:`) has a runtime of its own whose link is a
`ChildLink`: the sub-device's share of the gateway's one session, with no socket, key
or address of its own. A `ChildLink` joins the gateway's current link while its
runtime runs it and leaves when it stops; a new gateway link (a key learnt from the
cloud) takes every joined sub-device over. The rules (availability, commands held
through a reconnect) are the runtime's machine's, as for any device.

`plan` says, from a configuration, which devices are gateways (the loader has checked
every sub-device's `gateway:` and `node_id:`); the supervisor starts gateways first and
restarts a gateway's sub-devices with it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from setsmart.config import DeviceConfig
from setsmart.lan.connection import Answered
from setsmart.lan.errors import DeviceRefused, LanError, NotConnected
from setsmart.lan.gateway import GatewayLink, SubdeviceLink, child_label
from setsmart.lan.link import DpsReport, LinkDown, LinkEvent, LinkSettings, LinkUp
from setsmart.protocol import Dps, DpValue, Version

__all__ = ["NO_GATEWAYS", "ChildLink", "Gateway", "GatewayPlan", "child_link_factory", "plan"]


class Gateway:
    """One gateway device's current session, for its sub-devices to share."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.link: GatewayLink | None = None
        self._joined: dict[str, tuple[str, Callable[[LinkEvent], None], bool]] = {}

    def __repr__(self) -> str:
        return f"Gateway({self.name!r}, children={sorted(self._joined)})"

    def make_link(
        self,
        *,
        name: str,
        device_id: str,
        local_key: bytes,
        host: str | None,
        port: int,
        version: Version | None,
        on_event: Callable[[LinkEvent], None],
        settings: LinkSettings,
        dps_to_query: tuple[str, ...],
    ) -> GatewayLink:
        """The gateway runtime's link factory: a new link serves every joined sub-device."""
        link = GatewayLink(
            name=name,
            device_id=device_id,
            local_key=local_key,
            host=host,
            port=port,
            version=version,
            on_event=on_event,
            settings=settings,
            dps_to_query=dps_to_query,
        )
        for cid, (child, report, sleeps) in self._joined.items():
            link.add_child(child, cid, report, sleeps=sleeps)
        self.link = link
        return link

    def join(
        self, name: str, cid: str, on_event: Callable[[LinkEvent], None], *, sleeps: bool = False
    ) -> None:
        self._joined[cid] = (name, on_event, sleeps)
        if self.link is not None:
            self.link.add_child(name, cid, on_event, sleeps=sleeps)

    def leave(self, cid: str) -> None:
        self._joined.pop(cid, None)
        if self.link is not None:
            self.link.remove_child(cid)

    def child(self, cid: str) -> SubdeviceLink | None:
        return None if self.link is None else self.link.children.get(cid)


@dataclass(eq=False, slots=True)
class ChildLink:
    """A sub-device's link: its share of its gateway's session while `run()` runs.

    A sub-device that comes up without being read (the gateway reports it back in
    reach, or it pushes a change) is read then, as a device is on connecting.
    """

    gateway: Gateway
    name: str
    cid: str
    on_event: Callable[[LinkEvent], None]
    energy_dps: tuple[int, ...] = ()  # the gateway refreshes no sub-device's energy
    sleeps: bool = False  # a sleeping device (`SubdeviceLink.sleeps`)
    _fresh: bool = False  # its full state was read since it was last down
    _unread: asyncio.Event = field(default_factory=asyncio.Event)
    _writes: set[asyncio.Task[None]] = field(default_factory=set)  # ended with `run()`

    @property
    def label(self) -> str:
        return child_label(self.name, self.gateway.name)

    @property
    def host(self) -> str | None:
        """The gateway's address: the sub-device has none of its own."""
        link = self.gateway.link
        return None if link is None else link.host

    @property
    def version(self) -> Version | None:
        link = self.gateway.link
        return None if link is None else link.version

    @property
    def connected(self) -> bool:
        child = self.gateway.child(self.cid)
        return child is not None and child.connected

    def update_address(self, host: str, version: Version | None = None) -> None:
        """Nothing to follow: the gateway's address is the gateway's business."""

    async def run(self) -> None:
        """Join the gateway's session until cancelled. When the session is already up
        (a sub-device added by a reload), ask the gateway whether it reaches the
        sub-device and read it; otherwise the gateway does both when it connects."""
        self.gateway.join(self.name, self.cid, self._relay, sleeps=self.sleeps)
        try:
            child, link = self.gateway.child(self.cid), self.gateway.link
            if child is not None and link is not None and link.connected:
                with contextlib.suppress(LanError):  # the session dropped: its events tell
                    with contextlib.suppress(DeviceRefused):  # no online query on this one
                        await link.query_online()
                    if child.online is not False:
                        await child.read()
            while True:  # until cancelled: one read each time it comes up unread
                await self._unread.wait()
                self._unread.clear()
                child = self.gateway.child(self.cid)
                if not self._fresh and child is not None and child.connected:
                    with contextlib.suppress(LanError):  # its own events tell
                        await child.read()
        finally:
            self.gateway.leave(self.cid)
            for write in self._writes:
                write.cancel()

    def _relay(self, event: LinkEvent) -> None:
        if isinstance(event, LinkDown):
            self._fresh = False
        elif isinstance(event, DpsReport) and event.full:
            self._fresh = True
        elif isinstance(event, LinkUp) and not self._fresh:
            # A read reports its state right after; the loop looks again before reading.
            self._unread.set()
        self.on_event(event)

    async def query(self) -> Dps:
        return await self._child().query()

    def set_dps(self, dps: Mapping[str, DpValue], answered: Answered) -> None:
        """As `DeviceLink.set_dps`; a task waits for the shared session's turn."""
        write = asyncio.get_running_loop().create_task(self._write(dps, answered))
        self._writes.add(write)
        write.add_done_callback(self._writes.discard)

    async def _write(self, dps: Mapping[str, DpValue], answered: Answered) -> None:
        try:
            await self._child().set_dps(dps)
        except LanError as exc:
            answered(exc)
        else:
            answered(None)

    def _child(self) -> SubdeviceLink:
        child = self.gateway.child(self.cid)
        if child is None:
            raise NotConnected(self.label, "its gateway is not connected")
        return child


def child_link_factory(
    gateway: Gateway, cid: str, *, sleeps: bool = False
) -> Callable[..., ChildLink]:
    """A sub-device runtime's link factory (it takes `DeviceLink`'s arguments)."""

    def make(*, name: str, on_event: Callable[[LinkEvent], None], **_: object) -> ChildLink:
        return ChildLink(gateway, name, cid, on_event, sleeps=sleeps)

    return make


@dataclass(frozen=True, slots=True)
class GatewayPlan:
    """Which devices of a configuration are gateways."""

    gateways: frozenset[str]
    ids: Mapping[str, str]
    """The device id of each gateway, by its name (its Home Assistant device's)."""

    def start_order(self, devices: Iterable[DeviceConfig]) -> list[DeviceConfig]:
        """Gateways before sub-devices, whatever the order of the file."""
        return sorted(devices, key=lambda device: device.gateway is not None)


def plan(devices: Iterable[DeviceConfig]) -> GatewayPlan:
    """The gateways: the configured devices that sub-devices name. What is wrong with a
    sub-device's `gateway:` or `node_id:` is the loader's to say (config/gateways.py), on
    the line at fault: every configuration from a file, at start or reload, is checked."""
    by_name = {device.name: device for device in devices}
    gateways = {
        device.gateway
        for device in by_name.values()
        if device.gateway is not None and device.gateway in by_name and device.node_id
    }
    ids = {name: by_name[name].id for name in gateways}
    return GatewayPlan(frozenset(gateways), ids)


NO_GATEWAYS: Final = GatewayPlan(frozenset(), {})
