"""Checks of a watchdog's target on loopback: answers, refusals, silence, no such name."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from setsmart.config.watchdogs import parse_target
from setsmart.daemon.watchdog_check import Address, TargetChecker

pytestmark = pytest.mark.timeout(20)

HOST = "127.0.0.95"
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def listening(handler: Handler) -> AsyncIterator[int]:
    server = await asyncio.start_server(handler, HOST, 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


async def hang_up(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.close()


async def silent(reader: asyncio.StreamReader, _: asyncio.StreamWriter) -> None:
    await reader.read()  # until the client gives up


async def http_503(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")
    await writer.drain()
    writer.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


async def check(text: str, every: float = 1.0) -> str | None:
    checker = TargetChecker(parse_target(text), every)
    try:
        return await checker.check()
    finally:
        await checker.close()


async def test_a_tcp_target_that_accepts_is_up() -> None:
    async with listening(hang_up) as port:
        assert await check(f"{HOST}:{port}") is None


async def test_a_refused_connection_is_a_failure() -> None:
    port = free_port()
    assert await check(f"{HOST}:{port}") == f"{HOST}:{port} does not answer: Connection refused"


async def test_any_http_answer_is_up() -> None:
    async with listening(http_503) as port:
        assert await check(f"http://{HOST}:{port}/generate_204") is None


async def test_a_silent_server_times_out_within_every() -> None:
    async with listening(silent) as port:
        url = f"http://{HOST}:{port}/"
        assert await check(url, every=0.3) == f"{url} did not answer within 0.3 s"


async def test_an_http_target_that_refuses_is_a_failure() -> None:
    url = f"http://{HOST}:{free_port()}/"
    error = await check(url)
    assert error is not None
    assert error.startswith(f"{url} does not answer: ")


async def test_a_name_that_resolves_to_nothing_is_a_failure_not_a_crash() -> None:
    async def nowhere(host: str, port: int) -> list[Address]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    for text in ("router.invalid:53", "https://router.invalid/"):
        checker = TargetChecker(parse_target(text), 1.0, nowhere)
        assert (
            await checker.check() == "router.invalid does not resolve (Name or service not known)"
        )
        await checker.close()
