"""Every recorded product of the newer kinds (tests/fixtures/kinds), replayed through
profile_for, device_state and parse_set, python-kasa style."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from setsmart.devices import DeviceProfile, SetError, device_state, parse_set, profile_for

FIXTURES = Path(__file__).parents[1] / "fixtures" / "kinds"
WHEN = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Product:
    name: str
    data: dict[str, Any]

    @property
    def profile(self) -> DeviceProfile:
        return profile_for(self.data["type"], self.data["dps"], self.data["status"])


PRODUCTS = [
    Product(path.stem, json.loads(path.read_text("utf-8")))
    for path in sorted(FIXTURES.glob("*.json"))
]
SETS = [(p, i) for p in PRODUCTS for i in range(len(p.data["sets"]))]


def _state(profile: DeviceProfile, dps: dict[str, object]) -> dict[str, object]:
    state = device_state(profile, dps, energy_kwh=None, source="lan", last_seen=WHEN)
    for key in ("dps", "source", "last_seen"):
        state.pop(key)
    return state


def test_every_new_kind_has_a_recorded_product() -> None:
    assert {p.data["type"] for p in PRODUCTS} == {
        "switch",
        "dimmer",
        "cover",
        "fan",
        "climate",
        "sensor",
    }
    assert all(p.data["source"] and p.data["url"].startswith("https://") for p in PRODUCTS)


@pytest.mark.parametrize("product", PRODUCTS, ids=[p.name for p in PRODUCTS])
def test_the_roles_are_the_products(product: Product) -> None:
    assert dict(product.profile.roles) == product.data["expected"]["roles"]


@pytest.mark.parametrize("product", PRODUCTS, ids=[p.name for p in PRODUCTS])
def test_the_state_is_what_the_product_shows(product: Product) -> None:
    assert _state(product.profile, product.data["status"]) == product.data["expected"]["state"]


@pytest.mark.parametrize(("product", "index"), SETS, ids=[f"{p.name}-{i}" for p, i in SETS])
def test_a_set_writes_the_dps_or_says_why_not(product: Product, index: int) -> None:
    case = product.data["sets"][index]
    status = product.data["status"]
    if "error" in case:
        with pytest.raises(SetError) as caught:
            parse_set(product.profile, case["payload"], status)
        assert str(caught.value) == case["error"]
        return
    command = parse_set(product.profile, case["payload"], status)
    assert command.dps == case["writes"]


@pytest.mark.parametrize(
    ("product", "index"),
    [(p, i) for p, i in SETS if "writes" in p.data["sets"][i]],
    ids=[f"{p.name}-{i}" for p, i in SETS if "writes" in p.data["sets"][i]],
)
def test_once_carried_out_the_state_shows_what_was_asked(product: Product, index: int) -> None:
    payload = product.data["sets"][index]["payload"]
    status = product.data["status"]
    after = _state(product.profile, {**status, **parse_set(product.profile, payload, status).dps})
    # A cycle ends on; a level maps onto the device's own steps; a cover reports its
    # position as it travels.
    skipped = ("power_cycle", "percentage", "brightness", "position")
    checked = [key for key in payload if key not in skipped]
    assert checked or payload.keys() & set(skipped)
    for key in checked:
        assert after[key] == payload[key], key
