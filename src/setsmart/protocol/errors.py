"""The only exceptions the protocol layer produces.

Every failure to understand bytes from the wire is one of these, with a message a user can
act on. Messages never contain key material.
"""

from __future__ import annotations

from setsmart.errors import SetsmartError


class ProtocolError(SetsmartError):
    """Base class: bytes that could not be understood."""


class FrameError(ProtocolError):
    """The framing is broken: bad prefix or suffix, impossible length, truncated data."""


class ChecksumError(ProtocolError):
    """A 3.1-3.3 frame whose CRC32 does not match: corrupted in transit."""


class WrongKeyError(ProtocolError):
    """An HMAC, GCM tag or decryption check failed: most likely the local key is wrong."""


class PayloadError(ProtocolError):
    """The payload decrypted but is not what the protocol allows (not a JSON object...)."""


class HandshakeError(ProtocolError):
    """The 3.4/3.5 session-key negotiation went wrong."""


class VersionMismatchError(HandshakeError):
    """The device answered in the framing of another protocol version."""


WRONG_KEY_HINT = "probable wrong local key (re-paired device?)"
