"""The daemon's loop: uvloop unless SETSMART_EVENT_LOOP=asyncio asks for asyncio's."""

from __future__ import annotations

import asyncio

import pytest
import uvloop

from setsmart import eventloop


async def _loop_type() -> type:
    return type(asyncio.get_running_loop())


def test_runs_on_uvloop_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SETSMART_EVENT_LOOP", raising=False)
    assert eventloop.run(_loop_type()) is uvloop.Loop
    assert eventloop.loop_name() == "uvloop"


@pytest.mark.parametrize("value", ["asyncio", " AsyncIO "])
def test_environment_chooses_asyncio(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SETSMART_EVENT_LOOP", value)
    assert not issubclass(eventloop.run(_loop_type()), uvloop.Loop)
    assert eventloop.loop_name() == "asyncio"
