"""setsmart: a local-first controller for Tuya-based Wi-Fi plugs and bulbs."""

__version__ = "0.1.0"
