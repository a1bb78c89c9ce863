"""Whatever shape a device's answer to a control takes, the new state is published at once.

Firmwares answer a control in one of three ways (PROTOCOL.md): an empty ack then a STATUS
push, an ack that carries the new DPs itself, or an ack with some DPs and a push with the
rest. The daemon polls never here (`poll: 0`), so only the answer can carry the change.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

import pytest

from setsmart.protocol import VERSIONS, Command
from setsmart.sim import SimDevice
from setsmart.sim.device import REPLY_SHAPES
from tests.daemon.harness import BASE, KEY, Dev, config_text, daemon
from tests.support.broker import running_broker
from tests.support.mqtt_client import recorder

pytestmark = pytest.mark.timeout(90)

# The state must follow the command's answer, not a poll or a heartbeat (every second here).
_WITHIN = 0.9


async def test_every_reply_shape_and_version_updates_the_state_at_once(tmp_path: Path) -> None:
    # Every version, and device22 firmwares (3.3, "json obj data unvalid" to a plain query).
    cases = [(shape, version, False) for shape in REPLY_SHAPES for version in VERSIONS]
    cases += [(shape, "3.3", True) for shape in REPLY_SHAPES]
    async with contextlib.AsyncExitStack() as stack:
        broker = await stack.enter_async_context(running_broker(tmp_path))
        devs = []
        for n, (shape, version, device22) in enumerate(cases):
            sim = await stack.enter_async_context(
                SimDevice(
                    f"bfreply{n:013d}",
                    KEY,
                    version,
                    "strip",
                    host=f"127.0.0.{60 + n}",
                    dps={"1": False, "2": False},
                    reply_shape=shape,
                    device22=device22,
                )
            )
            kind = "_device22" if device22 else ""
            devs.append(Dev(f"strip_{shape}_{version.replace('.', '')}{kind}", sim, "strip"))
        mqtt = await stack.enter_async_context(recorder(broker.host, broker.port, f"{BASE}/#"))
        await stack.enter_async_context(daemon(tmp_path, config_text(broker, devs)))
        for dev in devs:
            await mqtt.wait_for(f"{BASE}/{dev.name}", lambda m: m.json()["state_l2"] == "OFF")

        async def switch_on(dev: Dev) -> None:
            mark = mqtt.mark()
            both_on = json.dumps({"state_l1": "ON", "state_l2": "ON"})
            await mqtt.publish(f"{BASE}/{dev.name}/set", both_on)
            try:
                document = await mqtt.wait_for(
                    f"{BASE}/{dev.name}",
                    lambda m: m.json()["state_l1"] == "ON" and m.json()["state_l2"] == "ON",
                    since=mark,
                    within=_WITHIN,
                )
            except TimeoutError:
                pytest.fail(f"{dev.name}: the new state was not published after the answer")
            assert document.json()["dps"]["1"] is True
            # Only the control and its answer: no status query hid a lost reply.
            assert dev.sim.stats.requests[Command.DP_QUERY] <= 1

        await asyncio.gather(*(switch_on(dev) for dev in devs))
        for dev in devs:
            assert dev.sim.dps["1"] is True
            assert dev.sim.dps["2"] is True
