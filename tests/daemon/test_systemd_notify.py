"""The sd_notify client against real AF_UNIX datagram sockets, by path and abstract."""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from setsmart.daemon.systemd import Notifier


class Listener:
    """A datagram socket standing in for systemd's notification socket."""

    def __init__(self, sock: socket.socket, env_value: str) -> None:
        self.sock = sock
        self.env_value = env_value

    def receive(self) -> dict[str, str]:
        data = self.sock.recv(4096)
        return dict(line.split("=", 1) for line in data.decode().split("\n"))

    def nothing_sent(self) -> bool:
        try:
            self.sock.recv(4096)
        except BlockingIOError:
            return True
        return False


@pytest.fixture(params=["path", "abstract"])
def listener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Listener]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if request.param == "path":
        path = tmp_path / "notify"
        sock.bind(str(path))
        env_value = str(path)
    else:
        name = f"setsmart-test-{secrets.token_hex(8)}"
        sock.bind(b"\0" + name.encode())
        env_value = "@" + name
    sock.setblocking(False)
    with sock:
        yield Listener(sock, env_value)


def test_ready_sends_ready(listener: Listener) -> None:
    with Notifier({"NOTIFY_SOCKET": listener.env_value}) as notifier:
        assert notifier.enabled
        assert notifier.ready()
    assert listener.receive() == {"READY": "1"}


def test_ready_with_status_is_one_datagram(listener: Listener) -> None:
    with Notifier({"NOTIFY_SOCKET": listener.env_value}) as notifier:
        notifier.ready("3/4 devices online")
    assert listener.receive() == {"READY": "1", "STATUS": "3/4 devices online"}
    assert listener.nothing_sent()


def test_status_is_kept_on_one_line(listener: Listener) -> None:
    with Notifier({"NOTIFY_SOCKET": listener.env_value}) as notifier:
        notifier.status("2 online\nREADY=1")
    # A newline in the text must not smuggle in a second field.
    assert listener.receive() == {"STATUS": "2 online READY=1"}


def test_stopping_and_reloading(listener: Listener) -> None:
    with Notifier({"NOTIFY_SOCKET": listener.env_value}) as notifier:
        notifier.stopping()
        assert listener.receive() == {"STOPPING": "1"}
        before = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        notifier.reloading("reloading configuration")
        fields = listener.receive()
        after = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        notifier.ready()
        assert listener.receive() == {"READY": "1"}
    assert fields["RELOADING"] == "1"
    assert fields["STATUS"] == "reloading configuration"
    assert before <= int(fields["MONOTONIC_USEC"]) <= after


def test_watchdog_interval_is_half_the_timeout(listener: Listener) -> None:
    env = {"NOTIFY_SOCKET": listener.env_value, "WATCHDOG_USEC": "30000000"}
    with Notifier(env) as notifier:
        assert notifier.watchdog_timeout == 30.0
        assert notifier.watchdog_interval == 15.0
        assert notifier.watchdog()
    assert listener.receive() == {"WATCHDOG": "1"}


def test_watchdog_for_this_pid(listener: Listener) -> None:
    env = {
        "NOTIFY_SOCKET": listener.env_value,
        "WATCHDOG_USEC": "500000",
        "WATCHDOG_PID": str(os.getpid()),
    }
    assert Notifier(env).watchdog_interval == 0.25


def test_watchdog_for_another_pid_is_off(listener: Listener) -> None:
    env = {
        "NOTIFY_SOCKET": listener.env_value,
        "WATCHDOG_USEC": "30000000",
        "WATCHDOG_PID": "1",
    }
    with Notifier(env, pid=4242) as notifier:
        assert notifier.watchdog_interval is None
        assert not notifier.watchdog()
    assert listener.nothing_sent()


@pytest.mark.parametrize("usec", ["", "0", "abc", "-5"])
def test_watchdog_off_without_a_valid_timeout(listener: Listener, usec: str) -> None:
    env = {"NOTIFY_SOCKET": listener.env_value, "WATCHDOG_USEC": usec}
    with Notifier(env) as notifier:
        assert notifier.watchdog_interval is None
        assert not notifier.watchdog()
    assert listener.nothing_sent()


def test_not_under_systemd_does_nothing() -> None:
    notifier = Notifier({"WATCHDOG_USEC": "30000000"})
    assert not notifier.enabled
    assert notifier.watchdog_interval is None
    assert not notifier.ready("status")
    assert not notifier.status("x")
    assert not notifier.watchdog()
    assert not notifier.stopping()
    assert not notifier.reloading()
    notifier.close()


@pytest.mark.parametrize("value", ["vsock:2:1234", "relative/path"])
def test_unusable_socket_address_does_nothing(value: str) -> None:
    notifier = Notifier({"NOTIFY_SOCKET": value})
    assert not notifier.enabled
    assert not notifier.ready()


def test_send_failure_does_not_raise(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG", logger="setsmart.daemon.systemd")
    with Notifier({"NOTIFY_SOCKET": str(tmp_path / "gone")}) as notifier:
        assert notifier.enabled
        assert not notifier.ready()
        assert not notifier.status("still fine")
    assert "sd_notify: sending READY failed" in caplog.text


def test_full_socket_does_not_block(tmp_path: Path) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(tmp_path / "notify"))
        with Notifier({"NOTIFY_SOCKET": str(tmp_path / "notify")}) as notifier:
            started = time.monotonic()
            results = [notifier.status("x" * 1000) for _ in range(2000)]
            assert time.monotonic() - started < 2
    # Nobody reads: the queue fills, sends then fail instead of blocking the event loop.
    assert results[0]
    assert not results[-1]


def test_reopens_after_close(listener: Listener) -> None:
    notifier = Notifier({"NOTIFY_SOCKET": listener.env_value})
    notifier.ready()
    notifier.close()
    notifier.stopping()
    notifier.close()
    assert listener.receive() == {"READY": "1"}
    assert listener.receive() == {"STOPPING": "1"}


def test_reads_the_process_environment(listener: Listener, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", listener.env_value)
    monkeypatch.setenv("WATCHDOG_USEC", "2000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    with Notifier() as notifier:
        assert notifier.watchdog_interval == 1.0
        notifier.watchdog()
    assert listener.receive() == {"WATCHDOG": "1"}
