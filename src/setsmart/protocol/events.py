"""What a session makes of the bytes it receives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from setsmart.protocol.errors import ProtocolError
from setsmart.protocol.messages import Dps, extract_dps


@dataclass(frozen=True, slots=True)
class HandshakeComplete:
    """The 3.4/3.5 session key is in place (emitted at once for older versions)."""


@dataclass(frozen=True, slots=True)
class Reply:
    """A frame answering a request; `data` is None for an empty acknowledgement."""

    seqno: int
    cmd: int
    retcode: int
    data: dict[str, Any] | None

    @property
    def dps(self) -> Dps | None:
        return None if self.data is None else extract_dps(self.data)


@dataclass(frozen=True, slots=True)
class Push:
    """A STATUS frame (cmd 8) the device sent on its own: DPs that changed."""

    seqno: int
    data: dict[str, Any]

    @property
    def dps(self) -> Dps | None:
        return extract_dps(self.data)


@dataclass(frozen=True, slots=True)
class DeviceError:
    """The device refused a request with an error text ("json obj data unvalid"...)."""

    seqno: int
    cmd: int
    retcode: int
    message: str

    @property
    def data_unvalid(self) -> bool:
        """The device22 signal: query it with CONTROL_NEW and a DP list instead."""
        return "data unvalid" in self.message


@dataclass(frozen=True, slots=True)
class Request:
    """Device side: a request from the client. `data` is None for an empty payload."""

    seqno: int
    cmd: int
    data: dict[str, Any] | None

    @property
    def dps(self) -> Dps | None:
        return None if self.data is None else extract_dps(self.data)


@dataclass(frozen=True, slots=True)
class Fault:
    """Bytes that could not be used. `fatal`: the connection cannot go on."""

    error: ProtocolError
    fatal: bool = False


Event = HandshakeComplete | Reply | Push | DeviceError | Fault
DeviceEvent = HandshakeComplete | Request | Fault
