"""Fixtures: a driven clock, a recording sleep, the fake cloud on 127.0.0.1 and a client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from setsmart.cloud import CloudClient
from tests.support.fake_cloud import FakeCloud, FakeDevice

PLUG_ID = "bf0123456789abcdefgh"
PLUG_KEY = "plugkey_0123456!"
BULB_ID = "bf9876543210zyxwvuts"
BULB_KEY = "bulbkey_6543210?"
START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


class Clock:
    """Milliseconds that only move when a test says so."""

    def __init__(self, start_ms: int = START_MS) -> None:
        self.ms = start_ms

    def __call__(self) -> int:
        return self.ms

    def advance(self, seconds: float) -> None:
        self.ms += int(seconds * 1000)


class Sleeps:
    """An async sleep that returns at once and remembers what it was asked to wait."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def cloud(clock: Clock) -> AsyncIterator[FakeCloud]:
    async with FakeCloud(now_ms=clock) as fake:
        fake.add_device(FakeDevice.plug(PLUG_ID, PLUG_KEY, name="kitchen_plug"))
        fake.add_device(FakeDevice.bulb(BULB_ID, BULB_KEY, name="desk_bulb"))
        yield fake


MakeClient = Callable[..., CloudClient]


@pytest.fixture
async def make_client(cloud: FakeCloud, clock: Clock, sleeps: Sleeps) -> AsyncIterator[MakeClient]:
    """Clients of the fake cloud; keyword arguments override the defaults."""
    made: list[CloudClient] = []

    def make(**overrides: Any) -> CloudClient:
        options: dict[str, Any] = {
            "api_key": cloud.client_id,
            "api_secret": cloud.secret,
            "region": "eu",
            "endpoint": cloud.base_url,
            "now_ms": clock,
            "sleep": sleeps,
            "jitter": lambda: 1.0,
        }
        options.update(overrides)
        client = CloudClient(**options)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


@pytest.fixture
def client(make_client: MakeClient) -> CloudClient:
    return make_client()
