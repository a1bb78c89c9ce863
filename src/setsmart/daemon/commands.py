"""A command for one device, and why it can fail: what MQTT, the CLI and HTTP share.

A `Command` is a decoded `/set` payload or a `/get`; its `done` is called once, with
None when the device (or the cloud) carried it out, else with a `CommandError` whose text
is one readable line naming the device. The subclass says why, so that each front end
can answer in its own terms (HTTP: `InvalidCommand` 400, `NoSuchDevice` 404,
`DeviceOffline` 503, `NoAnswer` 504; MQTT: the text on `bridge/log` and the response
topic). `runtime.DeviceRuntime.request` is the awaitable way in: it returns once the
command is carried out, or raises one of these.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal


class CommandError(Exception):
    """A command that was not carried out; `str()` is the line to show."""


class InvalidCommand(CommandError):
    """The payload cannot be carried out on this device (bad key, value out of range)."""


class NoSuchDevice(CommandError):
    """No device by that name is configured."""


class DeviceOffline(CommandError):
    """No route to the device now: no LAN session and no usable cloud route."""


class NoAnswer(CommandError):
    """The device did not answer within `lan.timeout`."""


class CommandFailed(CommandError):
    """The device or the cloud refused or lost the command, or too many are waiting."""


CommandKind = Literal["set", "get"]


@dataclass(frozen=True, slots=True)
class Command:
    """A `/set` payload (decoded) or a `/get`; `done(None)` on success, `done(error)` else."""

    kind: CommandKind
    payload: object
    topic: str
    done: Callable[[CommandError | None], None]
