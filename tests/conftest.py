"""Every asynchronous test runs on the loop the daemon itself runs on (uvloop, unless
SETSMART_EVENT_LOOP=asyncio chooses the standard library's)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

import pytest

from setsmart.eventloop import loop_factory


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
    factory = loop_factory()
    if factory is None:
        return {"asyncio": asyncio.new_event_loop}
    return {"uvloop": factory}
