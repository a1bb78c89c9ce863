"""What a session makes of the bytes it receives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from setsmart.protocol.errors import ProtocolError
from setsmart.protocol.messages import (
    Dps,
    SubdevOnline,
    extract_cid,
    extract_dps,
    extract_subdev_online,
)


@dataclass(frozen=True, slots=True)
class HandshakeComplete:
    """The 3.4/3.5 session key is in place (emitted at once for older versions)."""


# Reply and Push, made for nearly every frame, set their slots in an __init__ of their
# own: a frozen dataclass's generated one calls object.__setattr__ for each field, which
# takes longer (~0.1 us a field) than decrypting the frame. They stay as frozen.


@dataclass(frozen=True, slots=True, init=False)
class Reply:
    """A frame answering a request; `data` is None for an empty acknowledgement."""

    seqno: int
    cmd: int
    retcode: int
    data: dict[str, Any] | None

    def __init__(self, seqno: int, cmd: int, retcode: int, data: dict[str, Any] | None) -> None:
        _set_reply_seqno(self, seqno)
        _set_reply_cmd(self, cmd)
        _set_reply_retcode(self, retcode)
        _set_reply_data(self, data)

    @property
    def dps(self) -> Dps | None:
        return None if self.data is None else extract_dps(self.data)

    @property
    def cid(self) -> str | None:
        """The sub-device this reply is about (behind a gateway), if it names one."""
        return None if self.data is None else extract_cid(self.data)

    @property
    def subdev_online(self) -> SubdevOnline | None:
        """A gateway's report of which sub-devices it reaches, if this is one."""
        return None if self.data is None else extract_subdev_online(self.data)


@dataclass(frozen=True, slots=True, init=False)
class Push:
    """A STATUS frame (cmd 8) the device sent on its own: DPs that changed."""

    seqno: int
    data: dict[str, Any]

    def __init__(self, seqno: int, data: dict[str, Any]) -> None:
        _set_push_seqno(self, seqno)
        _set_push_data(self, data)

    @property
    def dps(self) -> Dps | None:
        return extract_dps(self.data)

    @property
    def cid(self) -> str | None:
        """The sub-device that reported (behind a gateway), if the push names one."""
        return extract_cid(self.data)


def _slot_setter(cls: type, name: str) -> Callable[[object, Any], None]:
    setter: Callable[[object, Any], None] = cls.__dict__[name].__set__
    return setter


_set_reply_seqno = _slot_setter(Reply, "seqno")
_set_reply_cmd = _slot_setter(Reply, "cmd")
_set_reply_retcode = _slot_setter(Reply, "retcode")
_set_reply_data = _slot_setter(Reply, "data")
_set_push_seqno = _slot_setter(Push, "seqno")
_set_push_data = _slot_setter(Push, "data")


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

    @property
    def cid(self) -> str | None:
        """The sub-device the request is for, when it goes to one behind a gateway."""
        return None if self.data is None else extract_cid(self.data)


@dataclass(frozen=True, slots=True)
class Fault:
    """Bytes that could not be used. `fatal`: the connection cannot go on."""

    error: ProtocolError
    fatal: bool = False


Event = HandshakeComplete | Reply | Push | DeviceError | Fault
DeviceEvent = HandshakeComplete | Request | Fault
