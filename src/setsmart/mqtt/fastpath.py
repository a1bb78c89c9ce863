"""Messages straight between paho and the bridge, on the event loop's thread.

aiomqtt keeps the connection: connect, the will, TLS, subscriptions, keepalive, and telling
when it ends. Its message API makes every message take several loop iterations, which on a
loaded Raspberry Pi is most of a command's latency:
- out: `publish()` awaits each message's write (a QoS 1 one's PUBACK) through a Task and
  an Event of its own, and aiomqtt registers the socket for writing through
  `call_soon_threadsafe`, so a message leaves two iterations and a self-pipe wake-up later;
- in: its message iterator takes a Task and an `asyncio.wait` for every message.
Here messages go through aiomqtt's paho client instead (`Client._client`, the one private
name this relies on), with paho's public API: written the moment they are queued, and
delivered from paho's `on_message` as they are parsed. paho keeps them in order and does
QoS 1 (inflight window, resending) as before.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import aiomqtt
import paho.mqtt.client as mqtt


def paho_of(client: aiomqtt.Client) -> mqtt.Client:
    """aiomqtt's paho client (connected by aiomqtt, used here for messages only)."""
    return client._client


def write_at_once(paho: mqtt.Client) -> None:
    """Write each packet as it is queued; only what the socket will not take now waits
    for it to be writable. Call once connected: from then on everything is queued from the
    loop's thread (paho's connect runs in a thread of aiomqtt's, hence its indirection)."""
    loop = asyncio.get_running_loop()

    def register_write(client: mqtt.Client, userdata: object, sock: mqtt.SocketLike) -> None:
        with contextlib.suppress(OSError):  # a broken socket is the reader's to report
            client.loop_write()
        if client.want_write():
            # paho thinks the socket registered already; its unregister (aiomqtt's
            # callback) removes this writer once everything is written.
            loop.add_writer(sock.fileno(), client.loop_write)

    paho.on_socket_register_write = register_write


def skip_publish_callbacks(paho: mqtt.Client) -> None:
    """Stop paho calling `on_publish`: only aiomqtt's publish() waits on it, and for it
    paho builds a ReasonCode and a Properties object (tens of microseconds) for every QoS 0
    message it writes. PUBACKs still mark each message's `MQTTMessageInfo` published.
    Call once aiomqtt's publish() is no longer used on this connection."""
    paho.on_publish = None


def deliver_at_once(paho: mqtt.Client, deliver: Callable[[mqtt.MQTTMessage], None]) -> None:
    """Hand every incoming message to `deliver` as paho parses it (on the loop's thread,
    inside paho's read: `deliver` must not block). aiomqtt's iterator then receives none,
    and serves only to tell when the connection ends."""

    def on_message(client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        deliver(message)

    paho.on_message = on_message
