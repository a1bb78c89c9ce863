"""Which module reads and writes each kind of SPEC_KINDS (the others live in state.py
and commands.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Protocol

from setsmart.devices.kinds import climate, cover, dimmer, fan, sensor
from setsmart.devices.profile import DeviceProfile
from setsmart.devices.setvalues import Writes
from setsmart.devices.types import DeviceType


class KindModule(Protocol):
    """What a kind's module provides."""

    IGNORED: frozenset[str]

    def state(self, profile: DeviceProfile, dps: Mapping[str, object]) -> dict[str, object]:
        """The state keys of the kind (without dps, source, last_seen)."""
        ...

    def set_keys(self, profile: DeviceProfile) -> tuple[str, ...]:
        """The `/set` keys the device takes, besides `dps`."""
        ...

    def apply(
        self,
        profile: DeviceProfile,
        fields: Mapping[str, object],
        current: Mapping[str, object],
        writes: Writes,
    ) -> None:
        """Add to `writes` what `fields` (checked against set_keys) asks for."""
        ...


MODULES: Final[Mapping[DeviceType, KindModule]] = {
    DeviceType.DIMMER: dimmer,
    DeviceType.COVER: cover,
    DeviceType.FAN: fan,
    DeviceType.CLIMATE: climate,
    DeviceType.SENSOR: sensor,
}


def module_of(profile: DeviceProfile) -> KindModule | None:
    """The module of the device's kind, or None for plugs, strips, switches, bulbs, raw."""
    return MODULES.get(profile.type)
