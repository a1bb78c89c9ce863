"""The root of every error setsmart raises on purpose, with the exit code it stands for.

Each package's errors derive from `SetsmartError` (protocol, lan, devices, cloud, config,
mqtt, daemon, sim), so the command line catches this one type, prints its message as one
line and exits with its `exit_code`: 1 for a runtime failure, 2 for a usage or
configuration error (CONTRACT.md "Package and commands"). A leaf module: it imports nothing.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = ["EXIT_FAILURE", "EXIT_USAGE", "SetsmartError", "UsageError"]

EXIT_FAILURE = 1
EXIT_USAGE = 2


class SetsmartError(Exception):
    """Something setsmart could not do; the message names the cause (never a secret)."""

    exit_code: ClassVar[int] = EXIT_FAILURE


class UsageError(SetsmartError):
    """Bad arguments or settings: what the user must change."""

    exit_code: ClassVar[int] = EXIT_USAGE
