"""The Tuya LAN protocol without I/O: bytes in, events out (see session.py)."""

from setsmart.protocol.constants import VERSIONS, Command, Version
from setsmart.protocol.discovery import (
    AppRequest,
    Beacon,
    DiscoveryError,
    decode_datagram,
    encode_beacon,
    encode_devinfo_request,
)
from setsmart.protocol.errors import (
    ChecksumError,
    FrameError,
    HandshakeError,
    PayloadError,
    ProtocolError,
    VersionMismatchError,
    WrongKeyError,
)
from setsmart.protocol.events import (
    DeviceError,
    DeviceEvent,
    Event,
    Fault,
    HandshakeComplete,
    Push,
    Reply,
    Request,
)
from setsmart.protocol.messages import Dps, DpValue, SubdevOnline
from setsmart.protocol.session import (
    ClientSession,
    DeviceSession,
    NotReadyError,
    Outgoing,
    SessionState,
)

__all__ = [
    "VERSIONS",
    "AppRequest",
    "Beacon",
    "ChecksumError",
    "ClientSession",
    "Command",
    "DeviceError",
    "DeviceEvent",
    "DeviceSession",
    "DiscoveryError",
    "DpValue",
    "Dps",
    "Event",
    "Fault",
    "FrameError",
    "HandshakeComplete",
    "HandshakeError",
    "NotReadyError",
    "Outgoing",
    "PayloadError",
    "ProtocolError",
    "Push",
    "Reply",
    "Request",
    "SessionState",
    "SubdevOnline",
    "Version",
    "VersionMismatchError",
    "WrongKeyError",
    "decode_datagram",
    "encode_beacon",
    "encode_devinfo_request",
]
