"""Compiling a cassette into histories reads each event's JSON once, exactly as ``json.loads`` would."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from pytest_interactions.cassette import StreamEvent
from pytest_interactions.replay._history import _payload

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


def as_json_loads_reads_it(data: str) -> Mapping[str, Any] | None:
    try:
        value = json.loads(data)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


@given(json_values, st.sampled_from(["", " ", "\n", "\r\n", "\t", "\u00a0", "\x0b", " x", "}"]))
@example({"event_type": "step.delta"}, "\u00a0")  # a space JSON does not allow after the value
def test_an_event_payload_is_what_json_loads_reads(value: Any, tail: str) -> None:
    data = json.dumps(value) + tail
    assert _payload(StreamEvent(0.0, data=data)) == as_json_loads_reads_it(data)


@given(st.text(max_size=40))
@example('{"a": 1')
@example("[DONE]")
@example(' \n {"a": 1}')
def test_text_that_is_no_json_object_has_no_payload(data: str) -> None:
    assert _payload(StreamEvent(0.0, data=data)) == as_json_loads_reads_it(data)
