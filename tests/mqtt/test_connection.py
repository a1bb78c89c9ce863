"""The asyncio connection against a real mosquitto: refusals, a broker that stops
answering, the last will, and the bridge coming back after being pushed off."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
from pathlib import Path

import pytest

from setsmart.mqtt.connection import Endpoint, connect
from setsmart.mqtt.errors import ConnectionLost, ConnectRefused, KeepaliveTimeout
from setsmart.mqtt.session import ConnectOptions
from tests.mqtt.test_bridge import STATUS, running_bridge
from tests.support.broker import Broker, free_tcp_port, running_broker
from tests.support.mqtt_client import recorder

pytestmark = pytest.mark.timeout(30)


async def test_wrong_credentials_are_refused_with_the_brokers_reason(tmp_path: Path) -> None:
    passwords = tmp_path / "passwords"
    passwords.touch()
    passwd = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
    setup = await asyncio.create_subprocess_exec(passwd, "-b", str(passwords), "user", "right")
    assert await setup.wait() == 0
    # As root, mosquitto would drop to a user that cannot read tmp_path.
    access = f"allow_anonymous false\npassword_file {passwords}\nuser root\n"
    broker = Broker(tmp_path, access=access)
    await broker.start()
    try:
        endpoint = Endpoint(broker.host, broker.port)
        options = ConnectOptions("c1", username="user", password="wrong")
        with pytest.raises(ConnectRefused) as refused:
            await connect(endpoint, options, print)
        assert refused.value.reason_code in {134, 135}  # bad user name or password; not authorized
        assert "wrong" not in str(refused.value)
        good = await connect(
            endpoint, ConnectOptions("c2", username="user", password="right"), print
        )
        good.close()
        await good.closed()
    finally:
        await broker.stop()


async def test_nobody_listening_is_one_clear_error() -> None:
    port = free_tcp_port()
    with pytest.raises(ConnectionLost, match=f"cannot connect to 127.0.0.1:{port}"):
        await connect(Endpoint("127.0.0.1", port), ConnectOptions("c"), print)


async def test_a_broker_that_stops_answering_is_noticed_by_keepalive(tmp_path: Path) -> None:
    async with running_broker(tmp_path) as broker:
        connection = await connect(
            Endpoint(broker.host, broker.port), ConnectOptions("c", keep_alive=1), print
        )
        assert broker.process is not None
        loop = asyncio.get_running_loop()
        started = loop.time()
        os.kill(broker.process.pid, signal.SIGSTOP)
        try:
            with pytest.raises(KeepaliveTimeout, match="did not answer a PINGREQ"):
                await connection.closed()
        finally:
            os.kill(broker.process.pid, signal.SIGCONT)
        assert loop.time() - started < 2.5  # one and a half keepalive intervals at most


async def test_the_bridge_pushed_off_leaves_its_will_and_comes_back(tmp_path: Path) -> None:
    async with (
        running_broker(tmp_path) as broker,
        running_bridge(broker, []) as bridge,
        recorder(broker.host, broker.port, STATUS) as rec,
    ):
        await rec.wait_for(STATUS, lambda m: m.payload == b"online")
        mark = rec.mark()
        connections = bridge.connections
        # Another client with the bridge's id takes its session: the broker drops the
        # bridge without a DISCONNECT from it, so its last will is published.
        intruder = await connect(
            Endpoint(broker.host, broker.port), ConnectOptions("bridge-under-test"), print
        )
        await rec.wait_for(STATUS, lambda m: m.payload == b"offline", since=mark)
        intruder.close()
        await rec.wait_for(STATUS, lambda m: m.payload == b"online", since=mark)
        assert bridge.connections > connections
