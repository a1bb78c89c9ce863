"""Firmware over MQTT: topics, requests and the document (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from setsmart.cloud.models import UpgradeInfo
from setsmart.daemon.firmware import (
    FirmwareOrder,
    FirmwareRequestError,
    decode_request,
    filters,
    firmware_document,
    parse_topic,
    state_topic,
)

CHECKED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def info(module: int, status: int, current: str = "1.0.0", upgrade: str = "") -> UpgradeInfo:
    return UpgradeInfo(module, status, current, upgrade, "", "")


def test_topics() -> None:
    assert state_topic("st", "plug") == "st/plug/firmware"
    assert filters("st") == ("st/+/firmware/get", "st/+/firmware/set")
    assert parse_topic("st", "st/plug/firmware/get") == ("plug", "get")
    assert parse_topic("st", "st/plug/firmware/set") == ("plug", "set")
    for other in (
        "st/plug/firmware",
        "st/plug/firmware/other",
        "st/plug/set",
        "st/bridge/firmware/get",
        "st/a/b/firmware/get",
        "xx/plug/firmware/get",
        "st/pl+ug/firmware/get",
    ):
        assert parse_topic("st", other) is None, other


@pytest.mark.parametrize(
    ("payload", "order"),
    [
        (b"upgrade", FirmwareOrder()),
        (b" UPGRADE\n", FirmwareOrder()),
        (b'{"upgrade": true}', FirmwareOrder()),
        (b'{"upgrade": true, "module": 9}', FirmwareOrder(9)),
    ],
)
def test_upgrade_requests(payload: bytes, order: FirmwareOrder) -> None:
    assert decode_request(payload) == order


@pytest.mark.parametrize(
    ("payload", "hint"),
    [
        (b"", "unknown firmware request"),
        (b"downgrade", "unknown firmware request 'downgrade'"),
        (b"{}", "asks for no upgrade"),
        (b'{"upgrade": "yes"}', "asks for no upgrade"),
        (b"[true]", "asks for no upgrade"),
        (b'{"upgrade": true, "force": 1}', "unknown key 'force'"),
        (b'{"upgrade": true, "module": "wifi"}', "'module' must be a whole number"),
        (b'{"upgrade": true, "module": true}', "'module' must be a whole number"),
        (b"\xff\xfe", "not UTF-8"),
        (b"x" * 2000, "longer than"),
    ],
)
def test_bad_requests_say_what_to_send(payload: bytes, hint: str) -> None:
    with pytest.raises(FirmwareRequestError) as caught:
        decode_request(payload)
    assert hint in str(caught.value)
    assert "upgrade" in str(caught.value)


def test_the_document_names_the_main_module_and_every_module() -> None:
    document = firmware_document(
        [info(9, 0, "2.0.0"), info(0, 1, "1.1.5", "1.2.0"), info(7, 8)], CHECKED
    )
    assert document == {
        "current": "1.1.5",
        "available": "1.2.0",
        "update_available": True,
        "upgrading": False,
        "modules": [
            {
                "module": "mcu",
                "type": 9,
                "current": "2.0.0",
                "available": None,
                "status": "none",
                "description": None,
            },
            {
                "module": "wifi",
                "type": 0,
                "current": "1.1.5",
                "available": "1.2.0",
                "status": "available",
                "description": None,
            },
            {
                "module": "module_7",
                "type": 7,
                "current": "1.0.0",
                "available": None,
                "status": "status_8",
                "description": None,
            },
        ],
        "checked": "2026-01-02T03:04:05Z",
    }


def test_the_document_while_upgrading_and_without_modules() -> None:
    upgrading = firmware_document([info(9, 2, "2.0.0", "2.1.0")], CHECKED)
    assert upgrading["current"] == "2.0.0"
    assert upgrading["available"] is None  # already being installed
    assert upgrading["upgrading"] is True
    assert upgrading["update_available"] is False
    empty = firmware_document([], CHECKED)
    assert empty["current"] is None
    assert empty["modules"] == []
