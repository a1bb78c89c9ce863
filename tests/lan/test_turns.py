"""Turns: one request at a time on a connection, callbacks and coroutines alike, in order."""

from __future__ import annotations

import asyncio

import pytest

from setsmart.lan.turns import Turns


async def test_a_free_turn_starts_at_once_and_the_next_waits_for_done() -> None:
    turns, started = Turns(), []
    turns.take(lambda: started.append("a"))
    turns.take(lambda: started.append("b"))
    assert started == ["a"]
    turns.done()
    assert started == ["a", "b"]
    turns.done()
    assert not turns.busy


async def test_callbacks_and_coroutines_take_turns_in_arrival_order() -> None:
    turns, log = Turns(), []
    turns.take(lambda: log.append("command 1"))

    async def heartbeat() -> None:
        async with turns:
            log.append("heartbeat")

    waiting = asyncio.create_task(heartbeat())
    await asyncio.sleep(0)
    turns.take(lambda: log.append("command 2"))
    assert log == ["command 1"]
    turns.done()  # command 1 answered: the heartbeat's turn
    await waiting
    assert log == ["command 1", "heartbeat", "command 2"]
    turns.done()
    assert not turns.busy


async def test_a_coroutine_cancelled_while_waiting_passes_its_turn_on() -> None:
    turns, log = Turns(), []
    turns.take(lambda: log.append("command"))

    async def poll() -> None:
        async with turns:
            log.append("poll")

    waiting = asyncio.create_task(poll())
    await asyncio.sleep(0)
    turns.take(lambda: log.append("next"))
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    turns.done()
    assert log == ["command", "next"]


async def test_a_coroutine_cancelled_once_given_the_turn_passes_it_on() -> None:
    turns, log = Turns(), []
    turns.take(lambda: log.append("command"))

    async def poll() -> None:
        async with turns:
            log.append("poll")

    waiting = asyncio.create_task(poll())
    await asyncio.sleep(0)
    turns.take(lambda: log.append("next"))
    turns.done()  # the poll is given the turn ...
    waiting.cancel()  # ... and cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert log == ["command", "next"]
    turns.done()
    assert not turns.busy
