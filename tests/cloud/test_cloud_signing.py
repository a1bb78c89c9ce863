"""The request signer against Tuya's published vectors, and the verifier the fake cloud uses."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from setsmart.cloud.signing import (
    SIGN_METHOD,
    canonical_url,
    path_with_query,
    sign,
    signed_headers,
    string_to_sign,
    verify_request,
)

# Tuya's published test vectors (PROTOCOL.md, "Cloud OpenAPI").
CLIENT_ID = "1KAD46OrT9HafiKdsXeg"
SECRET = "4OHBOnWOqaEC1mWXOpVL3yV50s0qGSRC"
T_MS = 1588925778000
NONCE = "5138cc3a9033d69856923fd07b491173"
ACCESS_TOKEN = "3f4eda2bdec17232f67c0b188af3eec1"
AREA_AND_CALL = {"area_id": "29a33e8796834b1efa6", "call_id": "8afdb70ab2ed11eb85290242ac130003"}
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def test_token_request_vector() -> None:
    digest = string_to_sign("GET", "/v1.0/token?grant_type=1", b"", AREA_AND_CALL)
    assert sign(CLIENT_ID, SECRET, T_MS, NONCE, digest) == (
        "9E48A3E93B302EEECC803C7241985D0A34EB944F40FB573C7B5C2A82158AF13E"
    )


def test_business_request_vector_with_access_token() -> None:
    digest = string_to_sign(
        "GET", "/v2.0/apps/schema/users?page_no=1&page_size=50", b"", AREA_AND_CALL
    )
    assert sign(CLIENT_ID, SECRET, T_MS, NONCE, digest, ACCESS_TOKEN) == (
        "AE4481C692AA80B25F3A7E12C3A5FD9BBF6251539DD78E565A1A72A508A88784"
    )


def test_vector_query_order_does_not_matter() -> None:
    a = string_to_sign("GET", "/v2.0/apps/schema/users?page_size=50&page_no=1", b"", {})
    b = string_to_sign("GET", "/v2.0/apps/schema/users?page_no=1&page_size=50", b"", {})
    assert a == b


def test_string_to_sign_layout() -> None:
    body = b'{"commands":[{"code":"switch_1","value":true}]}'
    digest = string_to_sign("post", "/v1.0/iot-03/devices/abc/commands", body, {"x": "1"})
    assert digest == (
        f"POST\n{hashlib.sha256(body).hexdigest()}\nx:1\n\n/v1.0/iot-03/devices/abc/commands"
    )


def test_string_to_sign_without_signature_headers_has_empty_header_line() -> None:
    assert string_to_sign("GET", "/v1.0/token?grant_type=1", b"", {}) == (
        f"GET\n{EMPTY_SHA256}\n\n/v1.0/token?grant_type=1"
    )


def test_query_values_are_not_url_encoded_and_keys_sorted() -> None:
    assert canonical_url("/p?b=x y&a=1/2&c=%41") == "/p?a=1/2&b=x y&c=%41"


def test_canonical_url_edge_cases() -> None:
    assert canonical_url("/p") == "/p"
    assert canonical_url("/p?") == "/p"
    assert canonical_url("/p?&&") == "/p"
    assert canonical_url("/p?flag&a=1") == "/p?a=1&flag="
    # sorting is stable for a repeated key
    assert canonical_url("/p?k=2&a=0&k=1") == "/p?a=0&k=2&k=1"


def test_path_with_query_sorts_and_keeps_values() -> None:
    assert path_with_query("/v1.0/token") == "/v1.0/token"
    assert path_with_query("/x", {}) == "/x"
    assert path_with_query("/x", {"z": "a b", "a": "1"}) == "/x?a=1&z=a b"


def test_signed_headers_for_a_token_call() -> None:
    headers = signed_headers(
        client_id=CLIENT_ID,
        secret=SECRET,
        t_ms=T_MS,
        method="GET",
        path_with_query="/v1.0/token?grant_type=1",
        nonce=NONCE,
        signature_headers=AREA_AND_CALL,
    )
    assert headers == {
        "client_id": CLIENT_ID,
        "sign": "9E48A3E93B302EEECC803C7241985D0A34EB944F40FB573C7B5C2A82158AF13E",
        "t": "1588925778000",
        "sign_method": "HMAC-SHA256",
        "nonce": NONCE,
        "Signature-Headers": "area_id:call_id",
        "area_id": "29a33e8796834b1efa6",
        "call_id": "8afdb70ab2ed11eb85290242ac130003",
    }


def test_signed_headers_carry_the_access_token_only_when_present() -> None:
    with_token = signed_headers(
        client_id=CLIENT_ID,
        secret=SECRET,
        t_ms=T_MS,
        method="GET",
        path_with_query="/v2.0/apps/schema/users?page_no=1&page_size=50",
        access_token=ACCESS_TOKEN,
        nonce=NONCE,
        signature_headers=AREA_AND_CALL,
    )
    assert with_token["access_token"] == ACCESS_TOKEN
    assert with_token["sign"] == "AE4481C692AA80B25F3A7E12C3A5FD9BBF6251539DD78E565A1A72A508A88784"
    bare = signed_headers(
        client_id=CLIENT_ID, secret=SECRET, t_ms=T_MS, method="GET", path_with_query="/x"
    )
    assert "access_token" not in bare
    assert "Signature-Headers" not in bare
    assert bare["sign_method"] == SIGN_METHOD


@pytest.mark.parametrize("name", ["", "a:b", "a\nb"])
def test_signed_headers_refuse_unsignable_header_names(name: str) -> None:
    with pytest.raises(ValueError, match="cannot sign a header"):
        signed_headers(
            client_id="c",
            secret="s",
            t_ms=1,
            method="GET",
            path_with_query="/",
            signature_headers={name: "v"},
        )


def _vector_headers() -> dict[str, str]:
    return signed_headers(
        client_id=CLIENT_ID,
        secret=SECRET,
        t_ms=T_MS,
        method="GET",
        path_with_query="/v2.0/apps/schema/users?page_no=1&page_size=50",
        access_token=ACCESS_TOKEN,
        nonce=NONCE,
        signature_headers=AREA_AND_CALL,
    )


def _verify(headers: dict[str, str], *, secret: str = SECRET, body: bytes = b"") -> bool:
    return verify_request(
        secret=secret,
        method="GET",
        path_with_query="/v2.0/apps/schema/users?page_size=50&page_no=1",
        body=body,
        headers=headers,
    )


def test_verifier_accepts_the_published_vector_with_any_header_case() -> None:
    headers = _vector_headers()
    assert _verify(headers)
    assert _verify({name.upper(): value for name, value in headers.items()})


def test_verifier_accepts_a_request_without_nonce_or_sign_method() -> None:
    headers = signed_headers(
        client_id=CLIENT_ID, secret=SECRET, t_ms=T_MS, method="GET", path_with_query="/v1.0/x"
    )
    del headers["nonce"], headers["sign_method"]
    assert verify_request(
        secret=SECRET, method="GET", path_with_query="/v1.0/x", body=b"", headers=headers
    )


@pytest.mark.parametrize(
    ("change", "value"),
    [
        ("sign", "AE4481C692AA80B25F3A7E12C3A5FD9BBF6251539DD78E565A1A72A508A88785"),
        ("sign", "ae4481c692aa80b25f3a7e12c3a5fd9bbf6251539dd78e565a1a72a508a88784"),
        ("sign", "é"),
        ("t", "1588925778001"),
        ("t", "soon"),
        ("t", "²"),
        ("nonce", "0"),
        ("access_token", "0" * 32),
        ("client_id", "someone-else"),
        ("sign_method", "MD5"),
        ("call_id", "8afdb70ab2ed11eb85290242ac130004"),
    ],
)
def test_verifier_rejects_any_changed_header(change: str, value: str) -> None:
    headers = _vector_headers()
    headers[change] = value
    assert not _verify(headers)


@pytest.mark.parametrize("missing", ["client_id", "sign", "t", "area_id", "access_token"])
def test_verifier_rejects_a_missing_header(missing: str) -> None:
    headers = _vector_headers()
    del headers[missing]
    assert not _verify(headers)


def test_verifier_rejects_wrong_secret_and_changed_body() -> None:
    headers = _vector_headers()
    assert not _verify(headers, secret=SECRET[:-1] + "x")
    assert not _verify(headers, body=b"{}")


@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    path=st.from_regex(r"/v1\.[0-9]/[a-z0-9/_-]{0,30}", fullmatch=True),
    query=st.dictionaries(
        st.from_regex(r"[a-z_]{1,8}", fullmatch=True),
        # Surrogates cannot be encoded as UTF-8, so no URL query carries them.
        st.text(
            alphabet=st.characters(blacklist_characters="&=#", codec="utf-8"),
            max_size=10,
        ),
        max_size=4,
    ),
    body=st.binary(max_size=64),
    token=st.from_regex(r"[0-9a-f]{0,32}", fullmatch=True),
    t_ms=st.integers(min_value=0, max_value=2**45),
)
def test_every_signed_request_verifies_and_a_changed_body_does_not(
    *, method: str, path: str, query: dict[str, str], body: bytes, token: str, t_ms: int
) -> None:
    pwq = path_with_query(path, query)
    headers = signed_headers(
        client_id="cid",
        secret="sec",
        t_ms=t_ms,
        method=method,
        path_with_query=pwq,
        body=body,
        access_token=token,
        nonce="n",
    )
    assert verify_request(
        secret="sec", method=method, path_with_query=pwq, body=body, headers=headers
    )
    assert not verify_request(
        secret="sec", method=method, path_with_query=pwq, body=body + b"!", headers=headers
    )
