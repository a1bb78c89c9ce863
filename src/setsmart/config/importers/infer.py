"""A device's ``type`` and ``dps`` overrides, inferred from its Tuya category and DP mapping.

The rules are :mod:`setsmart.devices.fromspec`'s (the daemon applies the same ones to a
specification it fetched and cached); this adapts an import's mapping to them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from setsmart.config.importers.model import DpInfo
from setsmart.devices import AUTO
from setsmart.devices.fromspec import DpsEntry, profile_from_spec
from setsmart.devices.spec import DeviceSpec, SpecError, parse_spec


@dataclass(frozen=True, slots=True)
class Inference:
    """What the mapping says about a device; ``notes`` are remarks for the user."""

    type: str
    dps: Mapping[str, DpsEntry] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def spec_of(category: str, mapping: Mapping[int, DpInfo]) -> DeviceSpec:
    """The mapping as a specification; :class:`SpecError` when it is malformed."""
    items = {
        str(dp): {"code": info.code, "type": info.type, "values": dict(info.values)}
        for dp, info in mapping.items()
    }
    return parse_spec(items, category=category)


def infer_device(category: str, mapping: Mapping[int, DpInfo] | None) -> Inference:
    """The type and overrides for a device of ``category`` whose DPs are ``mapping``."""
    if not mapping:
        return Inference(AUTO)
    try:
        spec = spec_of(category, mapping)
    except SpecError as error:
        return Inference(AUTO, notes=(f"its DP mapping is malformed ({error}): type auto",))
    found = profile_from_spec(spec)
    return Inference(found.type, found.dps, found.notes)
