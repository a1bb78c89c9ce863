"""Simulated Tuya devices: the device side of protocols 3.1 to 3.5 over real loopback sockets.

Used by tests, `setsmart demo` and the benchmarks. Only 127.0.0.0/8 is ever used.

    async with SimDevice("bf0123456789abcdefgh", "0123456789abcdef", "3.4", "plug") as dev:
        ...  # dev.host, dev.port; dev.set_dps({"1": True}); dev.dark = True ...

    async with SimFleet.generate(200) as fleet:
        fleet["bf00000010d561000000"].refuse = True
"""

from setsmart.sim.beacon import beacon_datagram, beacon_info
from setsmart.sim.device import SimDevice, SimStats
from setsmart.sim.errors import LoopbackOnlyError, SimConfigError, SimError
from setsmart.sim.fleet import SimFleet, make_device_id, make_local_key
from setsmart.sim.gateway import SimChild, SimGateway
from setsmart.sim.kinds import KINDS, Kind
from setsmart.sim.responder import DevInfoResponder

__all__ = [
    "KINDS",
    "DevInfoResponder",
    "Kind",
    "LoopbackOnlyError",
    "SimChild",
    "SimConfigError",
    "SimDevice",
    "SimError",
    "SimFleet",
    "SimGateway",
    "SimStats",
    "beacon_datagram",
    "beacon_info",
    "make_device_id",
    "make_local_key",
]
