"""Tuya cloud OpenAPI request signing (HMAC-SHA256, projects created after mid-2021).

Pure: no I/O, no clock, no randomness. The caller supplies the time and the nonce.

    string_to_sign = METHOD "\\n" sha256hex(body) "\\n" HEADERS "\\n" URL
    sign = upper(hex(HMAC-SHA256(secret, client_id + access_token + t + nonce + string_to_sign)))

HEADERS is "name:value\\n" for each header named in `Signature-Headers` (in that order);
URL is the path, then "?" and the query pairs sorted by key, values NOT url-encoded.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

SIGN_METHOD = "HMAC-SHA256"
SIGNATURE_HEADERS = "Signature-Headers"

__all__ = [
    "SIGNATURE_HEADERS",
    "SIGN_METHOD",
    "canonical_url",
    "path_with_query",
    "sign",
    "signed_headers",
    "string_to_sign",
    "verify_request",
]


def path_with_query(path: str, query: Mapping[str, str] | None = None) -> str:
    """`path?k=v&...` with the keys sorted and the values as given (the form that is signed)."""
    if not query:
        return path
    return path + "?" + "&".join(f"{key}={query[key]}" for key in sorted(query))


def canonical_url(path_with_query: str) -> str:
    """The URL as signed: query pairs sorted by key (stable), values left as they are."""
    path, _, query = path_with_query.partition("?")
    pairs = [pair.partition("=") for pair in query.split("&") if pair]
    if not pairs:
        return path
    pairs.sort(key=lambda pair: pair[0])
    return path + "?" + "&".join(f"{key}={value}" for key, _, value in pairs)


def string_to_sign(
    method: str,
    path_with_query: str,
    body: bytes,
    signature_headers: Mapping[str, str],
) -> str:
    """The request digest that is signed, exactly as Tuya builds it."""
    headers = "".join(f"{name}:{value}\n" for name, value in signature_headers.items())
    content_hash = hashlib.sha256(body).hexdigest()
    return f"{method.upper()}\n{content_hash}\n{headers}\n{canonical_url(path_with_query)}"


def sign(  # noqa: PLR0917 - positional like Tuya's documented formula
    client_id: str,
    secret: str,
    t_ms: int,
    nonce: str,
    string_to_sign: str,
    access_token: str = "",
) -> str:
    """Upper-case hex HMAC-SHA256 over client_id + access_token + t + nonce + string_to_sign."""
    message = f"{client_id}{access_token}{t_ms}{nonce}{string_to_sign}"
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return digest.upper()


def signed_headers(
    *,
    client_id: str,
    secret: str,
    t_ms: int,
    method: str,
    path_with_query: str,
    body: bytes = b"",
    access_token: str = "",
    nonce: str = "",
    signature_headers: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The headers of a signed request.

    `access_token` is sent only when there is one (not on the token call), and
    `Signature-Headers` (with the headers it names) only when some are signed.
    """
    extra = dict(signature_headers or {})
    for name in extra:
        if not name or ":" in name or "\n" in name:
            raise ValueError(f"cannot sign a header named {name!r}")
    digest = string_to_sign(method, path_with_query, body, extra)
    headers = {
        "client_id": client_id,
        "sign": sign(client_id, secret, t_ms, nonce, digest, access_token),
        "t": str(t_ms),
        "sign_method": SIGN_METHOD,
        "nonce": nonce,
    }
    if access_token:
        headers["access_token"] = access_token
    if extra:
        headers[SIGNATURE_HEADERS] = ":".join(extra)
        headers.update(extra)
    return headers


def verify_request(
    *,
    secret: str,
    method: str,
    path_with_query: str,
    body: bytes,
    headers: Mapping[str, str],
) -> bool:
    """Check a received request's signature as the Tuya cloud does.

    Header names are matched case-insensitively; `path_with_query` carries the decoded
    query values. False for any missing or malformed signing header.
    """
    lower = {name.lower(): value for name, value in headers.items()}
    client_id = lower.get("client_id")
    given = lower.get("sign")
    t = lower.get("t")
    if client_id is None or given is None or t is None or not (t.isascii() and t.isdigit()):
        return False
    if lower.get("sign_method", SIGN_METHOD) != SIGN_METHOD:
        return False
    names = [name for name in lower.get(SIGNATURE_HEADERS.lower(), "").split(":") if name]
    if any(name.lower() not in lower for name in names):
        return False
    signed = {name: lower[name.lower()] for name in names}
    digest = string_to_sign(method, path_with_query, body, signed)
    expected = sign(
        client_id, secret, int(t), lower.get("nonce", ""), digest, lower.get("access_token", "")
    )
    return hmac.compare_digest(expected.encode(), given.encode())
