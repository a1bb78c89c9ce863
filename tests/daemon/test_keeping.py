"""What the supervisor keeps, each in its own object: state writes, energy totals, the
register of retained topics, the cloud account and its quota, firmware requests."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest

from setsmart.cloud.models import UpgradeInfo
from setsmart.config import CloudConfig, DeviceConfig, Secret
from setsmart.daemon import firmware
from setsmart.daemon.cloud_account import CloudAccount
from setsmart.daemon.cloud_route import CloudTuning
from setsmart.daemon.energy import EnergyStore
from setsmart.daemon.firmware_request import FirmwareOutcome, firmware_request
from setsmart.daemon.learnt_keys import LearntKeys
from setsmart.daemon.retained import RetainedTopics
from setsmart.daemon.runtime import RouteError
from setsmart.daemon.saver import StateSaver
from setsmart.daemon.store import (
    CloudUsage,
    StateStore,
    load_cloud_usage,
    load_energy,
    load_local_keys,
    load_published,
    save_cloud_usage,
    save_energy,
    save_published,
)
from setsmart.devices import EnergyMeter
from setsmart.mqtt.payloads import LogLevel
from tests.support.fake_cloud import FakeCloud, FakeDevice

DEVICE_ID = "bfkeeping00000000001"


def saver(tmp_path: Path, errors: list[str] | None = None) -> StateSaver:
    sink = errors if errors is not None else []
    return StateSaver(StateStore(tmp_path / "state"), sink.append)


class Tasks:
    """A spawner that keeps what it started, for the test to wait on."""

    def __init__(self) -> None:
        self.started: list[asyncio.Task[None]] = []

    def __call__(
        self, coro: Coroutine[Any, Any, None], name: str, context: contextvars.Context | None = None
    ) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self.started.append(task)
        return task

    async def settle(self) -> None:
        await asyncio.gather(*self.started)


# State writes ---------------------------------------------------------------------------


async def test_a_failed_save_is_one_readable_line(tmp_path: Path) -> None:
    (tmp_path / "state").write_text("a file where the directory should be")
    errors: list[str] = []
    writer = saver(tmp_path, errors)
    await writer.write(save_energy, {DEVICE_ID: EnergyMeter(1.0)})
    assert not writer.write_now(save_energy, {DEVICE_ID: EnergyMeter(1.0)})
    assert len(errors) == 2
    assert all(e.startswith("could not save state: ") and "\n" not in e for e in errors)


# Energy ---------------------------------------------------------------------------------


async def test_energy_totals_are_saved_when_changed_and_survive_a_restart(tmp_path: Path) -> None:
    totals = EnergyStore(saver(tmp_path))
    assert totals.load() == []
    meter = totals.meter(DEVICE_ID)
    assert totals.meter(DEVICE_ID) is meter  # one meter per device, across reloads
    meter.kwh = 1.5
    await totals.save()
    assert load_energy(totals.saver.store).value == {}  # unchanged as far as it knows
    totals.changed()
    await totals.save()
    assert load_energy(totals.saver.store).value[DEVICE_ID].kwh == 1.5
    meter.kwh = 2.0
    totals.changed()
    totals.save_now()  # at exit
    again = EnergyStore(saver(tmp_path))
    again.load()
    assert again.meter(DEVICE_ID).kwh == 2.0


# Retained topics ------------------------------------------------------------------------


async def test_the_register_saves_itself_and_gives_back_what_to_clear(tmp_path: Path) -> None:
    tasks = Tasks()
    register = RetainedTopics(saver(tmp_path), tasks)
    assert register.load() == []
    register.set(DEVICE_ID, ["st/plug", "st/plug/availability", "st/plug"])
    register.add(DEVICE_ID, "st/plug/firmware")
    register.set("bfother00000000000001", ["st/other"])
    await tasks.settle()
    assert len(tasks.started) == 1  # changes in a row: one save, of the map as it is then
    saved = load_published(register.saver.store).value
    assert saved[DEVICE_ID] == ("st/plug", "st/plug/availability", "st/plug/firmware")
    assert register.forget_all_but([DEVICE_ID]) == ["st/other"]
    assert register.forget(DEVICE_ID) == ("st/plug", "st/plug/availability", "st/plug/firmware")
    assert register.forget(DEVICE_ID) == ()
    await tasks.settle()
    assert load_published(register.saver.store).value == {}


async def test_an_unchanged_register_is_not_saved(tmp_path: Path) -> None:
    save_published(StateStore(tmp_path / "state"), {DEVICE_ID: ["st/b", "st/a"]})
    tasks = Tasks()
    register = RetainedTopics(saver(tmp_path), tasks)
    register.load()
    assert register.of(DEVICE_ID) == ("st/a", "st/b")
    register.set(DEVICE_ID, ["st/a", "st/b"])
    register.add(DEVICE_ID, "st/a")
    assert tasks.started == []


# Learnt keys ----------------------------------------------------------------------------


async def test_learnt_keys_are_kept_forgotten_and_saved(tmp_path: Path) -> None:
    tasks = Tasks()
    keys = LearntKeys(saver(tmp_path), tasks)
    assert keys.load() == []
    keys.keep(DEVICE_ID, Secret("fedcba9876543210"))
    await tasks.settle()
    again = LearntKeys(saver(tmp_path), tasks)
    again.load()
    key = again.get(DEVICE_ID)
    assert key is not None
    assert key.reveal() == "fedcba9876543210"
    again.keep(DEVICE_ID, None)
    again.keep(DEVICE_ID, None)  # nothing kept: nothing to save
    await tasks.settle()
    assert len(tasks.started) == 2
    assert load_local_keys(again.saver.store).value == {}


# The cloud account ----------------------------------------------------------------------


def settings(cloud: FakeCloud) -> CloudConfig:
    return CloudConfig(Secret(cloud.client_id), Secret(cloud.secret), "eu", endpoint=cloud.base_url)


async def test_the_account_counts_warns_and_saves_its_calls(tmp_path: Path) -> None:
    lines: list[tuple[LogLevel, str]] = []
    tasks = Tasks()

    def report(level: LogLevel, message: str) -> None:
        lines.append((level, message))

    tuning = CloudTuning(timeout=2.0, max_attempts=1, monthly_call_limit=5)
    async with FakeCloud() as cloud:
        cloud.add_device(FakeDevice.plug(DEVICE_ID, "0123456789abcdef"))
        account = CloudAccount(saver(tmp_path), tuning, report, tasks)
        assert account.load() == []
        account.open(settings(cloud))
        route = account.route(DeviceConfig(id=DEVICE_ID, name="plug"))
        assert route is not None
        for _ in range(3):
            await route.online()
        await tasks.settle()
        assert [level for level, _ in lines] == ["warning"]  # 80 % of 5
        assert "4 times this month" in lines[0][1]
        calls = len(cloud.calls)
        await account.close()
        assert account.client is None
        assert account.route(DeviceConfig(id=DEVICE_ID, name="plug")) is None
    assert load_cloud_usage(account.saver.store).value.calls == calls


async def test_a_count_from_an_earlier_run_carries_over(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state")
    month = CloudUsage().month
    save_cloud_usage(store, CloudUsage(month, 7, 1))
    async with FakeCloud() as cloud:
        account = CloudAccount(saver(tmp_path), CloudTuning(), lambda *_: None, Tasks())
        account.load()
        account.open(settings(cloud))
        assert account.client is not None
        assert account.client.calls_this_month == 7
        await account.close()


async def test_without_a_cloud_section_there_is_no_client(tmp_path: Path) -> None:
    account = CloudAccount(saver(tmp_path), CloudTuning(), lambda *_: None, Tasks())
    account.open(None)
    assert account.client is None
    await account.close()


# Firmware requests ----------------------------------------------------------------------


class Route:
    """A cloud route with two modules, the second with an upgrade."""

    name = "plug"
    device_id = DEVICE_ID

    def __init__(self, *, fail: bool = False) -> None:
        self.upgraded: list[int | None] = []
        self.fail = fail

    async def firmware(self) -> list[UpgradeInfo]:
        if self.fail:
            raise RouteError("plug: the Tuya cloud did not answer")
        upgrading = bool(self.upgraded)
        return [
            UpgradeInfo(0, 0, "1.0", "", "", ""),
            UpgradeInfo(9, 2 if upgrading else 1, "1.1", "1.2", "", ""),
        ]

    async def upgrade(self, module: int | None = None) -> bool:
        self.upgraded.append(module)
        return True


@pytest.mark.parametrize(
    ("order", "upgraded", "error"),
    [
        (None, [], None),
        (firmware.FirmwareOrder(None), [9], None),
        (firmware.FirmwareOrder(9), [9], None),
        (firmware.FirmwareOrder(0), [], "plug: no firmware upgrade is available for module 0"),
    ],
)
async def test_firmware_check_and_upgrade(
    order: firmware.FirmwareOrder | None, upgraded: list[int], error: str | None
) -> None:
    route, lines = Route(), list[str]()
    outcome = await firmware_request(route, order, lines.append)  # type: ignore[arg-type]
    assert route.upgraded == upgraded
    assert outcome.error == error
    assert outcome.infos is not None  # published in every case
    assert len(lines) == len(upgraded)
    if upgraded:
        assert "firmware upgrade started" in lines[0]
        assert "1.1 -> 1.2" in lines[0]


async def test_a_firmware_request_the_cloud_fails_publishes_nothing() -> None:
    outcome = await firmware_request(Route(fail=True), None, print)  # type: ignore[arg-type]
    assert outcome == FirmwareOutcome(None, "plug: the Tuya cloud did not answer")
