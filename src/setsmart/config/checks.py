"""Validators for single string values: each returns what is wrong, or ``None``.

Validators of secrets never put the value into their message.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection, Sequence
from urllib.parse import urlsplit

from setsmart.config.fields import Check
from setsmart.suggest import closest

LOCAL_KEY_LENGTH = 16
NODE_ID_MAX = 64  # real cids are 16 hex digits; leave room for other gateways
RESERVED_NAMES = frozenset({"bridge"})  # B/bridge/... belongs to the bridge itself

_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]*")


def one_of(choices: Sequence[str]) -> Check:
    """A check that the text is one of ``choices``."""

    def check(text: str) -> str | None:
        if text in choices:
            return None
        return f"must be one of {', '.join(choices)}; got '{text}'"

    return check


def not_empty(text: str) -> str | None:
    """Refuse the empty string (works for secrets: says nothing of the value)."""
    return "must not be empty" if text == "" else None


def hostname(text: str) -> str | None:
    """A host name or address: not empty, no spaces."""
    if text == "" or any(char.isspace() for char in text):
        return f"must be a host name or address, got '{text}'"
    return None


def ip_address(text: str) -> str | None:
    """An IPv4 or IPv6 address."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return f"must be an IP address, got '{text}'"
    return None


def topic(text: str) -> str | None:
    """An MQTT topic prefix: not empty, no wildcards, no '$' start, no outer '/'."""
    if text == "":
        return "must not be empty"
    if "+" in text or "#" in text or "\0" in text:
        return f"must not contain '+', '#' or NUL, got '{text}'"
    if text.startswith(("$", "/")) or text.endswith("/"):
        return f"must not start with '$' or '/' nor end with '/', got '{text}'"
    return None


def device_name(text: str) -> str | None:
    """A device name, used as a topic segment."""
    if not _NAME.fullmatch(text):
        return f"must be 1-64 of A-Z a-z 0-9 _ -, got '{text}'"
    if text in RESERVED_NAMES:
        return f"'{text}' is reserved for the bridge's own topics"
    return None


def device_id(text: str) -> str | None:
    """A Tuya device id: used in Home Assistant topics, so no spaces or MQTT specials."""
    if text == "":
        return "must not be empty"
    if any(char.isspace() or char in "/+#" or not char.isprintable() for char in text):
        return f"must not contain spaces, '/', '+' or '#', got '{text}'"
    return None


def node_id(text: str) -> str | None:
    """A sub-device's address on its gateway (``cid`` on the wire): sent in JSON, so no specials."""
    if text == "" or len(text) > NODE_ID_MAX:
        return f"must be 1-{NODE_ID_MAX} characters, got {len(text)}"
    if any(char.isspace() or char in '"\\' or not char.isprintable() for char in text):
        return f"must not contain spaces, quotes or backslashes, got '{text}'"
    return None


def unknown_device(name: str, names: Collection[str]) -> str:
    """``no device named 'x' is configured (did you mean 'y'?)``, else the names there are."""
    close = closest(name, names)
    known = ", ".join(sorted(names)) or "none"
    hint = f"did you mean '{close}'?" if close else f"devices: {known}"
    return f"no device named '{name}' is configured ({hint})"


def local_key(text: str) -> str | None:
    """A device's local key: exactly 16 printable ASCII characters."""
    if len(text) != LOCAL_KEY_LENGTH:
        return f"must be {LOCAL_KEY_LENGTH} characters, got {len(text)}"
    if not _PRINTABLE_ASCII.fullmatch(text):
        return "must be printable ASCII characters"
    return None


def url(text: str) -> str | None:
    """An http(s) base URL."""
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  # raises ValueError on a bad port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        return f"must be an http:// or https:// URL, got '{text}'"
    return None
