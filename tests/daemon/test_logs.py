"""Logging as a user of the daemon sees it: JSON for journald, key-value on a terminal,
the device on every line of its task, and no secret in any line."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import pytest

from setsmart.config import Secret, load_config
from setsmart.daemon.logs import (
    MASK,
    LoggingConfigError,
    bind_device,
    configure_logging,
    device_context,
    get_logger,
    redact,
    register_secret,
    reset_logging,
    secrets_in,
    set_device,
)

LOCAL_KEY = "0123456789abcdef"


@pytest.fixture(autouse=True)
def _clean_logging() -> Iterator[None]:
    reset_logging()
    yield
    reset_logging()


def fail(exc: Exception) -> None:
    raise exc


def json_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def json_logging(**kwargs: Any) -> io.StringIO:
    stream = io.StringIO()
    configure_logging(stream=stream, **kwargs)
    return stream


# --- formats -------------------------------------------------------------------------


def test_json_lines_when_not_a_terminal() -> None:
    stream = json_logging()
    get_logger("setsmart.test").info("device online", host="127.0.0.5", port=6668)
    [line] = json_lines(stream)
    assert line["event"] == "device online"
    assert line["level"] == "info"
    assert line["logger"] == "setsmart.test"
    assert line["host"] == "127.0.0.5"
    assert line["port"] == 6668
    stamp = datetime.fromisoformat(line["timestamp"])
    assert stamp.utcoffset() == UTC.utcoffset(None)
    assert abs((datetime.now(UTC) - stamp).total_seconds()) < 60
    assert list(line)[:3] == ["timestamp", "level", "event"]


def test_console_format_without_colours_off_a_terminal() -> None:
    stream = io.StringIO()
    configure_logging(stream=stream, json=False)
    get_logger("setsmart.test").warning("device offline", host="127.0.0.5")
    text = stream.getvalue()
    assert "device offline" in text
    assert "host=127.0.0.5" in text
    assert "warning" in text
    assert "\x1b[" not in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


class Terminal:
    """A pseudo-terminal: ``stream`` is a TTY, ``read`` gives what was written to it."""

    def __init__(self, stream: TextIO, leader: int) -> None:
        self.stream = stream
        self._leader = leader

    def read(self) -> str:
        self.stream.flush()
        return os.read(self._leader, 65536).decode()


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    leader, follower = os.openpty()
    os.set_blocking(leader, False)
    try:
        with os.fdopen(follower, "w") as stream:
            yield Terminal(stream, leader)
    finally:
        os.close(leader)


def test_terminal_gets_coloured_key_values(terminal: Terminal) -> None:
    configure_logging(stream=terminal.stream, environ={})
    get_logger("setsmart.test").info("hello", answer=42)
    text = terminal.read()
    assert "hello" in text
    assert "answer" in text
    assert "\x1b[" in text
    assert not text.lstrip().startswith("{")


def test_no_color_is_respected(terminal: Terminal) -> None:
    configure_logging(stream=terminal.stream, environ={"NO_COLOR": "1"})
    get_logger("setsmart.test").info("hello", answer=42)
    text = terminal.read()
    assert "answer=42" in text
    assert "\x1b[" not in text


def test_json_can_be_forced_on_a_terminal(terminal: Terminal) -> None:
    configure_logging(stream=terminal.stream, json=True)
    get_logger("setsmart.test").info("hello")
    assert json.loads(terminal.read())["event"] == "hello"


def test_configuring_again_replaces_the_setup() -> None:
    first = json_logging()
    second = json_logging(level="debug")
    log = get_logger("setsmart.test")
    log.debug("once")
    logging.getLogger("aiomqtt").debug("once too")
    assert first.getvalue() == ""
    assert [line["event"] for line in json_lines(second)] == ["once", "once too"]


def test_level_filters_structlog_and_stdlib() -> None:
    stream = json_logging(level="warning")
    log = get_logger("setsmart.test")
    log.info("hidden")
    logging.getLogger("aiomqtt").info("hidden too")
    log.warning("shown")
    logging.getLogger("aiomqtt").error("shown too")
    assert [line["event"] for line in json_lines(stream)] == ["shown", "shown too"]


def test_http_request_lines_only_at_debug() -> None:
    stream = json_logging(level="info")
    logging.getLogger("httpx").info("HTTP Request: GET http://127.0.0.1/")
    logging.getLogger("httpx").warning("retrying")
    assert [line["event"] for line in json_lines(stream)] == ["retrying"]


def test_unknown_level_is_a_readable_error() -> None:
    with pytest.raises(LoggingConfigError, match="unknown log level 'loud'"):
        configure_logging(level="loud", stream=io.StringIO())


def test_stdlib_exception_is_rendered() -> None:
    stream = json_logging()
    try:
        fail(RuntimeError("socket closed"))
    except RuntimeError:
        logging.getLogger("asyncio").exception("task failed")
    [line] = json_lines(stream)
    assert line["event"] == "task failed"
    assert line["level"] == "error"
    assert "RuntimeError: socket closed" in line["exception"]


def test_journald_gets_a_priority_prefix(tmp_path: Path) -> None:
    with (tmp_path / "journal").open("w") as stream:
        stat = os.fstat(stream.fileno())
        configure_logging(stream=stream, environ={"JOURNAL_STREAM": f"{stat.st_dev}:{stat.st_ino}"})
        get_logger("setsmart.test").info("up")
        logging.getLogger("aiomqtt").warning("slow broker")
        get_logger("setsmart.test").error("broken")
    lines = (tmp_path / "journal").read_text().splitlines()
    assert [line[:3] for line in lines] == ["<6>", "<4>", "<3>"]
    assert json.loads(lines[1][3:])["event"] == "slow broker"


def test_no_priority_prefix_on_another_stream(tmp_path: Path) -> None:
    with (tmp_path / "log").open("w") as stream:
        configure_logging(stream=stream, environ={"JOURNAL_STREAM": "1:2"})
        get_logger("setsmart.test").info("up")
    assert json.loads((tmp_path / "log").read_text())["event"] == "up"


# --- device binding ------------------------------------------------------------------


async def test_each_device_task_logs_its_own_device() -> None:
    stream = json_logging()
    log = get_logger("setsmart.daemon")

    async def device_task(name: str) -> None:
        with bind_device(name):
            for step in range(3):
                log.info("step", step=step)
                logging.getLogger("aiomqtt").info("stdlib step %d", step)
                await asyncio.sleep(0)

    async with asyncio.TaskGroup() as group:
        group.create_task(device_task("kitchen"))
        group.create_task(device_task("hall"))
    log.info("all done")

    lines = json_lines(stream)
    assert len(lines) == 13
    devices = [line.get("device") for line in lines[:-1]]
    # The tasks interleave, and each line still names the task's own device.
    assert devices[:4] == ["kitchen", "kitchen", "hall", "hall"]
    assert devices.count("kitchen") == devices.count("hall") == 6
    assert "device" not in lines[-1]


async def test_tasks_started_in_a_device_context_log_their_device() -> None:
    stream = json_logging()
    log = get_logger("setsmart.daemon")

    async def step(n: int) -> None:
        log.info("step", n=n)
        logging.getLogger("aiomqtt").info("stdlib step %d", n)

    loop = asyncio.get_running_loop()
    kitchen, hall = device_context("kitchen"), device_context("hall")
    await asyncio.gather(
        loop.create_task(step(1), context=kitchen),
        loop.create_task(step(2), context=hall),
        loop.create_task(step(3), context=kitchen),
    )
    log.info("outside")
    lines = json_lines(stream)
    assert [(line.get("device"), line["event"]) for line in lines] == [
        ("kitchen", "step"),
        ("kitchen", "stdlib step 1"),
        ("hall", "step"),
        ("hall", "stdlib step 2"),
        ("kitchen", "step"),
        ("kitchen", "stdlib step 3"),
        (None, "outside"),
    ]


async def test_set_device_stays_in_its_task() -> None:
    stream = json_logging()
    log = get_logger("setsmart.daemon")

    async def device_task() -> None:
        set_device("porch")
        log.info("inside")

    await asyncio.create_task(device_task())
    log.info("outside")
    inside, outside = json_lines(stream)
    assert inside["device"] == "porch"
    assert "device" not in outside


def test_set_device_none_unbinds() -> None:
    stream = json_logging()
    set_device("porch")
    set_device(None)
    get_logger().info("unbound")
    assert "device" not in json_lines(stream)[0]


# --- redaction -----------------------------------------------------------------------


def test_local_key_in_the_message_is_masked() -> None:
    stream = json_logging(secrets=[LOCAL_KEY])
    log = get_logger("setsmart.lan")
    log.info(f"handshake with key {LOCAL_KEY} failed")
    log.info("handshake with key %s failed", LOCAL_KEY)
    for line in json_lines(stream):
        assert line["event"] == f"handshake with key {MASK} failed"
    assert LOCAL_KEY not in stream.getvalue()


def test_local_key_in_an_exception_is_masked() -> None:
    stream = json_logging(secrets=[Secret(LOCAL_KEY)])
    try:
        fail(ValueError(f"decrypt failed with {LOCAL_KEY}"))
    except ValueError:
        get_logger("setsmart.lan").exception("session lost")
    [line] = json_lines(stream)
    assert f"ValueError: decrypt failed with {MASK}" in line["exception"]
    assert LOCAL_KEY not in stream.getvalue()


def test_local_key_in_an_exception_on_the_console_is_masked() -> None:
    stream = io.StringIO()
    configure_logging(stream=stream, json=False, secrets=[LOCAL_KEY])
    try:
        fail(ValueError(f"decrypt failed with {LOCAL_KEY}"))
    except ValueError as exc:
        get_logger("setsmart.lan").error("session lost", exc_info=exc)
    assert f"ValueError: decrypt failed with {MASK}" in stream.getvalue()
    assert LOCAL_KEY not in stream.getvalue()


def test_secrets_in_nested_values_are_masked() -> None:
    stream = json_logging(secrets=[LOCAL_KEY])
    get_logger().info(
        "device",
        info={"keys": [LOCAL_KEY, ("x", f"key:{LOCAL_KEY}")], "ok": True, "n": 3},
        raw=LOCAL_KEY.encode(),
        obj=Path(f"/etc/{LOCAL_KEY}"),
    )
    [line] = json_lines(stream)
    assert line["info"] == {"keys": [MASK, ["x", f"key:{MASK}"]], "ok": True, "n": 3}
    assert MASK in line["raw"]
    assert line["obj"] == f"PosixPath('/etc/{MASK}')"
    assert LOCAL_KEY not in stream.getvalue()


@pytest.mark.parametrize(
    "key",
    [
        "local_key",
        "localKey",
        "password",
        "mqtt_password",
        "secret",
        "api_secret",
        "access_token",
        "refresh_token",
        "token",
    ],
)
def test_values_of_secret_keys_are_masked(key: str) -> None:
    stream = json_logging()
    get_logger().info("payload", **{key: "not-registered-1"}, nested={key: "not-registered-2"})
    [line] = json_lines(stream)
    assert line[key] == MASK
    assert line["nested"] == {key: MASK}
    assert "not-registered" not in stream.getvalue()


def test_other_keys_are_left_alone() -> None:
    stream = json_logging()
    get_logger().info("payload", password_file="mqtt_password", key="brightness", tokens=3)
    [line] = json_lines(stream)
    assert line["password_file"] == "mqtt_password"
    assert line["key"] == "brightness"
    assert line["tokens"] == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("connect password=hunter22 host=x", f"connect password={MASK} host=x"),
        ("GET /v1.0/token?access_token=abc123&x=1", f"GET /v1.0/token?access_token={MASK}&x=1"),
        ("{'local_key': 'k3y with space', 'id': 1}", f"{{'local_key': '{MASK}', 'id': 1}}"),
        ('{"api_secret": "s3cr3t"}', f'{{"api_secret": "{MASK}"}}'),
        ("mqtt_password: abc", f"mqtt_password: {MASK}"),
        ("tokens=5 secretary=bob", "tokens=5 secretary=bob"),
    ],
)
def test_secret_key_value_pairs_in_text_are_masked(text: str, expected: str) -> None:
    stream = json_logging()
    logging.getLogger("aiomqtt").warning(text)
    assert json_lines(stream)[0]["event"] == expected
    assert redact(text) == expected


def test_secret_registered_at_run_time() -> None:
    stream = json_logging()
    log = get_logger("setsmart.cloud")
    new_key = "fedcba9876543210"
    log.info(f"before {new_key}")
    register_secret(new_key)
    log.info(f"after {new_key}")
    before, after = json_lines(stream)
    assert before["event"] == f"before {new_key}"
    assert after["event"] == f"after {MASK}"


def test_registrations_survive_reconfiguring() -> None:
    json_logging(secrets=[LOCAL_KEY])
    stream = json_logging(level="debug")
    get_logger().info(LOCAL_KEY)
    assert json_lines(stream)[0]["event"] == MASK


def test_longest_secret_is_masked_whole() -> None:
    stream = json_logging(secrets=["abcd", "abcdefgh"])
    get_logger().info("abcdefgh")
    assert json_lines(stream)[0]["event"] == MASK


def test_short_secret_is_masked_only_as_a_whole_value() -> None:
    stream = json_logging(secrets=["pw1"])
    get_logger().info("pw1", note="pw1 is short", user="pw1")
    [line] = json_lines(stream)
    assert line["event"] == MASK
    assert line["user"] == MASK
    assert line["note"] == "pw1 is short"


def test_stdlib_loggers_are_redacted() -> None:
    stream = json_logging(level="debug", secrets=["broker-pass"])
    logging.getLogger("aiomqtt").debug("CONNECT with %r", {"user": "u", "pw": "broker-pass"})
    logging.getLogger("asyncio").error("oops", extra={"password": "x"})
    first, second = json_lines(stream)
    assert first["event"] == f"CONNECT with {{'user': 'u', 'pw': '{MASK}'}}"
    assert second["password"] == MASK
    assert "broker-pass" not in stream.getvalue()


def test_every_secret_of_a_configuration_is_found(tmp_path: Path) -> None:
    (tmp_path / "mqtt_password").write_text("broker-pass\n")
    (tmp_path / "config.yaml").write_text(
        textwrap.dedent(
            f"""\
            mqtt:
              username: bridge-user
              password_file: {tmp_path / "mqtt_password"}
            cloud:
              region: eu
              api_key: access-id-1234
              api_secret: cloud-secret-5678
            devices:
              - id: bf0123456789abcdefgh
                name: kitchen_plug
                local_key: "{LOCAL_KEY}"
              - id: bf0123456789abcdefgi
                name: cloud_only
            """
        )
    )
    config = load_config(tmp_path / "config.yaml", environ={})
    revealed = {secret.reveal() for secret in secrets_in(config)}
    assert revealed == {
        "bridge-user",
        "broker-pass",
        "access-id-1234",
        "cloud-secret-5678",
        LOCAL_KEY,
    }
    stream = json_logging(secrets=secrets_in(config))
    get_logger().info(f"{LOCAL_KEY} cloud-secret-5678 broker-pass")
    assert json_lines(stream)[0]["event"] == f"{MASK} {MASK} {MASK}"


class Unreadable(dict[str, str]):
    """A mapping that breaks when its items are read (its repr still works)."""

    def items(self) -> Any:
        raise RuntimeError(f"items leak {LOCAL_KEY}")


def test_a_line_that_cannot_be_redacted_is_dropped(capsys: pytest.CaptureFixture[str]) -> None:
    stream = json_logging(secrets=[LOCAL_KEY])
    get_logger().info(f"value {LOCAL_KEY}", odd=Unreadable(a="b"))
    [line] = json_lines(stream)
    assert line["event"] == "log line dropped: redaction failed (RuntimeError)"
    assert LOCAL_KEY not in stream.getvalue() + capsys.readouterr().err


def test_a_failing_write_does_not_print_the_message(capsys: pytest.CaptureFixture[str]) -> None:
    class Broken(io.StringIO):
        def write(self, text: str) -> int:
            if LOCAL_KEY in text or "{" in text:
                raise OSError("disk full")
            return super().write(text)

    stream = Broken()
    configure_logging(stream=stream)
    get_logger().warning(f"unregistered {LOCAL_KEY}")
    assert stream.getvalue() == "setsmart: a WARNING log line could not be written\n"
    assert LOCAL_KEY not in capsys.readouterr().err
