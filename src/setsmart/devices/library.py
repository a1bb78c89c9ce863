"""The product library: known products by product key, shipped as data (`products.json`).

A device's product key is the `productKey` of its discovery broadcast (the cloud calls it
`product_id`). An entry names the product's kind and, like a YAML `dps:` block, the roles
whose layout differs from the kind's default, with a `source` saying where the facts come
from. An entry is trusted only as far as the device agrees with it: `contradiction` says
why a device's report does not fit (the daemon then falls back to recognition).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any, Final

from setsmart.devices.errors import DpMapError
from setsmart.devices.kinds import canonical_role, parse_overrides
from setsmart.devices.layout import DpLayout
from setsmart.devices.packaged import packaged_json
from setsmart.devices.types import AUTO, DeviceType, is_int

LIBRARY_FILE: Final = "products.json"
_KEY = re.compile(r"[0-9A-Za-z_-]{6,32}")
_FIELDS: Final = frozenset({"name", "type", "dps", "source"})


@dataclass(frozen=True, slots=True)
class Product:
    """One library entry: `dps` as a YAML `dps:` block (role -> DP id or layout)."""

    key: str
    name: str
    type: str
    dps: Mapping[str, Any]
    source: str

    @property
    def layouts(self) -> dict[str, DpLayout | None]:
        """Canonical role -> layout of the entry's `dps` (checked when the library loads)."""
        return parse_overrides(DeviceType(self.type), self.dps)

    def config_dps(self) -> dict[str, int | DpLayout | None]:
        """The entry's roles as a configuration's `dps:` holds them (None: a role the entry
        drops, written `null`)."""
        out: dict[str, int | DpLayout | None] = {}
        for role, layout in self.layouts.items():
            if layout is None:
                out[role] = None
            elif layout.id is not None:
                bare = layout == DpLayout(layout.id) or not isinstance(self._raw(role), dict)
                out[role] = int(layout.id) if bare else layout
        return out

    def _raw(self, role: str) -> object:
        return next(
            (value for name, value in self.dps.items() if canonical_role(self.type, name) == role),
            None,
        )


@cache
def load_library() -> Mapping[str, Product]:
    """The shipped library, by product key."""
    return parse_library(packaged_json(LIBRARY_FILE))


def find_product(product_key: str | None) -> Product | None:
    """The shipped entry of `product_key`, if there is one."""
    return None if not product_key else load_library().get(product_key)


def parse_library(data: object) -> Mapping[str, Product]:
    """Validate a library document `{"products": {key: entry}}`; DpMapError names the fault."""
    if not isinstance(data, dict) or not isinstance(data.get("products"), dict):
        raise DpMapError("product library: must be an object with a 'products' object")
    products: dict[str, Product] = {}
    for key, entry in data["products"].items():
        products[key] = _product(key, entry)
    return MappingProxyType(products)


def _product(key: str, entry: object) -> Product:
    where = f"product library: {key}"
    if not _KEY.fullmatch(key):
        raise DpMapError(f"{where}: not a product key")
    if not isinstance(entry, dict):
        raise DpMapError(f"{where}: must be an object")
    unknown = sorted(set(entry) - _FIELDS)
    if unknown:
        raise DpMapError(f"{where}: unknown key {unknown[0]!r}")
    kind, source = entry.get("type"), entry.get("source")
    if kind == AUTO or kind not in {t.value for t in DeviceType}:
        raise DpMapError(f"{where}: type {kind!r} is not a kind")
    if not isinstance(source, str) or not source.strip():
        raise DpMapError(f"{where}: every entry names its public source")
    dps = entry.get("dps", {})
    if not isinstance(dps, dict):
        raise DpMapError(f"{where}: dps must be an object")
    try:
        parse_overrides(DeviceType(kind), dps)
    except DpMapError as error:
        raise DpMapError(f"{where}: {error}") from None
    name = entry.get("name")
    return Product(key, name if isinstance(name, str) else "", kind, MappingProxyType(dps), source)


def contradiction(product: Product, observed: Mapping[str, object]) -> str | None:
    """Why the DPs a device reports do not fit `product`, or None when they do.

    Every DP the entry names must be reported, an enum with one of its values, a
    numeric DP with an integer.
    """
    for role, layout in product.layouts.items():
        if layout is None or layout.id is None:
            continue
        if layout.id not in observed:
            return f"it names DP {layout.id} ({role}), which the device does not report"
        value = observed[layout.id]
        if layout.is_enum and value not in layout.range:
            return (
                f"DP {layout.id} ({role}) reports {value!r}, not one of {', '.join(layout.range)}"
            )
        if layout.is_numeric and not is_int(value):
            return f"DP {layout.id} ({role}) reports {value!r}, not a number"
    return None
