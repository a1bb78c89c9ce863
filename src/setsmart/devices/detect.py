"""Telling a device's kind by the DPs it reports: see `setsmart.devices.recognise`."""

from setsmart.devices.recognise import detect_type, is_legacy_plug, strip_switch_dps

__all__ = ["detect_type", "is_legacy_plug", "strip_switch_dps"]
