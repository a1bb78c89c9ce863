"""What the daemon keeps retained on the broker about its devices, beside their states:
Home Assistant's discovery documents, firmware documents, `B/bridge/devices` and
`B/bridge/info`, and the clearing of topics that no longer stand for anything.

Rules:
- A device's discovery documents go out once its kind is known (it has a profile), and
  at once for a gateway (its connectivity entity needs no DP); none with discovery off.
- The register of retained topics (`retained`) holds every such topic of a device. What a
  device no longer has (an entity after a type change, a channel after a lost gang, a
  gateway's connectivity once nothing names it) is cleared with an empty retained
  message, so that Home Assistant drops it instead of showing it unavailable forever.
- A device that leaves the configuration, now or while the daemon was not running, loses
  every topic it had.

One per broker connection: the supervisor makes a new one with each bridge.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from setsmart.daemon import firmware
from setsmart.daemon.events import EventHub
from setsmart.daemon.gateways import GatewayPlan
from setsmart.daemon.instance import info_payload
from setsmart.daemon.retained import RetainedTopics
from setsmart.mqtt.bridge import MqttBridge
from setsmart.mqtt.channels import published_channels
from setsmart.mqtt.discovery import (
    GATEWAY_OBJECT,
    DiscoveryPayloads,
    Family,
    discovery_documents,
    removed_device_topics,
    stale_discovery_topics,
)
from setsmart.mqtt.payloads import BridgeDevice, bridge_devices_document, encode_json
from setsmart.mqtt.topics import Topics

if TYPE_CHECKING:
    from setsmart.cloud.models import UpgradeInfo
    from setsmart.config import Config, DeviceConfig
    from setsmart.daemon.runtime import DeviceRuntime
    from setsmart.devices import DeviceProfile


@dataclass(eq=False, slots=True)
class Announcements:
    bridge: MqttBridge
    topics: Topics
    retained: RetainedTopics
    hub: EventHub
    discovery: bool  # homeassistant.discovery

    def device(
        self, config: DeviceConfig, profile: DeviceProfile | None, plan: GatewayPlan
    ) -> None:
        """Publish the device's discovery documents, clearing those it no longer has."""
        family = Family(
            via=None if config.gateway is None else plan.ids.get(config.gateway),
            gateway=config.name in plan.gateways,
        )
        if not self.discovery or (profile is None and not family.gateway):
            return
        topics, name = self.topics, config.name
        documents = discovery_documents(config, profile, topics, family)
        before = self.retained.of(config.id)
        if before:
            self.clear(
                t for t in stale_discovery_topics(config.id, topics, documents) if t in before
            )
        payloads = DiscoveryPayloads(config, profile, topics, family)
        # QoS 0, as the state documents: the bridge publishes every retained message again
        # after a reconnect, so a PUBACK each would add nothing but waits. At start-up with
        # 1000 devices their 5000 acknowledgements, 20 at a time, held the devices'
        # availability back by about 0.3 s.
        for topic in documents:
            self.bridge.publish(topic, payloads, retain=True)
        channels = {topics.channel_state(name, n) for n in published_channels(profile)}
        self.clear(t for t in before if t not in channels and self._is_channel_topic(name, t))
        now = {*documents, topics.state(name), topics.availability(name), *channels}
        now |= set(before) & {firmware.state_topic(topics.base, name)}
        self.retained.set(config.id, now)

    def gateway_gone(self, device_id: str) -> None:
        """A device that is no longer a gateway loses its connectivity entity (a device
        without DPs never publishes documents again that would clear it)."""
        before = self.retained.of(device_id)
        topic = self.topics.ha_config("binary_sensor", device_id, GATEWAY_OBJECT)
        if topic in before:
            self.clear([topic])
            self.retained.set(device_id, [t for t in before if t != topic])

    def forget(self, config: DeviceConfig, profile: DeviceProfile | None) -> None:
        """A device removed from the configuration: every topic it had is cleared."""
        topics = self.topics
        self.clear(
            {
                *removed_device_topics(config, topics),
                *(topics.channel_state(config.name, n) for n in published_channels(profile)),
                *self.retained.forget(config.id),
            }
        )

    def forget_all_but(self, devices: Iterable[DeviceConfig]) -> None:
        """Devices published by an earlier run but no longer configured lose their topics."""
        self.clear(self.retained.forget_all_but(d.id for d in devices))

    def firmware(self, name: str, device_id: str, infos: list[UpgradeInfo]) -> dict[str, object]:
        """Publish the device's firmware document (`B/<name>/firmware`); returns it."""
        topic = firmware.state_topic(self.topics.base, name)
        document = firmware.firmware_document(infos, datetime.now(UTC))
        self.bridge.publish(topic, encode_json(document), retain=True, qos=1)
        self.hub.publish("firmware", {"device": name, **document})
        self.retained.add(device_id, topic)
        return document

    def devices(self, runtimes: Iterable[DeviceRuntime]) -> None:
        """`B/bridge/devices`: one row per configured device."""
        rows = []
        for runtime in runtimes:
            config, link = runtime.config, runtime.link
            rows.append(
                BridgeDevice(
                    name=config.name,
                    id=config.id,
                    type=str(runtime.profile.type) if runtime.profile else config.type,
                    connection=runtime.connection,
                    host=link.host if link else config.host,
                    version=link.version if link else config.version,
                )
            )
        document = bridge_devices_document(rows)
        self.bridge.publish(self.topics.bridge_devices, encode_json(document), retain=True, qos=1)
        self.hub.publish("devices", document)

    def info(self, config: Config) -> None:
        self.bridge.publish(self.topics.bridge_info, info_payload(config), retain=True, qos=1)

    def clear(self, topics: Iterable[str]) -> None:
        for topic in topics:
            self.bridge.publish(topic, b"", retain=True, qos=1)

    def _is_channel_topic(self, name: str, topic: str) -> bool:
        """Whether `topic` is one of the device's channel state topics, `B/<name>/lN`."""
        parsed = self.topics.parse_channel_command(f"{topic}/set")
        return parsed is not None and parsed[0] == name
