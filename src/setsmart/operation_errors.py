"""Why an operation (daemon/operations.py) was refused, as the HTTP API and the MQTT
bridge requests both answer it: each type carries its HTTP status.

A leaf module (it imports only the error root) shared by `daemon/` and `http/`, so that
the HTTP layer maps errors without knowing the daemon. The text is one readable line
naming the device and the cause, never a secret.
"""

from __future__ import annotations

from typing import ClassVar

from setsmart.errors import SetsmartError


class OperationError(SetsmartError):
    """An operation not carried out; `str()` is the line to show."""

    status: ClassVar[int] = 503


class BadRequest(OperationError):
    """The request cannot be carried out as written (bad key, value, JSON)."""

    status = 400


class NotFound(OperationError):
    """No device by that name is configured."""

    status = 404


class Unavailable(OperationError):
    """No route to the device (or the cloud) now, or it refused the command."""

    status = 503


class TimedOut(OperationError):
    """No answer within `lan.timeout`."""

    status = 504
