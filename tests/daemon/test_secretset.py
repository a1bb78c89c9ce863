"""SecretSet: every registered secret masked in one pass, whatever their number."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from setsmart.daemon.logs import MASK, redact, register_secret, reset_logging
from setsmart.daemon.secretset import SecretSet


def secrets(*texts: str) -> SecretSet:
    found = SecretSet()
    for text in texts:
        found.add(text)
    return found


def test_every_occurrence_is_masked() -> None:
    assert secrets("0123456789abcdef").sub("*", "a 0123456789abcdef b 0123456789abcdef") == (
        "a * b *"
    )


def test_the_longest_secret_starting_at_a_place_wins() -> None:
    assert secrets("abcd", "abcdefgh").sub("*", "xabcdefghy abcdz") == "x*y *z"


def test_text_without_a_secret_is_returned_as_it_is() -> None:
    text = "nothing to hide here"
    assert secrets("0123456789abcdef").sub("*", text) is text
    assert SecretSet().sub("*", text) is text


def test_membership_and_emptiness() -> None:
    found = secrets("abcd")
    assert "abcd" in found
    assert "abc" not in found
    assert found
    found.clear()
    assert not found
    assert "abcd" not in found


def test_bytes_are_masked_and_other_bytes_kept() -> None:
    found = secrets("k3y-k3y-k3y-k3y!")
    data = b"\xff\x00k3y-k3y-k3y-k3y!\xe2tail"
    assert found.sub_bytes("*", data) == b"\xff\x00*\xe2tail"
    assert found.sub_bytes("*", b"\xffplain") == b"\xffplain"


@given(
    st.lists(st.text(alphabet="abc", min_size=1, max_size=4), min_size=1, max_size=6),
    st.text(alphabet="abcd", max_size=40),
)
def test_same_result_as_an_alternation_longest_first(texts: list[str], text: str) -> None:
    alternation = re.compile("|".join(map(re.escape, sorted(set(texts), key=len, reverse=True))))
    assert secrets(*texts).sub("*", text) == alternation.sub("*", text)


@pytest.fixture
def _clean_logging() -> Iterator[None]:
    reset_logging()
    yield
    reset_logging()


@pytest.mark.usefixtures("_clean_logging")
def test_a_thousand_local_keys_compile_no_pattern() -> None:
    """Each registration used to compile a regex of all the secrets so far (and `re`
    cached 512 of them: 50 MB with 1000 devices)."""
    keys = [f"key{n:013d}" for n in range(1000)]
    re.purge()
    for key in keys:
        register_secret(key)
    assert re._cache == {}  # type: ignore[attr-defined]  # re has no public view of its cache
    line = " ".join(keys[::97])
    assert redact(line) == " ".join([MASK] * len(keys[::97]))
