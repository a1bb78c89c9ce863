"""Payload sealing and opening by version, and the AES helpers under it."""

from __future__ import annotations

import base64

import pytest

from setsmart.protocol import VERSIONS, Version, WrongKeyError
from setsmart.protocol.codec import Opened, PayloadCodec, framing_for, sign_v31
from setsmart.protocol.constants import VERSION_HEADER_LEN, Command, as_version, command_name
from setsmart.protocol.crypto import AesKey
from setsmart.protocol.frame import Frame, Framing

KEY = b"0123456789abcdef"
BODY = b'{"dps":{"1":true}}'


def _codec(version: Version, key: bytes = KEY) -> PayloadCodec:
    return PayloadCodec(version, AesKey(key))


def _open(codec: PayloadCodec, cmd: int, payload: bytes) -> Opened:
    return codec.open(Frame(1, cmd, payload, 0))


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("cmd", [3, 4, 5, 7, 8, 9, 10, 13, 16, 18, 0x40, 0x77])
def test_what_is_sealed_opens_to_the_same_body(version: Version, cmd: int) -> None:
    codec = _codec(version)
    opened = _open(codec, cmd, codec.seal(cmd, BODY))
    assert opened.text == BODY
    assert opened.encrypted == (version != "3.1" or cmd in (7, 8))


def test_framing_follows_the_version() -> None:
    assert [framing_for(v) for v in VERSIONS] == [Framing.CRC] * 3 + [Framing.HMAC, Framing.GCM]


def test_3_3_puts_the_version_header_in_clear_before_the_ciphertext() -> None:
    codec = _codec("3.3")
    sealed = codec.seal(Command.CONTROL, BODY)
    assert sealed[:VERSION_HEADER_LEN] == b"3.3" + bytes(12)
    assert AesKey(KEY).ecb_decrypt(sealed[VERSION_HEADER_LEN:]) == BODY
    assert codec.seal(Command.DP_QUERY, BODY) == AesKey(KEY).ecb_encrypt(BODY)


def test_3_4_encrypts_the_version_header_with_the_body() -> None:
    sealed = _codec("3.4").seal(Command.CONTROL_NEW, BODY)
    assert AesKey(KEY).ecb_decrypt(sealed) == b"3.4" + bytes(12) + BODY


def test_3_1_control_is_signed_and_base64() -> None:
    sealed = _codec("3.1").seal(Command.CONTROL, BODY)
    assert sealed == sign_v31(AesKey(KEY), BODY)
    assert sealed.startswith(b"3.1")
    assert AesKey(KEY).ecb_decrypt(base64.b64decode(sealed[19:])) == BODY
    assert _codec("3.1").seal(Command.DP_QUERY, BODY) == BODY


def test_a_3_1_payload_that_is_not_base64_is_a_wrong_key() -> None:
    with pytest.raises(WrongKeyError, match="not valid base64"):
        _open(_codec("3.1"), 7, b"3.1" + b"0" * 16 + b"not base64!")


def test_the_session_key_replaces_the_local_key_once_set() -> None:
    codec = _codec("3.4")
    assert codec.key.raw == KEY
    codec.session_key = AesKey(b"S" * 16)
    assert codec.frame_key is not None
    assert codec.key.raw == codec.frame_key.raw == b"S" * 16
    assert _codec("3.3").frame_key is None


@pytest.mark.parametrize("version", VERSIONS)
def test_an_empty_payload_opens_empty(version: Version) -> None:
    assert _open(_codec(version), 7, b"") == Opened(b"", encrypted=False)


@pytest.mark.parametrize("version", ["3.2", "3.3", "3.4"])
@pytest.mark.parametrize(
    "text", [b"data format error", b"json obj data unvalid", b"sixteen byte err", b"x" * 32]
)
def test_error_texts_in_clear_are_not_taken_for_a_wrong_key(version: Version, text: bytes) -> None:
    # Not whole AES blocks, or whole blocks that do not decrypt but are all printable.
    assert _open(_codec(version), 10, text) == Opened(text, encrypted=False)


@pytest.mark.parametrize("version", ["3.2", "3.3", "3.4"])
def test_binary_whole_blocks_that_do_not_decrypt_are_a_wrong_key(version: Version) -> None:
    sealed = _codec(version, b"another-key-1234").seal(Command.DP_QUERY, BODY)
    with pytest.raises(WrongKeyError, match="probable wrong local key"):
        _open(_codec(version), Command.DP_QUERY, sealed)


def test_source_headers_are_stripped_like_version_headers() -> None:
    # "3.x", crc32, source seq, source id (as in the captures' pushes)
    source_header = b"3.5" + bytes(4) + (0x7A).to_bytes(4, "big") + (1).to_bytes(4, "big")
    assert len(source_header) == VERSION_HEADER_LEN
    assert _open(_codec("3.5"), 8, source_header + BODY).text == BODY
    assert _open(_codec("3.5"), 8, b"3.5").text == b"3.5"  # too short to be a header


def test_handshake_payloads_are_never_stripped() -> None:
    nonce = b"3.4" + bytes(13)  # a nonce may begin like a header
    codec = _codec("3.4")
    assert _open(codec, Command.SESS_KEY_NEG_START, codec.seal(3, nonce)).text == nonce


# --- crypto ---------------------------------------------------------------------------


def test_aes_keys_are_16_bytes() -> None:
    with pytest.raises(ValueError, match="16 bytes, got 15"):
        AesKey(b"x" * 15)


def test_an_aes_key_never_shows_in_its_repr() -> None:
    assert repr(AesKey(KEY)) == "AesKey(<redacted>)"


def test_ecb_without_padding_is_the_raw_block_cipher() -> None:
    key = AesKey(KEY)
    block = key.ecb_encrypt(bytes(16), pad=False)
    assert len(block) == 16
    assert key.ecb_decrypt(block, unpad=False) == bytes(16)


@pytest.mark.parametrize("data", [b"", b"x" * 15, b"x" * 17])
def test_ciphertext_that_is_not_whole_blocks_is_a_wrong_key(data: bytes) -> None:
    with pytest.raises(WrongKeyError, match="not whole AES blocks"):
        AesKey(KEY).ecb_decrypt(data)


def test_padding_must_be_whole() -> None:
    key = AesKey(KEY)
    bad = key.ecb_encrypt(b"x" * 13 + b"\x01\x02\x03", pad=False)  # ends in 3, not 3 threes
    with pytest.raises(WrongKeyError, match="bad AES padding"):
        key.ecb_decrypt(bad)
    zero = key.ecb_encrypt(b"x" * 15 + b"\x00", pad=False)
    with pytest.raises(WrongKeyError, match="bad AES padding"):
        key.ecb_decrypt(zero)


def test_command_names_are_readable_for_known_and_unknown_commands() -> None:
    assert command_name(10) == "DP_QUERY"
    assert command_name(0x23) == "BOARDCAST_LPV34"
    assert command_name(0x77) == "0x77"


def test_only_the_five_version_strings_are_versions() -> None:
    assert [as_version(v) for v in VERSIONS] == list(VERSIONS)
    assert [as_version(v) for v in ("3.6", 3.3, "3.30", None, "")] == [None] * 5
