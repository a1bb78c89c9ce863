"""Tuya data centres and the base URL a client talks to. Pure."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from types import MappingProxyType
from urllib.parse import urlsplit

from setsmart.cloud.errors import CloudConfigError

__all__ = ["REGIONS", "base_url", "is_loopback_host"]

REGIONS: Mapping[str, str] = MappingProxyType(
    {
        "us": "https://openapi.tuyaus.com",
        "us-e": "https://openapi-ueaz.tuyaus.com",
        "eu": "https://openapi.tuyaeu.com",
        "eu-w": "https://openapi-weaz.tuyaeu.com",
        "in": "https://openapi.tuyain.com",
        "cn": "https://openapi.tuyacn.com",
        "sg": "https://openapi-sg.iotbing.com",
    }
)


def is_loopback_host(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def base_url(region: str, endpoint: str | None = None) -> str:
    """The base URL (no trailing slash) for `region`, or the checked `endpoint` override.

    The endpoint must be HTTPS; plain HTTP is allowed only to a loopback host (a local
    proxy or a test server), so the secret-signed requests never cross a network in clear.
    """
    if region not in REGIONS:
        raise CloudConfigError(f"unknown cloud region {region!r}: use one of {', '.join(REGIONS)}")
    if endpoint is None:
        return REGIONS[region]
    try:
        parts = urlsplit(endpoint.strip())
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise CloudConfigError("cloud endpoint is not a valid URL") from None
    # Quote only scheme and host: the rest of a bad URL might hold credentials.
    shown = f"{parts.scheme}://{host}" if parts.scheme and host else "the given value"
    if not host or parts.scheme not in ("http", "https"):
        raise CloudConfigError(f"cloud endpoint {shown} is not an https:// URL with a host name")
    if parts.username is not None or parts.password is not None:
        raise CloudConfigError(f"cloud endpoint {shown} must not contain a user name or password")
    if parts.query or parts.fragment:
        raise CloudConfigError(f"cloud endpoint {shown} must not have a query or fragment")
    if parts.scheme == "http" and not is_loopback_host(host):
        raise CloudConfigError(
            f"cloud endpoint {shown} uses plain http: use https:// "
            "(http is allowed only to localhost, 127.0.0.0/8 or ::1)"
        )
    return endpoint.strip().rstrip("/")
