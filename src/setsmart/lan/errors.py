"""What can go wrong talking to a device, as one readable line naming the device."""

from __future__ import annotations

from setsmart.errors import SetsmartError


class LanError(SetsmartError):
    """A device could not be reached or did not do what was asked."""

    def __init__(self, device: str, cause: str) -> None:
        super().__init__(f"{device}: {cause}")
        self.device = device
        self.cause = cause


class ConnectFailed(LanError):
    """No TCP connection: refused, unreachable or timed out."""


class WrongLocalKey(LanError):
    """A check that needs the right key failed: re-paired device, or a typo in the key."""


class VersionMismatch(LanError):
    """The device speaks another protocol version than configured."""


class HandshakeFailed(LanError):
    """The 3.4/3.5 session-key negotiation did not complete."""


class ReplyTimeout(LanError):
    """The device did not answer in time."""


class ConnectionLost(LanError):
    """The connection closed while a request was waiting."""


class DeviceRefused(LanError):
    """The device answered a request with an error."""


class NotConnected(LanError):
    """There is no session to the device right now."""
