"""Helpers for LAN tests: simulated devices on loopback and targets pointing at them."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Mapping

from setsmart.lan.connection import Target
from setsmart.lan.errors import LanError
from setsmart.lan.link import DeviceLink
from setsmart.protocol import Command, DpValue, Version
from setsmart.sim import SimDevice

KEY = "0123456789abcdef"
WRONG_KEY = "fedcba9876543210"
# A status query, by either command a client may send it with.
STATUS_QUERIES = (Command.DP_QUERY, Command.DP_QUERY_NEW)
_ids = itertools.count(1)


def new_id() -> str:
    return f"bf{next(_ids):018d}"


def target_for(device: SimDevice, *, key: str = KEY, version: Version | None = None) -> Target:
    return Target(
        name="test_plug",
        device_id=device.device_id,
        local_key=key.encode(),
        version=version or device.version,
        host=device.host,
        port=device.port,
    )


async def wait_until(predicate: Callable[[], bool], *, within: float = 5.0) -> None:
    """Poll `predicate` until true; fail the test after `within` seconds."""
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110 (the simulator exposes no event to wait on)
            await asyncio.sleep(0.01)


async def set_dps(link: DeviceLink, dps: Mapping[str, DpValue]) -> LanError | None:
    """`link.set_dps`, waited for: its answer."""
    answer: asyncio.Future[LanError | None] = asyncio.get_running_loop().create_future()
    link.set_dps(dps, answer.set_result)
    return await answer
