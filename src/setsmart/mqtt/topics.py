"""The MQTT topics of the bridge (CONTRACT.md "MQTT"), built from `mqtt.base_topic`.

`B` below is the base topic. Device names are single topic levels of
`[A-Za-z0-9_-]{1,64}`, so a name can never contain a level separator or a wildcard, and
the command filters `B/+/set` and `B/+/get` match exactly the device command topics
(and `B/bridge/...`, which `parse_command_topic` refuses: no device may be named bridge).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from setsmart.config import Config
from setsmart.devices.roles import MAX_GANGS

#: What a device name may be: one topic level, safe in every MQTT client and in HA.
NAME_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
#: The topic level that belongs to the bridge itself, never to a device.
BRIDGE: Final = "bridge"
#: What Home Assistant's discovery accepts as a node id or object id (its TOPIC_MATCHER).
_HA_ID_UNSAFE: Final = re.compile(r"[^A-Za-z0-9_-]")
#: A channel's topic level: `l1`..`l16`.
_CHANNEL: Final = re.compile(r"l([1-9][0-9]?)")

CommandKind = Literal["set", "get"]


def is_device_name(name: str) -> bool:
    """Whether `name` can be a device's topic level (and is not the bridge's)."""
    return name != BRIDGE and NAME_PATTERN.fullmatch(name) is not None


def ha_node_id(device_id: str) -> str:
    """A device id as a Home Assistant discovery node id (characters HA refuses become _)."""
    return _HA_ID_UNSAFE.sub("_", device_id) or "_"


@dataclass(frozen=True, slots=True)
class Topics:
    """Every topic the bridge publishes or subscribes to.

    `base` is `mqtt.base_topic`; `ha_prefix` is `homeassistant.prefix`. Both are checked
    by the config loader (no wildcards, no leading '$' or '/', no trailing '/').
    """

    base: str
    ha_prefix: str = "homeassistant"

    @classmethod
    def from_config(cls, config: Config) -> Topics:
        """The topics of a loaded configuration."""
        return cls(base=config.mqtt.base_topic, ha_prefix=config.homeassistant.prefix)

    # -- the bridge's own topics -------------------------------------------------------

    @property
    def bridge_state(self) -> str:
        """`B/bridge/state`: `online`/`offline`, retained; the last will."""
        return f"{self.base}/{BRIDGE}/state"

    @property
    def bridge_devices(self) -> str:
        """`B/bridge/devices`: the retained JSON list of configured devices."""
        return f"{self.base}/{BRIDGE}/devices"

    @property
    def bridge_info(self) -> str:
        """`B/bridge/info`: the retained JSON of the instance holding the base topic."""
        return f"{self.base}/{BRIDGE}/info"

    @property
    def bridge_log(self) -> str:
        """`B/bridge/log`: rejected commands and device errors, not retained."""
        return f"{self.base}/{BRIDGE}/log"

    @property
    def bridge_request_filter(self) -> str:
        """`B/bridge/request/#`: the bridge requests (zigbee2mqtt's API)."""
        return f"{self.base}/{BRIDGE}/request/#"

    def bridge_response(self, op: str) -> str:
        """`B/bridge/response/<op>`: the answer to `B/bridge/request/<op>`."""
        return f"{self.base}/{BRIDGE}/response/{op}"

    def parse_bridge_request(self, topic: str) -> str | None:
        """The op of `B/bridge/request/<op>` (`firmware/check`...), else None."""
        prefix = f"{self.base}/{BRIDGE}/request/"
        op = topic[len(prefix) :] if topic.startswith(prefix) else ""
        return op or None

    # -- per device ----------------------------------------------------------------------

    def state(self, name: str) -> str:
        """`B/<name>`: the device's retained JSON state."""
        return f"{self.base}/{name}"

    def availability(self, name: str) -> str:
        """`B/<name>/availability`: `online`/`offline`, retained."""
        return f"{self.base}/{name}/availability"

    def set(self, name: str) -> str:
        """`B/<name>/set`: commands in."""
        return f"{self.base}/{name}/set"

    def get(self, name: str) -> str:
        """`B/<name>/get`: read the device now and publish its state."""
        return f"{self.base}/{name}/get"

    @property
    def set_filter(self) -> str:
        """`B/+/set`: the subscription that receives every device's commands."""
        return f"{self.base}/+/set"

    @property
    def get_filter(self) -> str:
        """`B/+/get`: the subscription that receives every device's read requests."""
        return f"{self.base}/+/get"

    @property
    def command_filters(self) -> tuple[str, str]:
        """Both command subscriptions, `/set` first."""
        return (self.set_filter, self.get_filter)

    def channel_state(self, name: str, channel: int) -> str:
        """`B/<name>/l<N>`: one channel's retained `state` and `brightness` (`channels.py`)."""
        return f"{self.base}/{name}/l{channel}"

    def channel_set(self, name: str, channel: int) -> str:
        """`B/<name>/l<N>/set`: commands to one channel."""
        return f"{self.base}/{name}/l{channel}/set"

    @property
    def channel_set_filters(self) -> tuple[str, ...]:
        """`B/+/l<N>/set` for every channel a device may have: one filter each, since
        `B/+/+/set` would also match `B/<name>/firmware/set` and deliver it twice."""
        return tuple(f"{self.base}/+/l{n}/set" for n in range(1, MAX_GANGS + 1))

    def parse_channel_command(self, topic: str) -> tuple[str, int] | None:
        """`(name, N)` for `B/<name>/l<N>/set`, else None."""
        prefix = f"{self.base}/"
        if not topic.startswith(prefix) or not topic.endswith("/set"):
            return None
        name, sep, channel = topic[len(prefix) : -len("/set")].rpartition("/")
        match = _CHANNEL.fullmatch(channel)
        if not sep or match is None or not is_device_name(name):
            return None
        number = int(match[1])
        return (name, number) if 1 <= number <= MAX_GANGS else None

    def parse_command_topic(self, topic: str) -> tuple[str, CommandKind] | None:
        """`(name, "set"|"get")` for a device command topic, else None.

        Only `B/<name>/set` and `B/<name>/get` with a valid device name match: a name with
        `/`, `+`, `#` or anything outside `[A-Za-z0-9_-]`, an empty or over-long name and
        the reserved `bridge` never do.
        """
        prefix = f"{self.base}/"
        if not topic.startswith(prefix):
            return None
        name, sep, kind = topic[len(prefix) :].rpartition("/")
        if not sep or not is_device_name(name):
            return None
        if kind == "set":
            return name, "set"
        if kind == "get":
            return name, "get"
        return None

    # -- Home Assistant ----------------------------------------------------------------

    @property
    def ha_status(self) -> str:
        """`<prefix>/status`: Home Assistant says `online` here when it (re)starts."""
        return f"{self.ha_prefix}/status"

    def ha_config(self, component: str, device_id: str, object_id: str) -> str:
        """`<prefix>/<component>/<device id>/<object>/config`: one entity's discovery."""
        return f"{self.ha_prefix}/{component}/{ha_node_id(device_id)}/{object_id}/config"
