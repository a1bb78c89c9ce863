"""Every asynchronous test runs on the loop the daemon itself runs on (uvloop, unless
SETSMART_EVENT_LOOP=asyncio chooses the standard library's). Hypothesis sets no deadline
per example: on a loaded 2-core CI machine a first example slower than 200 ms failed a
test that was right."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

import pytest
from hypothesis import settings

from setsmart.eventloop import loop_factory

settings.register_profile("setsmart", deadline=None)
settings.load_profile("setsmart")


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
    factory = loop_factory()
    if factory is None:
        return {"asyncio": asyncio.new_event_loop}
    return {"uvloop": factory}
