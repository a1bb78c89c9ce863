"""Exceptions of the devices layer; each message names the key at fault and the cause."""

from setsmart.errors import EXIT_USAGE, SetsmartError


class DeviceError(SetsmartError, ValueError):
    """Base of every error raised by `setsmart.devices`."""


class DpMapError(DeviceError):
    """A DP map or a `dps:` override is wrong (unknown role, bad DP id, inconsistent gangs)."""

    exit_code = EXIT_USAGE


class SetError(DeviceError):
    """A `/set` payload cannot be carried out; the message is meant for the user."""

    exit_code = EXIT_USAGE


class EnergyStateError(DeviceError):
    """A persisted energy total cannot be read back."""
