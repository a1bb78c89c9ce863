"""Which daemon holds a base topic, read before this one starts.

A daemon holds its base topic `B` while `B/bridge/state` is retained `online`: its last
will turns it `offline` when it dies, so a retained `online` left by a crashed daemon has
already become `offline`. `B/bridge/info` names the holder (`instance`, its client id).

A starting daemon reads both retained topics over a short connection of its own: no will,
a client id of its own (the configured one would take the running daemon's session), and
nothing published. The retained messages of a subscription come before the broker answers
the next SUBSCRIBE, so a second subscription, to a topic nobody uses, marks the end of
them without waiting on a timer.
"""

from __future__ import annotations

import asyncio
import json
import secrets

from setsmart.config import MqttConfig
from setsmart.errors import SetsmartError
from setsmart.mqtt.bridge import endpoint
from setsmart.mqtt.connection import connect
from setsmart.mqtt.errors import MqttError
from setsmart.mqtt.payloads import ONLINE
from setsmart.mqtt.session import ConnectOptions, Message
from setsmart.mqtt.topics import Topics

#: How `holder` names an instance that publishes no `bridge/info` (an older daemon).
UNKNOWN = "one that publishes no bridge/info"

_TIMEOUT = 10.0  # seconds for the connection and each acknowledgement, as the bridge's
_LINGER = 0.05  # seconds to let the last retained message through after the marker


class BrokerUnreachable(SetsmartError):
    """The broker could not be asked (refused, unreachable, bad credentials): retry."""


def holder(state: bytes | None, info: bytes | None) -> str | None:
    """The instance holding the base topic, from its retained `bridge/state` and
    `bridge/info`; None when the topic is free (no state, or `offline`)."""
    if state is None or state.strip() != ONLINE.encode():
        return None
    try:
        document = json.loads(info) if info else None
    except ValueError:
        document = None
    instance = document.get("instance") if isinstance(document, dict) else None
    return instance if isinstance(instance, str) and instance else UNKNOWN


async def read_holder(settings: MqttConfig, topics: Topics) -> str | None:
    """`holder` of what the broker keeps now; raises BrokerUnreachable when it cannot be
    asked (the caller retries, as the bridge does)."""
    options = ConnectOptions(
        client_id=f"{settings.client_id}-check-{secrets.token_hex(3)}",
        username=settings.username.reveal() if settings.username else None,
        password=settings.password.reveal() if settings.password else None,
        connect_timeout=_TIMEOUT,
    )
    retained: dict[str, bytes] = {}

    def keep(message: Message) -> None:
        retained[message.topic] = bytes(message.payload)

    try:
        connection = await connect(endpoint(settings), options, keep)
        try:
            async with asyncio.timeout(_TIMEOUT):
                await connection.subscribe([topics.bridge_state, topics.bridge_info])
                await connection.subscribe([f"{topics.base}/bridge/check/{secrets.token_hex(8)}"])
            await asyncio.sleep(_LINGER)
        finally:
            connection.close()
    except (MqttError, TimeoutError) as exc:
        raise BrokerUnreachable(str(exc) or "no answer from the broker") from None
    return holder(retained.get(topics.bridge_state), retained.get(topics.bridge_info))
