"""What ends an MQTT connection, as one family of exceptions."""

from __future__ import annotations


class MqttError(Exception):
    """The connection to the broker failed or ended; reconnecting may help."""


class ConnectionLost(MqttError):
    """The TCP (or TLS) connection could not be opened, or closed under us."""


class ConnectRefused(MqttError):
    """The broker answered CONNECT with a failure reason code."""

    def __init__(self, reason_code: int, reason: str) -> None:
        super().__init__(f"the broker refused the connection: {reason} (reason code {reason_code})")
        self.reason_code = reason_code


class ProtocolError(MqttError):
    """The broker sent something MQTT 5 does not allow here (or could not be parsed)."""


class KeepaliveTimeout(MqttError):
    """The broker did not answer a PINGREQ in time, or a CONNACK never came."""


class BrokerDisconnected(MqttError):
    """The broker sent DISCONNECT."""

    def __init__(self, reason_code: int, reason: str) -> None:
        super().__init__(f"the broker disconnected: {reason} (reason code {reason_code})")
        self.reason_code = reason_code


class SubscribeRefused(MqttError):
    """The broker refused one of our subscriptions."""
