"""The exceptions the simulator raises."""

from __future__ import annotations

from setsmart.errors import EXIT_USAGE, SetsmartError


class SimError(SetsmartError):
    """Base class: a simulated device or fleet could not do what was asked."""


class SimConfigError(SimError, ValueError):
    """A simulated device was described wrongly (bad key length, unknown kind, bad spec)."""

    exit_code = EXIT_USAGE


class LoopbackOnlyError(SimConfigError):
    """An address outside 127.0.0.0/8: the simulator never sends anywhere else."""
