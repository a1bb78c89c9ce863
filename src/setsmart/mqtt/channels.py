"""A device's channels on topics of their own, as zigbee2mqtt does for endpoints.

A dimmer with several channels has one Home Assistant JSON light per channel, and a JSON
light reads only `state` and `brightness` from its state topic and writes only those. So
each channel `N` also has `B/<name>/lN` (retained: `state` and `brightness` of that
channel, taken from `state_lN`/`brightness_lN` of the device's state) and takes commands on
`B/<name>/lN/set`, where `{"state": "ON", "brightness": 128}` (or plain `ON`/`OFF`/`TOGGLE`)
means `{"state_lN": "ON", "brightness_lN": 128}` on `B/<name>/set`. Commands to a channel
work for every device with gangs (strips and wall switches too); the state topics are
published where an entity reads them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from setsmart.devices import DeviceProfile, DeviceType
from setsmart.devices.kinds import dimmer
from setsmart.devices.roles import gang_role
from setsmart.mqtt.payloads import CommandPayloadError

#: The keys of a channel's own state topic.
CHANNEL_KEYS = ("state", "brightness")


def published_channels(profile: DeviceProfile | None) -> tuple[int, ...]:
    """The channels that have a state topic of their own: a multi-channel dimmer's."""
    if profile is not None and profile.type is DeviceType.DIMMER and dimmer.is_multi(profile):
        return dimmer.channels(profile)
    return ()


def channel_state(document: Mapping[str, object], n: int) -> dict[str, object]:
    """Channel `n`'s `state` (None until known: HA reads it always) and `brightness`."""
    out: dict[str, object] = {"state": document.get(gang_role("state", n))}
    level = gang_role("brightness", n)
    if level in document:
        out["brightness"] = document[level]
    return out


def channel_command(payload: object, n: int, set_keys: Collection[str]) -> dict[str, object]:
    """A command sent to channel `n`, as the device's own `/set` takes it.

    Raises CommandPayloadError for a payload that is neither an object nor a plain word,
    and for a key the channel does not take (naming the keys it does take).
    """
    if isinstance(payload, str):  # ON / OFF / TOGGLE, already checked by the decoder
        payload = {"state": payload}
    if not isinstance(payload, dict):
        raise CommandPayloadError("a channel's command must be a JSON object, or ON, OFF or TOGGLE")
    if gang_role("state", n) not in set_keys:
        raise CommandPayloadError(f"the device has no channel l{n}")
    takes = [key for key in CHANNEL_KEYS if gang_role(key, n) in set_keys]
    out: dict[str, object] = {}
    for key, value in payload.items():
        if key not in takes:
            raise CommandPayloadError(f"channel l{n} takes {' and '.join(takes)}, not {key!r}")
        out[gang_role(key, n)] = value
    return out
