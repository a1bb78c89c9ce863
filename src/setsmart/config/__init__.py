"""setsmart.config: the YAML configuration, loaded with precise errors (pure: no network)."""

from setsmart.config.dump import config_to_dict, dump_config
from setsmart.config.errors import ConfigError, ConfigIssue
from setsmart.config.loader import load_config
from setsmart.config.model import (
    CLOUD_REGIONS,
    DEVICE_TYPES,
    PROTOCOL_VERSIONS,
    CloudConfig,
    Config,
    DeviceConfig,
    HomeAssistantConfig,
    HttpConfig,
    LanConfig,
    MqttConfig,
    TlsConfig,
    WatchdogConfig,
)
from setsmart.config.paths import DEFAULT_CONFIG_PATH, resolve_config_path
from setsmart.config.secret import Secret
from setsmart.config.summary import summary, summary_fields

__all__ = [
    "CLOUD_REGIONS",
    "DEFAULT_CONFIG_PATH",
    "DEVICE_TYPES",
    "PROTOCOL_VERSIONS",
    "CloudConfig",
    "Config",
    "ConfigError",
    "ConfigIssue",
    "DeviceConfig",
    "HomeAssistantConfig",
    "HttpConfig",
    "LanConfig",
    "MqttConfig",
    "Secret",
    "TlsConfig",
    "WatchdogConfig",
    "config_to_dict",
    "dump_config",
    "load_config",
    "resolve_config_path",
    "summary",
    "summary_fields",
]
