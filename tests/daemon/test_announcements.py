"""What the daemon keeps retained about its devices: Home Assistant's discovery documents,
firmware documents, and the clearing of what a device no longer has.

The bridge is a real `MqttBridge` that never connects: what it would publish retained is
what it holds (`retained(topic)`), and a clear drops it."""

from __future__ import annotations

import json
from pathlib import Path

from setsmart.cloud.models import UpgradeInfo
from setsmart.config import DeviceConfig, MqttConfig
from setsmart.daemon.announcements import Announcements
from setsmart.daemon.events import EventHub
from setsmart.daemon.gateways import NO_GATEWAYS, plan
from setsmart.daemon.retained import RetainedTopics
from setsmart.daemon.store import load_published
from setsmart.devices import profile_for
from setsmart.mqtt.bridge import MqttBridge
from setsmart.mqtt.topics import Topics
from tests.daemon.test_keeping import Tasks, saver

TOPICS = Topics(base="setsmart", ha_prefix="homeassistant")
PLUG = DeviceConfig(id="bfannounce0000000001", name="desk", type="plug")
STRIP = DeviceConfig(id=PLUG.id, name=PLUG.name, type="strip")
DIMMER = DeviceConfig(id=PLUG.id, name=PLUG.name, type="dimmer")
TWO_CHANNELS = profile_for("dimmer", {"switch_led_1": 1, "switch_led_2": 7})
HUB = DeviceConfig(id="bfannouncehub0000001", name="hub")
CHILD = DeviceConfig(id="bfannouncechild00001", name="porch", gateway="hub", node_id="a4c1")
SWITCH = "homeassistant/switch/bfannounce0000000001/switch/config"
WIFI_MODULE = UpgradeInfo(0, 0, "1.0.0", "", "", "")
GANG_1 = "homeassistant/switch/bfannounce0000000001/l1/config"
CONNECTIVITY = "homeassistant/binary_sensor/bfannouncehub0000001/connectivity/config"


def announcements(tmp_path: Path, tasks: Tasks, *, discovery: bool = True) -> Announcements:
    bridge = MqttBridge(
        MqttConfig(), status_topic=TOPICS.bridge_state, subscriptions=[], on_message=print
    )
    retained = RetainedTopics(saver(tmp_path), tasks)
    retained.load()
    return Announcements(bridge, TOPICS, retained, EventHub(), discovery)


def held(announce: Announcements, topic: str) -> object:
    payload = announce.bridge.retained(topic)
    return None if payload is None else json.loads(payload)


async def test_a_device_is_announced_once_its_kind_is_known(tmp_path: Path) -> None:
    tasks = Tasks()
    announce = announcements(tmp_path, tasks)
    announce.device(PLUG, None, NO_GATEWAYS)
    assert announce.retained.of(PLUG.id) == ()
    announce.device(PLUG, profile_for("plug"), NO_GATEWAYS)
    switch = held(announce, SWITCH)
    assert isinstance(switch, dict)
    assert switch["command_topic"] == "setsmart/desk/set"
    register = announce.retained.of(PLUG.id)
    assert {SWITCH, "setsmart/desk", "setsmart/desk/availability"} <= set(register)
    await tasks.settle()
    assert load_published(announce.retained.saver.store).value[PLUG.id] == register


async def test_with_discovery_off_nothing_is_announced(tmp_path: Path) -> None:
    announce = announcements(tmp_path, Tasks(), discovery=False)
    announce.device(PLUG, profile_for("plug"), NO_GATEWAYS)
    assert held(announce, SWITCH) is None
    assert announce.retained.of(PLUG.id) == ()


async def test_a_type_change_clears_the_entities_and_channels_that_are_gone(
    tmp_path: Path,
) -> None:
    announce = announcements(tmp_path, Tasks())
    announce.device(STRIP, profile_for("strip"), NO_GATEWAYS)
    assert held(announce, GANG_1) is not None
    announce.device(PLUG, profile_for("plug"), NO_GATEWAYS)
    assert held(announce, GANG_1) is None
    assert held(announce, SWITCH) is not None
    assert GANG_1 not in announce.retained.of(PLUG.id)

    channel = TOPICS.channel_state("desk", 2)
    announce.device(DIMMER, TWO_CHANNELS, NO_GATEWAYS)
    announce.bridge.publish(channel, b'{"state": "ON"}', retain=True)
    assert channel in announce.retained.of(PLUG.id)
    assert held(announce, SWITCH) is None
    announce.device(PLUG, profile_for("plug"), NO_GATEWAYS)
    assert held(announce, channel) is None
    assert channel not in announce.retained.of(PLUG.id)


async def test_a_gateway_shows_its_connection_until_nothing_names_it(tmp_path: Path) -> None:
    announce = announcements(tmp_path, Tasks())
    announce.device(HUB, None, plan([HUB, CHILD]))
    connectivity = held(announce, CONNECTIVITY)
    assert isinstance(connectivity, dict)
    assert connectivity["device_class"] == "connectivity"
    announce.gateway_gone(HUB.id)
    assert held(announce, CONNECTIVITY) is None
    assert CONNECTIVITY not in announce.retained.of(HUB.id)


async def test_a_removed_device_loses_every_topic_it_had(tmp_path: Path) -> None:
    tasks = Tasks()
    announce = announcements(tmp_path, tasks)
    announce.device(PLUG, profile_for("plug"), NO_GATEWAYS)
    announce.bridge.publish("setsmart/desk", b'{"state": "ON"}', retain=True)
    announce.firmware(PLUG.name, PLUG.id, [WIFI_MODULE])
    assert held(announce, "setsmart/desk/firmware") is not None

    announce.forget(PLUG, profile_for("plug"))
    for topic in (SWITCH, "setsmart/desk", "setsmart/desk/firmware"):
        assert held(announce, topic) is None, topic
    assert announce.retained.of(PLUG.id) == ()


async def test_devices_of_an_earlier_run_that_are_no_longer_configured_are_cleared(
    tmp_path: Path,
) -> None:
    tasks = Tasks()
    earlier = announcements(tmp_path, tasks)
    earlier.device(PLUG, profile_for("plug"), NO_GATEWAYS)
    earlier.device(HUB, None, plan([HUB, CHILD]))
    await tasks.settle()

    again = announcements(tmp_path, tasks)  # the next run, with only the hub configured
    for topic in earlier.retained.of(PLUG.id):
        again.bridge.publish(topic, b"{}", retain=True)
    again.forget_all_but([HUB])
    assert held(again, SWITCH) is None
    assert again.retained.of(PLUG.id) == ()
    assert CONNECTIVITY in again.retained.of(HUB.id)


async def test_a_firmware_document_is_published_registered_and_returned(tmp_path: Path) -> None:
    announce = announcements(tmp_path, Tasks())
    with announce.hub.listen() as listener:
        document = announce.firmware(PLUG.name, PLUG.id, [WIFI_MODULE])
        event = await listener.next()
    assert held(announce, "setsmart/desk/firmware") == document
    assert document["modules"]
    assert "setsmart/desk/firmware" in announce.retained.of(PLUG.id)
    assert event == ("firmware", {"device": "desk", **document})
