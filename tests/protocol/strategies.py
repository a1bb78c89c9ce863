"""Hypothesis strategies and the settings profile of the protocol tests.

The default profile keeps the whole tests/protocol run well under a minute; set
SETSMART_PROTOCOL_PROFILE=thorough for a long run before a release.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from setsmart.protocol import VERSIONS, Version

settings.register_profile(
    "setsmart-protocol",
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "setsmart-protocol-thorough", parent=settings.get_profile("setsmart-protocol"), max_examples=600
)
_CHOSEN = os.environ.get("SETSMART_PROTOCOL_PROFILE", "")
_BASE = settings.get_profile(
    "setsmart-protocol-thorough" if _CHOSEN == "thorough" else "setsmart-protocol"
)
_EXAMPLES = os.environ.get("SETSMART_PROTOCOL_EXAMPLES")
PROFILE = settings(_BASE, max_examples=int(_EXAMPLES)) if _EXAMPLES else _BASE
"""Decorate every @given test of tests/protocol with this (SETSMART_PROTOCOL_EXAMPLES=n
sets the number of examples for a long run)."""

DEVICE_ID = "bf0123456789abcdefgh"

versions = st.sampled_from(VERSIONS)
new_versions: st.SearchStrategy[Version] = st.sampled_from(("3.4", "3.5"))
keys = st.binary(min_size=16, max_size=16)
nonces = st.binary(min_size=16, max_size=16)
ivs = st.binary(min_size=12, max_size=12)
seqnos = st.integers(0, 0xFFFFFFFF)
retcodes = st.one_of(st.just(0), st.just(1), st.integers(0, 0xFFFFFFFF))

KNOWN_COMMANDS = (3, 4, 5, 7, 8, 9, 10, 13, 16, 18)
commands = st.one_of(st.sampled_from(KNOWN_COMMANDS), st.integers(0, 0xFFFFFFFF))
"""Every command we send or accept, and unknown ones."""

MAX_BODY = 1400

# "data" is left out of random keys: tinytuya's _decode_payload indexes `data["dps"]`
# whenever "dps" is `in` a "data" value, and crashes when that value is a string.
# And no text holds "data unvalid": tinytuya takes any payload that contains it for the
# device22 signal and returns None for it.
_texts = st.text(max_size=20).filter(lambda s: "data unvalid" not in s)
_keys = _texts.filter(lambda k: k != "data")
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    _texts,
)
json_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=4)),
    max_leaves=12,
)
dps = st.dictionaries(st.integers(1, 255).map(str), _scalars, max_size=8)
"""DP maps as devices report them (ids are decimal strings)."""

_objects = st.one_of(
    st.dictionaries(_keys, json_values, max_size=6),
    st.builds(lambda d, t: {"devId": DEVICE_ID, "dps": d, "t": t}, dps, st.integers(0, 2**31)),
    st.builds(lambda d, t: {"protocol": 4, "t": t, "data": {"dps": d}}, dps, st.integers(0, 2**31)),
)


def _sized(obj: dict[str, Any], size: int) -> dict[str, Any]:
    """`obj` grown by a filler string so that its compact JSON is about `size` bytes."""
    have = len(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode())
    if have + 10 < size:
        obj = {**obj, "fill": "x" * (size - have - 10)}
    return obj


@dataclass(frozen=True)
class Link:
    """One connection's parameters: version, local key and the two handshake nonces."""

    version: Version
    local_key: bytes
    client_nonce: bytes
    device_nonce: bytes


links = st.builds(Link, versions, keys, nonces, nonces)
new_links = st.builds(Link, new_versions, keys, nonces, nonces)
"""Links of the versions that negotiate a session key."""


json_objects = st.builds(_sized, _objects, st.integers(0, MAX_BODY))
"""JSON objects whose compact encoding runs from 2 to ~1400 bytes."""


def compact(obj: object) -> bytes:
    """The JSON bytes we put on the wire (the same as messages.dumps)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def tinytuya_view(obj: dict[str, Any]) -> dict[str, Any]:
    """What tinytuya's _decode_payload returns for `obj`: it copies data.dps up to dps."""
    inner = obj.get("data")
    if "dps" not in obj and isinstance(inner, dict) and "dps" in inner:
        return {**obj, "dps": inner["dps"]}
    return obj
