"""The event loop the daemon and the command line run on.

uvloop (libuv) when it is installed (setsmart depends on it on CPython outside Windows):
it spends less CPU per socket event than asyncio's selector loop, and that time is the
daemon's latency. `SETSMART_EVENT_LOOP=asyncio` chooses the standard library's loop.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop maker, or None for asyncio's own."""
    if os.environ.get("SETSMART_EVENT_LOOP", "").strip().lower() == "asyncio":
        return None
    try:
        import uvloop  # noqa: PLC0415 (optional: absent where it has no wheel)
    except ImportError:
        return None
    return uvloop.new_event_loop


def loop_name() -> str:
    return "asyncio" if loop_factory() is None else "uvloop"


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` on the loop `loop_factory` chooses."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
