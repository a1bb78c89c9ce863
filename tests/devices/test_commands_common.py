"""`parse_set` takes a JSON object whose keys the device all takes as it is (no copy, no
key-by-key check): it must parse it as it parses any other mapping."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from setsmart.devices import DeviceProfile, SetError, parse_set, profile_for, set_keys
from setsmart.devices.commands import HA_LIGHT_EXTRAS, set_rules
from setsmart.devices.kinds.behaviour import MODULES, module_of
from setsmart.devices.types import DeviceType

PROFILES = {kind.value: profile_for(kind) for kind in DeviceType}
_KEYS = sorted(
    {key for profile in PROFILES.values() for key in set_keys(profile)}
    | HA_LIGHT_EXTRAS
    | {key for module in MODULES.values() for key in module.IGNORED}
    | {"state_l9", "colour", "", "1"}
)
_VALUES = st.one_of(
    st.sampled_from(["ON", "off", "TOGGLE", "#ff0000", "white", "x", True, False, None]),
    st.integers(min_value=-10, max_value=7000),
    st.floats(min_value=-1, max_value=400, allow_nan=False),
    st.just({"h": 10, "s": 50}),
    st.just({"1": True}),
)
_CURRENT = st.dictionaries(st.sampled_from(["1", "2", "3", "20", "21", "22", "24"]), _VALUES)


class _Mapping(dict[str, object]):
    """A dict `parse_set` does not take as it is: it goes the general way."""


def _outcome(profile: DeviceProfile, payload: object, current: dict[str, object]) -> str:
    try:
        return repr(parse_set(profile, payload, current))
    except SetError as exc:
        return f"refused: {exc}"


@st.composite
def _case(draw: st.DrawFn) -> tuple[DeviceProfile, dict[str, object]]:
    """A profile and a payload of mostly keys it takes (others now and then)."""
    profile = PROFILES[draw(st.sampled_from(sorted(PROFILES)))]
    own = sorted(set_rules(profile).accepted)
    keys = st.one_of(st.sampled_from(own), st.sampled_from(own), st.sampled_from(_KEYS))
    return profile, draw(st.dictionaries(keys, _VALUES, max_size=3))


@given(_case(), _CURRENT)
@settings(max_examples=800)
def test_an_object_is_parsed_as_any_mapping_is(
    case: tuple[DeviceProfile, dict[str, object]], current: dict[str, object]
) -> None:
    profile, payload = case
    assert _outcome(profile, payload, current) == _outcome(profile, _Mapping(payload), current)


def test_the_rules_of_each_kind() -> None:
    for profile in PROFILES.values():
        rules = set_rules(profile)
        kind = module_of(profile)
        ignored = kind.IGNORED if kind else HA_LIGHT_EXTRAS if profile.is_light else set()
        assert rules.kind is kind
        assert rules.accepted == {*set_keys(profile), *ignored}
        assert rules is set_rules(profile)
    assert set_rules(PROFILES["strip"]).gangs == (
        ("state_l1", "1"),
        ("state_l2", "2"),
        ("state_l3", "3"),
        ("state_l4", "4"),
    )
    assert set_rules(PROFILES["plug"]).gangs == ()
