"""One daemon per base topic: the check made before start-up, and `B/bridge/info`.

Before it touches a device or publishes anything, a daemon asks the broker who holds its
base topic (`setsmart.mqtt.instance`); while another instance does, it refuses to start
(`BaseTopicTaken`, exit 1) instead of fighting it for the devices and the topics. Daemons
on different base topics share a broker freely, each under its own client id.
"""

from __future__ import annotations

import asyncio
import contextlib

from setsmart import __version__
from setsmart._structlog import structlog
from setsmart.backoff import Backoff
from setsmart.config import Config, summary_fields
from setsmart.errors import SetsmartError
from setsmart.mqtt.instance import BrokerUnreachable, read_holder
from setsmart.mqtt.payloads import bridge_info_document, encode_json
from setsmart.mqtt.topics import Topics

log = structlog.get_logger("setsmart.daemon")


class BaseTopicTaken(SetsmartError):
    """Another daemon holds this base topic on the broker."""


def refusal(config: Config, holder: str) -> str:
    """Why this daemon does not start: the other instance named, and what to do."""
    mqtt = config.mqtt
    where = f"base topic {mqtt.base_topic!r} on {mqtt.host}:{mqtt.port}"
    state = f"{mqtt.base_topic}/bridge/state"
    if holder == mqtt.client_id:
        return (
            f"{where} is held by an instance with this daemon's own client id {holder!r} "
            f"({state} is online): another daemon runs with the same mqtt.client_id, or the "
            "broker has not yet noticed this host's previous run is gone (its keepalive, "
            "45 s at most); not starting"
        )
    return (
        f"{where} is held by another instance, {holder} ({state} is online): give this "
        "daemon its own mqtt.base_topic, or stop the other; not starting"
    )


async def claim_base_topic(config: Config, stop: asyncio.Event, backoff: Backoff) -> bool:
    """True once the base topic is free; False if `stop` is set first (the broker may be
    down for a while: asked again with `backoff`). Raises BaseTopicTaken."""
    topics = Topics.from_config(config)
    while not stop.is_set():
        try:
            holder = await read_holder(config.mqtt, topics)
        except BrokerUnreachable as exc:
            delay = backoff.next_delay()
            log.warning(
                "MQTT broker unreachable; retrying",
                broker=f"{config.mqtt.host}:{config.mqtt.port}",
                error=str(exc),
                retry_in=round(delay, 1),
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            continue
        backoff.reset()
        if holder is None:
            return True
        raise BaseTopicTaken(refusal(config, holder))
    return False


def info_payload(config: Config) -> str:
    """`B/bridge/info` of this daemon."""
    document = bridge_info_document(
        version=__version__,
        instance=config.mqtt.client_id,
        devices=len(config.devices),
        config=summary_fields(config),
    )
    return encode_json(document)
