"""What a watchdog sees of its device, and how it switches a socket back on."""

from __future__ import annotations

from typing import Any

import pytest

from setsmart.config import DeviceConfig, LanConfig
from setsmart.daemon import machine as m
from setsmart.daemon.runtime import DeviceRuntime
from setsmart.daemon.watchdog import socket_of, switch_on_payload
from setsmart.daemon.watchdog_rule import Socket
from setsmart.devices import profile_for


class Quiet:
    """An outbox that drops everything (nothing is published here)."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def runtime(
    kind: str, dps: dict[str, object], *, online: bool = True, **roles: int
) -> DeviceRuntime:
    device = DeviceRuntime(DeviceConfig(id="bfx", name="plug", type=kind), LanConfig(), Quiet())
    device.profile = profile_for(kind, roles, dps)
    device.dps = dict(dps)  # type: ignore[arg-type]
    if online:  # the machine's own record of a live session, without a link to drive it
        device.machine.handle(m.Start(0.0))
        device.machine.handle(m.LinkUp(0.0))
    return device


NO_COUNTDOWN = (
    "plug has no countdown DP, so it would not switch itself back on if the daemon "
    "stopped during the cycle"
)


@pytest.mark.parametrize(
    ("device", "seen"),
    [
        (runtime("plug", {"1": True, "9": 0}), Socket(True, True)),
        (runtime("plug", {"1": False, "9": 0}), Socket(True, False)),
        (runtime("plug", {"1": True, "9": 0}, online=False), Socket(False, True)),
        (runtime("strip", {"1": True, "2": True, "9": 0, "10": 0}), Socket(True, True)),
        # One gang off: the countdown would switch it on, so the strip counts as off.
        (runtime("strip", {"1": True, "2": False, "9": 0, "10": 0}), Socket(True, False)),
        # The legacy plug map has no countdown DP.
        (runtime("plug", {"1": True, "4": 0, "5": 0, "6": 2300}), Socket(True, None, NO_COUNTDOWN)),
        (runtime("raw", {"1": True}, state=1), Socket(True, None, NO_COUNTDOWN)),
        (runtime("raw", {"1": True, "9": 0}, state=1, countdown=9), Socket(True, True)),
        (runtime("raw", {"5": 3}), Socket(True, None, "plug has no switch")),
    ],
)
def test_what_the_watchdog_sees(device: DeviceRuntime, seen: Socket) -> None:
    assert socket_of("plug", device) == seen


def test_a_device_not_running_or_not_read_yet_is_unknown() -> None:
    assert socket_of("plug", None) == Socket(False, None)
    device = runtime("plug", {"1": True})
    device.profile = None
    assert socket_of("plug", device) == Socket(True, None)


def test_switching_back_on_stops_every_countdown() -> None:
    strip = runtime("strip", {"1": False, "2": False, "9": 600, "10": 600})
    assert switch_on_payload(strip) == {"dps": {"1": True, "9": 0, "2": True, "10": 0}}
    assert switch_on_payload(runtime("raw", {"5": 3})) is None
