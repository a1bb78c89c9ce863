"""The fast JSON paths give exactly what the json module's one-call functions give."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from setsmart.protocol.messages import dumps

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
keys = st.text() | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=12,
)


def reference_dumps(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


@given(values)
def test_dumps_is_compact_json(obj: object) -> None:
    assert dumps(obj) == reference_dumps(obj)


def test_dumps_still_refuses_what_json_refuses() -> None:
    loop: dict[str, Any] = {}
    loop["self"] = loop
    with pytest.raises(ValueError, match="Circular reference"):
        dumps(loop)
    with pytest.raises(TypeError, match="not JSON serializable"):
        dumps({"1": b"bytes"})
    assert dumps({"dps": {"1": True}}) == b'{"dps":{"1":true}}'  # once more after failures
