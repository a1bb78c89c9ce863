"""Which source gives a device its kind and DP layout (CONTRACT "Device kinds"). Pure.

A device configured with a kind is that kind, with its YAML `dps:`. A `type: auto`
device takes, in this order: its cloud specification (fetched and cached by the daemon),
the product library's entry for its product key (unless the DPs it reports contradict
the entry), then recognition from those DPs. The YAML `dps:` is applied over any of them.
Below recognition's threshold the device runs as `raw`, and `message` says once what
would fix it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from setsmart.devices.errors import DpMapError
from setsmart.devices.fromspec import profile_from_spec
from setsmart.devices.kinds import canonical_role
from setsmart.devices.library import Product, contradiction, find_product
from setsmart.devices.profile import profile_for
from setsmart.devices.recognise import recognise
from setsmart.devices.spec import DeviceSpec
from setsmart.devices.types import AUTO, DeviceType, is_int

CONFIG: Final = "configuration"
SPECIFICATION: Final = "specification"
LIBRARY: Final = "product library"
RECOGNITION: Final = "recognition"


@dataclass(frozen=True, slots=True)
class Resolution:
    """The kind and `dps:` to build the profile from, where they came from, and a line for
    `bridge/log` when something deserves one (a refused library entry, a raw device)."""

    type: str
    dps: Mapping[Any, object] = field(default_factory=dict)
    origin: str = CONFIG
    message: str | None = None


def resolve(
    device_type: str,
    yaml_dps: Mapping[Any, object],
    observed: Mapping[str, object],
    *,
    spec: DeviceSpec | None = None,
    product_key: str | None = None,
) -> Resolution:
    """The kind and layout of a device (see the module's docstring for the order)."""
    if device_type != AUTO:
        return Resolution(device_type, yaml_dps)
    if spec is not None:
        found = profile_from_spec(spec)
        if found.type != AUTO:
            return Resolution(found.type, merged(found.type, found.dps, yaml_dps), SPECIFICATION)
    refused = None
    product = find_product(product_key)
    if product is not None:
        problem = _misfit(product, observed)
        if problem is None:
            return Resolution(product.type, merged(product.type, product.dps, yaml_dps), LIBRARY)
        label = f"{product.name} ({product.key})" if product.name else product.key
        refused = f"the product library's entry for {label} does not fit: {problem}"
    guess = recognise(observed)
    if guess.accepted:
        message = None if refused is None else f"{refused}; recognised as {guess.type} instead"
        dps = merged(guess.type, guess.dps, yaml_dps)
        return Resolution(guess.type, dps, RECOGNITION, message)
    why = f"{refused}, and " if refused else ""
    return Resolution(
        DeviceType.RAW.value,
        yaml_dps,
        RECOGNITION,
        f"{why}its DPs fit no kind surely ({guess.reason}; {guess.confidence:.0%} sure): it runs "
        f"as raw. To fix it, give it {_suggestion(guess.type, guess.dps, observed)}"
        + (
            f", or add a product library entry for product key {product_key}" if product_key else ""
        ),
    )


def merged(
    kind: str, base: Mapping[str, object], yaml_dps: Mapping[Any, object]
) -> dict[Any, object]:
    """`base` (a source's `dps:`) with the YAML's `dps:` over it, whatever role names each
    uses for the same role (`temperature` and `va_temperature`)."""
    if not yaml_dps:
        return dict(base)
    named = {_canonical(kind, name): name for name in yaml_dps}
    result: dict[Any, object] = {
        name: value for name, value in base.items() if _canonical(kind, name) not in named
    }
    result.update(yaml_dps)
    return result


def _canonical(kind: str, name: object) -> object:
    if not isinstance(name, str):
        return name
    try:
        return canonical_role(kind, name) or name
    except ValueError:
        return name


def _misfit(product: Product, observed: Mapping[str, object]) -> str | None:
    """Why the device's report contradicts the entry: its layout, or the kind's switches."""
    problem = contradiction(product, observed)
    if problem is not None:
        return problem
    try:
        profile = profile_for(product.type, product.dps, observed)
    except DpMapError as error:
        return str(error)
    for dp in profile.switch_dps:
        if not isinstance(observed.get(dp), bool):
            return f"its switch DP {dp} reports {observed.get(dp)!r}, not true or false"
    return None


def _suggestion(kind: str, dps: Mapping[str, object], observed: Mapping[str, object]) -> str:
    if kind != DeviceType.RAW.value:
        block = ", ".join(f"{role}: {value}" for role, value in dps.items() if value is not None)
        return f"type: {kind}" + (f" and dps: {{{block}}}" if block else "") + " if that is right"
    numbers = [dp for dp, value in observed.items() if is_int(value)][:2]
    example = ", ".join(f"role: {dp}" for dp in numbers) or "role: DP id"
    return f"type: <its kind> and a dps: block naming its DPs ({{{example}}})"
