"""Numbers and names of the Tuya LAN protocol (see PROTOCOL.md)."""

from __future__ import annotations

from enum import IntEnum
from hashlib import md5
from typing import Final, Literal, get_args

Version = Literal["3.1", "3.2", "3.3", "3.4", "3.5"]
VERSIONS: Final[tuple[Version, ...]] = get_args(Version)


def as_version(value: object) -> Version | None:
    """`value` as a protocol version, or None when it is not one."""
    for version in VERSIONS:
        if value == version:
            return version
    return None


class Command(IntEnum):
    """Frame command numbers."""

    UDP = 0
    AP_CONFIG = 1
    SESS_KEY_NEG_START = 3
    SESS_KEY_NEG_RESP = 4
    SESS_KEY_NEG_FINISH = 5
    CONTROL = 7
    STATUS = 8
    HEART_BEAT = 9
    DP_QUERY = 10
    CONTROL_NEW = 13
    DP_QUERY_NEW = 16
    UPDATEDPS = 18
    UDP_NEW = 0x13
    BOARDCAST_LPV34 = 0x23
    REQ_DEVINFO = 0x25
    LAN_EXT_STREAM = 0x40


def command_name(cmd: int) -> str:
    """A readable name for a command number, known or not."""
    try:
        return Command(cmd).name
    except ValueError:
        return f"0x{cmd:02X}"


PREFIX_55AA: Final = 0x000055AA
SUFFIX_55AA: Final = 0x0000AA55
PREFIX_6699: Final = 0x00006699
SUFFIX_6699: Final = 0x00009966
PREFIX_55AA_BYTES: Final = PREFIX_55AA.to_bytes(4, "big")
PREFIX_6699_BYTES: Final = PREFIX_6699.to_bytes(4, "big")
SUFFIX_55AA_BYTES: Final = SUFFIX_55AA.to_bytes(4, "big")
SUFFIX_6699_BYTES: Final = SUFFIX_6699.to_bytes(4, "big")

HEADER_55AA_LEN: Final = 16
HEADER_6699_LEN: Final = 18
RETCODE_LEN: Final = 4
CRC_LEN: Final = 4
HMAC_LEN: Final = 32
GCM_IV_LEN: Final = 12
GCM_TAG_LEN: Final = 16
SUFFIX_LEN: Final = 4
VERSION_HEADER_LEN: Final = 15

# Larger than any real device sends (most have ~256 KiB of RAM), small enough that a
# corrupt length field is caught instead of stalling the stream while we wait for it.
MAX_FRAME_LEN: Final = 16384

# Commands whose payload carries no 15-byte version header.
NO_VERSION_HEADER: Final = frozenset(
    {
        Command.DP_QUERY,
        Command.DP_QUERY_NEW,
        Command.UPDATEDPS,
        Command.HEART_BEAT,
        Command.SESS_KEY_NEG_START,
        Command.SESS_KEY_NEG_RESP,
        Command.SESS_KEY_NEG_FINISH,
        Command.LAN_EXT_STREAM,
    }
)

UDP_KEY: Final = md5(b"yGAdlopoPVldABfn").digest()  # noqa: S324 (the protocol defines it)
NONCE_LEN: Final = 16


def version_header(version: Version) -> bytes:
    """The 15-byte header some commands carry: the ASCII version and 12 zero bytes."""
    return version.encode() + bytes(12)
