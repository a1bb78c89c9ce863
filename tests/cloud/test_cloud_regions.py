"""Data centres and the endpoint override rules."""

from __future__ import annotations

import pytest

from setsmart.cloud.errors import CloudConfigError
from setsmart.cloud.regions import REGIONS, base_url, is_loopback_host


@pytest.mark.parametrize(
    ("region", "url"),
    [
        ("us", "https://openapi.tuyaus.com"),
        ("us-e", "https://openapi-ueaz.tuyaus.com"),
        ("eu", "https://openapi.tuyaeu.com"),
        ("eu-w", "https://openapi-weaz.tuyaeu.com"),
        ("in", "https://openapi.tuyain.com"),
        ("cn", "https://openapi.tuyacn.com"),
        ("sg", "https://openapi-sg.iotbing.com"),
    ],
)
def test_every_data_centre_is_https(region: str, url: str) -> None:
    assert base_url(region) == url


def test_exactly_the_contract_regions_exist() -> None:
    assert list(REGIONS) == ["us", "us-e", "eu", "eu-w", "in", "cn", "sg"]


def test_an_unknown_region_lists_the_known_ones() -> None:
    with pytest.raises(CloudConfigError) as caught:
        base_url("EU")
    assert str(caught.value) == (
        "unknown cloud region 'EU': use one of us, us-e, eu, eu-w, in, cn, sg"
    )


@pytest.mark.parametrize(
    ("endpoint", "url"),
    [
        ("https://proxy.example.net/", "https://proxy.example.net"),
        ("https://proxy.example.net:8443/tuya/", "https://proxy.example.net:8443/tuya"),
        (" https://openapi.tuyaeu.com ", "https://openapi.tuyaeu.com"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://127.8.9.10:1", "http://127.8.9.10:1"),
        ("http://localhost:9000/", "http://localhost:9000"),
        ("http://LOCALHOST", "http://LOCALHOST"),
        ("http://[::1]:8080", "http://[::1]:8080"),
    ],
)
def test_an_accepted_endpoint(endpoint: str, url: str) -> None:
    assert base_url("eu", endpoint) == url


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        (
            "http://openapi.tuyaeu.com",
            "cloud endpoint http://openapi.tuyaeu.com uses plain http: use https:// "
            "(http is allowed only to localhost, 127.0.0.0/8 or ::1)",
        ),
        ("http://10.0.0.1:8080", "cloud endpoint http://10.0.0.1 uses plain http"),
        ("http://128.0.0.1", "uses plain http"),
        ("http://[::2]", "uses plain http"),
        ("http://localhost.example.com", "uses plain http"),
        ("ftp://127.0.0.1", "cloud endpoint ftp://127.0.0.1 is not an https:// URL"),
        ("openapi.tuyaeu.com", "cloud endpoint the given value is not an https:// URL"),
        ("https://", "is not an https:// URL with a host name"),
        ("https://u:hunter2@proxy.example.net", "must not contain a user name or password"),
        ("https://proxy.example.net/?x=1", "must not have a query or fragment"),
        ("https://proxy.example.net/#top", "must not have a query or fragment"),
        ("https://proxy.example.net:99999", "is not a valid URL"),
        ("https://[::1", "is not a valid URL"),
    ],
)
def test_a_refused_endpoint(endpoint: str, message: str) -> None:
    with pytest.raises(CloudConfigError) as caught:
        base_url("eu", endpoint)
    assert message in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_an_endpoint_still_needs_a_known_region() -> None:
    with pytest.raises(CloudConfigError, match="unknown cloud region"):
        base_url("moon", "https://proxy.example.net")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.255.255.254", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("192.168.1.2", False),
        ("example.com", False),
        ("", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback
