"""Many simulated devices in one process: addresses, start and stop, lookup, discovery.

Devices get their own 127.0.x.y address (layout "hosts": 127.0.0.2 .. 127.0.0.254, then
127.0.1.1 and on) or share one address on different ports (layout "ports"). They start
and stop with bounded concurrency. A device costs one listening socket and no task
until a client connects; UDP sockets are shared per source address.
"""

from __future__ import annotations

import asyncio
import random
import string
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Final, Literal

from setsmart.protocol import VERSIONS, Version
from setsmart.sim.beacon import UdpSenders
from setsmart.sim.device import SimDevice
from setsmart.sim.errors import SimConfigError
from setsmart.sim.kinds import KINDS
from setsmart.sim.loopback import loopback_hosts, require_loopback, require_loopback_target
from setsmart.sim.model import Clock
from setsmart.sim.responder import DevInfoResponder

Layout = Literal["hosts", "ports"]

SPEC_KEYS: Final = frozenset(
    {"id", "key", "version", "kind", "host", "port", "dps", "device22", "product_key",
     "load_watts", "reply_shape"}
)  # fmt: skip
_KEY_ALPHABET = string.ascii_letters + string.digits + "!#$%&()*+,-./:;<=>?@[]^_{|}~"


def make_device_id(n: int) -> str:
    """A 20-character device id for simulated device `n`, ending in a MAC as real ones do."""
    return f"bf{n:06x}10d561{n:06x}"


def make_local_key(n: int) -> str:
    """A deterministic 16-character local key for simulated device `n` (test keys only)."""
    rng = random.Random(f"sim-local-key-{n}")
    return "".join(rng.choice(_KEY_ALPHABET) for _ in range(16))


def _version(value: object, where: str) -> Version:
    text = f"{value:.1f}" if isinstance(value, float) else str(value)
    for version in VERSIONS:
        if text == version:
            return version
    raise SimConfigError(f"{where}: version {value!r} is not one of {', '.join(VERSIONS)}")


class SimFleet:
    """A set of simulated devices started, stopped and looked up together."""

    def __init__(
        self,
        *,
        layout: Layout = "hosts",
        first_host: str = "127.0.0.2",
        shared_host: str = "127.0.0.1",
        idle_timeout: float | None = 30.0,
        beacon_target: tuple[str, int] | None = None,
        beacon_interval: float | None = None,
        devinfo_address: tuple[str, int] | None = None,
        clock: Clock = time.monotonic,
        concurrency: int = 64,
    ) -> None:
        if layout not in ("hosts", "ports"):
            raise SimConfigError(f"fleet layout {layout!r} is not 'hosts' or 'ports'")
        self.layout: Layout = layout
        self._hosts = loopback_hosts(first_host)
        self._shared_host = require_loopback(shared_host, "fleet address")
        self.idle_timeout = idle_timeout
        self.beacon_target = (
            None
            if beacon_target is None
            else require_loopback_target(beacon_target, "fleet beacon target")
        )
        self.beacon_interval = beacon_interval
        if devinfo_address is not None:
            require_loopback(devinfo_address[0], "REQ_DEVINFO responder address")
        self._devinfo_address = devinfo_address
        self._clock = clock
        self._concurrency = max(1, concurrency)
        self._devices: dict[str, SimDevice] = {}
        self._udp = UdpSenders()
        self._responder: DevInfoResponder | None = None
        self._running = False

    def __repr__(self) -> str:
        state = "running" if self._running else "stopped"
        return f"SimFleet({len(self._devices)} devices, layout={self.layout!r}, {state})"

    # Building -----------------------------------------------------------------------

    def add(
        self,
        device_id: str,
        local_key: str,
        version: Version = "3.3",
        kind: str = "plug",
        *,
        host: str | None = None,
        port: int = 0,
        **options: Any,
    ) -> SimDevice:
        """Create a device in the fleet; without `host` it gets the next address of the layout.

        `options` go to SimDevice (dps, device22, product_key, load_watts, idle_timeout...).
        Devices added to a running fleet are started by `start()` (call it again).
        """
        if device_id in self._devices:
            raise SimConfigError(f"device {device_id} is already in the fleet")
        if host is None:
            host = self._next_host()
        options.setdefault("idle_timeout", self.idle_timeout)
        options.setdefault("beacon_target", self.beacon_target)
        options.setdefault("beacon_interval", self.beacon_interval)
        options.setdefault("clock", self._clock)
        device = SimDevice(
            device_id, local_key, version, kind, host=host, port=port, udp=self._udp, **options
        )
        self._devices[device_id] = device
        return device

    @classmethod
    def generate(
        cls,
        count: int,
        *,
        versions: Sequence[Version] = VERSIONS,
        kinds: Sequence[str] = ("plug", "strip", "bulb", "plug_legacy", "bulb_v1"),
        port: int = 0,
        **fleet_options: Any,
    ) -> SimFleet:
        """A fleet of `count` devices cycling through `versions` and `kinds`."""
        fleet = cls(**fleet_options)
        for n in range(count):
            fleet.add(
                make_device_id(n),
                make_local_key(n),
                versions[n % len(versions)],
                kinds[n % len(kinds)],
                port=port,
            )
        return fleet

    @classmethod
    def from_spec(cls, specs: Iterable[Mapping[str, Any]], **fleet_options: Any) -> SimFleet:
        """A fleet from dicts with `id`, `key` and optionally `version` (default 3.3),
        `kind` (default plug), `host`, `port`, `dps`, `device22`, `product_key`,
        `load_watts`, `reply_shape`. The keys of `describe()` entries, so a fleet can be
        saved and rebuilt.
        """
        fleet = cls(**fleet_options)
        for index, spec in enumerate(specs):
            where = f"simulated device #{index + 1}"
            unknown = sorted(set(spec) - SPEC_KEYS)
            if unknown:
                raise SimConfigError(
                    f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(SPEC_KEYS))})"
                )
            for required in ("id", "key"):
                if not isinstance(spec.get(required), str) or not spec[required]:
                    raise SimConfigError(f"{where}: {required!r} must be a non-empty string")
            options = {
                k: spec.get(k)
                for k in ("dps", "device22", "product_key", "load_watts", "reply_shape")
            }
            options = {k: v for k, v in options.items() if v is not None}
            kind = spec.get("kind", "plug")
            if kind not in KINDS:
                raise SimConfigError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
            fleet.add(
                spec["id"],
                spec["key"],
                _version(spec.get("version", "3.3"), where),
                kind,
                host=spec.get("host"),
                port=int(spec.get("port") or 0),
                **options,
            )
        return fleet

    def describe(self) -> list[dict[str, Any]]:
        """Each device as a `from_spec` entry (after start, with the ports actually bound)."""
        return [
            {
                "id": d.device_id,
                "key": d.local_key,
                "version": d.version,
                "kind": d.kind,
                "host": d.host,
                "port": d.port,
                "reply_shape": d.reply_shape,
            }
            for d in self._devices.values()
        ]

    def _next_host(self) -> str:
        if self.layout == "ports":
            return self._shared_host
        try:
            return next(self._hosts)
        except StopIteration:
            raise SimConfigError("the fleet ran out of loopback addresses") from None

    # Lookup -------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._devices)

    def __iter__(self) -> Iterator[SimDevice]:
        return iter(self._devices.values())

    def __contains__(self, device_id: object) -> bool:
        return device_id in self._devices

    def __getitem__(self, device_id: str) -> SimDevice:
        try:
            return self._devices[device_id]
        except KeyError:
            raise KeyError(f"no simulated device {device_id} in the fleet") from None

    def get(self, device_id: str) -> SimDevice | None:
        return self._devices.get(device_id)

    @property
    def devinfo_address(self) -> tuple[str, int] | None:
        """Where the REQ_DEVINFO responder listens (None when there is none or it is stopped)."""
        return None if self._responder is None else self._responder.address

    @property
    def responder(self) -> DevInfoResponder | None:
        return self._responder

    # Life cycle ---------------------------------------------------------------------

    async def __aenter__(self) -> SimFleet:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Start every device not yet running, and the responder; on failure stop them all."""
        self._running = True
        try:
            await self._each(SimDevice.start, [d for d in self if not d.running])
            if self._devinfo_address is not None and self._responder is None:
                responder = DevInfoResponder(self._devices.values)
                await responder.start(*self._devinfo_address)
                self._responder = responder
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop every device and the responder."""
        self._running = False
        if self._responder is not None:
            self._responder.stop()
            self._responder = None
        await self._each(SimDevice.stop, [d for d in self if d.running])
        self._udp.close()

    async def _each(
        self, action: Callable[[SimDevice], Awaitable[None]], devices: list[SimDevice]
    ) -> None:
        """Run `action` on each device, at most `concurrency` at a time; raise the first error."""
        limit = asyncio.Semaphore(self._concurrency)

        async def one(device: SimDevice) -> None:
            async with limit:
                await action(device)

        results = await asyncio.gather(*(one(d) for d in devices), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
