"""Finding the protocol version of a device that neither the config nor a beacon names."""

from __future__ import annotations

import dataclasses

import pytest

from setsmart.lan.errors import ConnectFailed
from setsmart.lan.probe import probe_version
from setsmart.protocol import Version
from setsmart.sim import SimDevice
from tests.lan.helpers import KEY, new_id, target_for

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize("version", ["3.1", "3.3", "3.4", "3.5"])
async def test_the_version_that_answers_is_found(version: Version) -> None:
    async with SimDevice(new_id(), KEY, version, "plug", host="127.0.0.81") as device:
        guess = target_for(device, version="3.3")  # what a caller without a clue starts from
        assert await probe_version(guess, time_limit=0.5) == version


async def test_a_device_that_refuses_connections_is_not_probed_further() -> None:
    async with SimDevice(new_id(), KEY, "3.3", "plug", host="127.0.0.82") as device:
        device.refuse = True
        with pytest.raises(ConnectFailed, match="cannot connect"):
            await probe_version(target_for(device), time_limit=0.5)


async def test_nothing_answers_with_a_wrong_key() -> None:
    async with SimDevice(new_id(), KEY, "3.4", "plug", host="127.0.0.83") as device:
        target = dataclasses.replace(target_for(device), local_key=b"fedcba9876543210")
        with pytest.raises(ConnectFailed, match="no protocol version worked") as caught:
            await probe_version(target, time_limit=0.5)
    assert "fedcba9876543210" not in str(caught.value)
