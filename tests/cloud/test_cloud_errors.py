"""Tuya error codes -> what the user is told, and redaction of quoted replies."""

from __future__ import annotations

import pytest

from setsmart.cloud.errors import (
    CloudAuthError,
    CloudBusyError,
    CloudError,
    CloudPermissionError,
    CloudPlanError,
    CloudRequestError,
    CloudTokenError,
    error_for_code,
    excerpt,
    redact,
    shorten,
)

WHAT = "GET /v1.0/devices/bf01"


def _error(code: int, msg: str = "m", region: str = "eu") -> CloudError:
    return error_for_code(code, msg, region=region, what=WHAT)


@pytest.mark.parametrize(
    ("code", "kind", "message"),
    [
        (
            1004,
            CloudAuthError,
            "the Tuya cloud refused the request signature: the API secret is wrong "
            "(sign invalid); check cloud.api_secret (the project's Access Secret)",
        ),
        (
            1005,
            CloudAuthError,
            "the Tuya cloud does not know this Access ID: the API key is wrong "
            "(client id invalid); check cloud.api_key",
        ),
        (
            1106,
            CloudPermissionError,
            f"the Tuya cloud denied {WHAT} (permission deny) in region 'in': check the data "
            "centre, the cloud project's region must match the app account's, and the app "
            "account must be linked to the project",
        ),
        (
            28841002,
            CloudPlanError,
            "the Tuya cloud plan has expired (code 28841002): extend the project's IoT Core "
            "service on the Tuya developer platform",
        ),
        (
            28841004,
            CloudPlanError,
            "the Tuya cloud trial quota is used up (code 28841004): wait for next month's "
            "quota or upgrade the project's plan",
        ),
        (
            1010,
            CloudTokenError,
            f"the Tuya cloud refused the access token for {WHAT} (token expired, code 1010) "
            "even after fetching a new one",
        ),
        (
            1011,
            CloudTokenError,
            f"the Tuya cloud refused the access token for {WHAT} (token invalid, code 1011) "
            "even after fetching a new one",
        ),
        (
            1110,
            CloudBusyError,
            "the Tuya cloud is busy (concurrent requests over the limit, code 1110); "
            "tried once, try again later",
        ),
        (
            1111,
            CloudBusyError,
            "the Tuya cloud is busy (system busy, code 1111); tried once, try again later",
        ),
        (
            1199,
            CloudBusyError,
            "the Tuya cloud is busy (requests too frequent, code 1199); tried once, "
            "try again later",
        ),
        (
            1013,
            CloudRequestError,
            "the Tuya cloud refused the request time (request time invalid, code 1013): "
            "set this computer's clock right (NTP)",
        ),
        (1108, CloudRequestError, f"the Tuya cloud refused {WHAT}: m (code 1108)"),
        (2009, CloudRequestError, f"the Tuya cloud refused {WHAT}: m (code 2009)"),
    ],
)
def test_every_code_says_what_to_do(code: int, kind: type[CloudError], message: str) -> None:
    error = _error(code, region="in")
    assert type(error) is kind
    assert str(error) == message
    assert error.message == message
    assert error.code == code


def test_an_unknown_code_without_a_message() -> None:
    assert str(_error(2001, msg="")) == f"the Tuya cloud refused {WHAT} (code 2001)"


def test_busy_after_several_attempts() -> None:
    first = _error(1199)
    assert isinstance(first, CloudBusyError)
    later = first.after(4)
    assert (later.code, later.attempts, later.reason) == (1199, 4, first.reason)
    assert "tried 4 times" in str(later)


def test_redact_blanks_known_secrets_and_secret_members() -> None:
    text = (
        '{"local_key":"k1\\"x","access_token": "t1", "refreshToken":"t2", "sign":"s",'
        ' "name":"lamp", "password":"pw"} and SECRET-VALUE'
    )
    assert redact(text, ["SECRET-VALUE", ""]) == (
        '{"local_key":"***","access_token": "***", "refreshToken":"***", "sign":"***",'
        ' "name":"lamp", "password":"***"} and ***'
    )


def test_redact_replaces_the_longest_secret_first() -> None:
    assert redact("abcdef abc", ["abc", "abcdef"]) == "*** ***"


def test_redact_handles_a_value_cut_short() -> None:
    assert redact('{"localKey":"0123456789ab') == '{"localKey":"***"'


def test_shorten_makes_one_short_line() -> None:
    assert shorten("a\n  b\tc") == "a b c"
    long = "x" * 200
    assert shorten(long, limit=20) == "x" * 17 + "..."


def test_excerpt_quotes_bytes_and_text() -> None:
    assert excerpt(b"<html>\n<body>bad gateway</body>") == "'<html> <body>bad gateway</body>'"
    assert excerpt("caf\xe9 \u2603") == "'caf\xe9 \u2603'"
    assert excerpt(b"\xff\xfe") == "'\ufffd\ufffd'"
    assert excerpt(b'{"access_token":"abc"}', limit=30) == '\'{"access_token":"***"}\''
