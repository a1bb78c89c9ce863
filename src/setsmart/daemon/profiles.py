"""What a device's profile is built from: its configuration, the cloud specification
cached for it, and the product key its broadcasts carry (`setsmart.devices.sources`
decides in that order, then recognition). The runtime asks `profile(dps)` on every
full status; each explanation (a refused library entry, a device left raw) is given
once, until it changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from setsmart.config import DeviceConfig
from setsmart.devices import DeviceProfile, profile_for
from setsmart.devices.profile import shared_profile
from setsmart.devices.sources import Resolution, resolve
from setsmart.devices.spec import DeviceSpec


@dataclass(slots=True)
class ProfileSource:
    """One device's sources of kind and layout, and the last explanation given."""

    config: DeviceConfig
    spec: DeviceSpec | None = None
    product_key: str | None = None
    resolution: Resolution | None = field(default=None, init=False)
    _said: str | None = field(default=None, init=False)

    def learn(self, *, spec: DeviceSpec | None = None, product_key: str | None = None) -> bool:
        """Take a newly known specification or product key; whether anything changed."""
        changed = False
        if spec is not None and spec != self.spec:
            self.spec, changed = spec, True
        if product_key and product_key != self.product_key:
            self.product_key, changed = product_key, True
        return changed

    def profile(self, observed: Mapping[str, object]) -> tuple[DeviceProfile, str | None]:
        """The profile for a full status, and an explanation not given before (or None).

        Raises DpMapError when the chosen layout does not fit (a wrong `dps:` block).
        """
        config = self.config
        found = resolve(
            config.type, config.dps, observed, spec=self.spec, product_key=self.product_key
        )
        self.resolution = found
        profile = shared_profile(profile_for(found.type, found.dps, observed))
        message = found.message if found.message != self._said else None
        self._said = found.message
        return profile, message
