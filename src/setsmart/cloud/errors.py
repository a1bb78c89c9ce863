"""What can go wrong with the Tuya cloud, each saying what the user must do.

Pure: the mapping from a Tuya error code to an exception, and the redaction of replies
quoted in messages. No message ever carries the API secret, a token or a local key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from setsmart.errors import EXIT_USAGE, SetsmartError

__all__ = [
    "BUSY_CODES",
    "TOKEN_CODES",
    "CloudAuthError",
    "CloudBusyError",
    "CloudConfigError",
    "CloudError",
    "CloudPermissionError",
    "CloudPlanError",
    "CloudProtocolError",
    "CloudRequestError",
    "CloudTimeout",
    "CloudTokenError",
    "CloudUnreachableError",
    "error_for_code",
    "excerpt",
    "redact",
    "shorten",
]

TOKEN_CODES = frozenset({1010, 1011})
BUSY_CODES = frozenset({1110, 1111, 1199})

_BUSY_REASONS = {
    1110: "concurrent requests over the limit",
    1111: "system busy",
    1199: "requests too frequent",
}
_TOKEN_REASONS = {1010: "token expired", 1011: "token invalid"}


def _tries(attempts: int) -> str:
    return "tried once" if attempts == 1 else f"tried {attempts} times"


class CloudError(SetsmartError):
    """Base of every Tuya cloud failure; `code` is Tuya's error code when there is one."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class CloudConfigError(CloudError):
    """The cloud settings (region, endpoint, keys) cannot work."""

    exit_code = EXIT_USAGE


class CloudAuthError(CloudError):
    """The cloud refused the API key or secret (1004 sign invalid, 1005 client id invalid)."""

    exit_code = EXIT_USAGE


class CloudPermissionError(CloudError):
    """1106 permission deny: usually the wrong data centre for the app account."""

    exit_code = EXIT_USAGE


class CloudPlanError(CloudError):
    """The cloud project's plan has expired or its trial quota is used up."""


class CloudTokenError(CloudError):
    """The access token was refused (1010 expired, 1011 invalid) even after fetching it anew."""


class CloudBusyError(CloudError):
    """The cloud asked us to slow down (1110/1111/1199, HTTP 429 or 5xx); worth retrying later."""

    def __init__(self, reason: str, *, code: int | None = None, attempts: int = 1) -> None:
        super().__init__(
            f"the Tuya cloud is busy ({reason}); {_tries(attempts)}, try again later", code=code
        )
        self.reason = reason
        self.attempts = attempts

    def after(self, attempts: int) -> CloudBusyError:
        """The same refusal, reported after `attempts` tries."""
        return CloudBusyError(self.reason, code=self.code, attempts=attempts)


class CloudTimeout(CloudError):
    """The cloud did not answer in time."""


class CloudUnreachableError(CloudError):
    """The cloud could not be reached (DNS, refused or dropped connection, TLS); retried."""

    def __init__(self, host: str, cause: str, *, attempts: int = 1) -> None:
        super().__init__(
            f"cannot reach the Tuya cloud at {host} ({cause}; {_tries(attempts)}): "
            "check the network and cloud.region"
        )
        self.host = host
        self.cause = cause
        self.attempts = attempts

    def after(self, attempts: int) -> CloudUnreachableError:
        """The same failure, reported after `attempts` tries."""
        return CloudUnreachableError(self.host, self.cause, attempts=attempts)


class CloudProtocolError(CloudError):
    """The reply was not the JSON the OpenAPI promises."""


class CloudRequestError(CloudError):
    """The cloud refused one request for another reason (its code and message are kept)."""


def error_for_code(code: int, msg: str, *, region: str, what: str) -> CloudError:
    """The exception for a Tuya error reply `{"success": false, "code": code, "msg": msg}`.

    `msg` must already be redacted; `what` names the request, e.g. "GET /v1.0/devices/x".
    """
    if code == 1004:
        return CloudAuthError(
            "the Tuya cloud refused the request signature: the API secret is wrong "
            "(sign invalid); check cloud.api_secret (the project's Access Secret)",
            code=code,
        )
    if code == 1005:
        return CloudAuthError(
            "the Tuya cloud does not know this Access ID: the API key is wrong "
            "(client id invalid); check cloud.api_key",
            code=code,
        )
    if code == 1106:
        return CloudPermissionError(
            f"the Tuya cloud denied {what} (permission deny) in region '{region}': check the "
            "data centre, the cloud project's region must match the app account's, and the "
            "app account must be linked to the project",
            code=code,
        )
    if code == 28841002:
        return CloudPlanError(
            "the Tuya cloud plan has expired (code 28841002): extend the project's IoT Core "
            "service on the Tuya developer platform",
            code=code,
        )
    if code == 28841004:
        return CloudPlanError(
            "the Tuya cloud trial quota is used up (code 28841004): wait for next month's "
            "quota or upgrade the project's plan",
            code=code,
        )
    if code in TOKEN_CODES:
        return CloudTokenError(
            f"the Tuya cloud refused the access token for {what} "
            f"({_TOKEN_REASONS[code]}, code {code}) even after fetching a new one",
            code=code,
        )
    if code in BUSY_CODES:
        return CloudBusyError(f"{_BUSY_REASONS[code]}, code {code}", code=code)
    if code == 1013:
        return CloudRequestError(
            "the Tuya cloud refused the request time (request time invalid, code 1013): "
            "set this computer's clock right (NTP)",
            code=code,
        )
    detail = f": {msg}" if msg else ""
    return CloudRequestError(f"the Tuya cloud refused {what}{detail} (code {code})", code=code)


# JSON string members whose values are secrets, quoted or not (an excerpt may be cut short).
_SECRET_MEMBER = re.compile(
    r'("(?:local_?key|localKey|access_?token|accessToken|refresh_?token|refreshToken|'
    r'secret|client_secret|api_secret|password|sign)"\s*:\s*)"(?:[^"\\]|\\.)*"?',
    re.IGNORECASE,
)
REDACTED = "***"


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every known secret and every secret-named JSON member blanked out."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return _SECRET_MEMBER.sub(rf'\1"{REDACTED}"', text)


def shorten(text: str, secrets: Iterable[str] = (), limit: int = 120) -> str:
    """`text` redacted, on one line and at most `limit` characters long."""
    text = " ".join(redact(text, secrets).split())
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def excerpt(body: bytes | str, secrets: Iterable[str] = (), limit: int = 120) -> str:
    """A short, redacted, single-line quotation of a reply for an error message."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return repr(shorten(text, secrets, limit))
