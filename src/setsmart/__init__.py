"""setsmart: a local-first controller for Tuya-based Wi-Fi devices, bridged to MQTT."""

__version__ = "0.1.0"
