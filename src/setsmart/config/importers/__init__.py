"""Importers: device lists from other tools (tinytuya's devices.json, the Tuya cloud) turned
into setsmart configuration. The conversions are pure; only `cloud.fetch_cloud_devices`
talks to the network, through a client it is given.

Not imported by `setsmart.config` itself, so that loading a configuration pulls in none of it.
"""

from setsmart.config.importers.build import build_devices
from setsmart.config.importers.errors import ImportSourceError, OutputError, OutputExistsError
from setsmart.config.importers.model import DpInfo, ImportResult, SkippedDevice, SourceDevice
from setsmart.config.importers.names import NameAllocator, topic_safe
from setsmart.config.importers.output import (
    moved_paths_note,
    render_config,
    write_private_file,
)
from setsmart.config.importers.report import import_summary
from setsmart.config.importers.tinytuya import load_tinytuya, parse_tinytuya

__all__ = [
    "DpInfo",
    "ImportResult",
    "ImportSourceError",
    "NameAllocator",
    "OutputError",
    "OutputExistsError",
    "SkippedDevice",
    "SourceDevice",
    "build_devices",
    "import_summary",
    "load_tinytuya",
    "moved_paths_note",
    "parse_tinytuya",
    "render_config",
    "topic_safe",
    "write_private_file",
]
