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
from setsmart.devices.library import find_product
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


def infer_device(
    category: str, mapping: Mapping[int, DpInfo] | None, product_id: str = ""
) -> Inference:
    """The type and overrides for a device of ``category`` whose DPs are ``mapping``; the
    product library's entry for ``product_id`` when the mapping names no kind."""
    notes: tuple[str, ...] = ()
    found = None
    if mapping:
        try:
            found = profile_from_spec(spec_of(category, mapping))
        except SpecError as error:
            notes = (f"its DP mapping is malformed ({error})",)
    if found is not None and found.type != AUTO:
        return Inference(found.type, found.dps, found.notes)
    product = find_product(product_id)
    if product is not None:
        note = f"type and dps: from the product library ({product.name or product.key})"
        return Inference(product.type, product.config_dps(), (*notes, note))
    return Inference(AUTO, notes=(*notes, "type auto") if notes else ())
