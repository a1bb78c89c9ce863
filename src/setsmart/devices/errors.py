"""Exceptions of the devices layer; each message names the key at fault and the cause."""


class DeviceError(ValueError):
    """Base of every error raised by `setsmart.devices`."""


class DpMapError(DeviceError):
    """A DP map or a `dps:` override is wrong (unknown role, bad DP id, inconsistent gangs)."""


class SetError(DeviceError):
    """A `/set` payload cannot be carried out; the message is meant for the user."""


class EnergyStateError(DeviceError):
    """A persisted energy total cannot be read back."""
