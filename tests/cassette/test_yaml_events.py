"""The one-pass reader builds the same document, with the same lines, as PyYAML's full reader.

A cassette is read straight from libyaml's events; whatever it does not handle (anchors, tags,
complex or repeated keys, dates) goes to PyYAML's reader, so every file reads as it did before and
every error is the one the full reader writes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_interactions.cassette import CorruptCassetteError, load
from pytest_interactions.cassette._yaml import MAX_DEPTH, _read_document
from pytest_interactions.cassette._yaml_events import NeedsFullReader, build_document

PATH = Path("cassettes/test_reader.yaml")

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
keys = st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=6)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=30,
)
styles = st.fixed_dictionaries(
    {
        "default_flow_style": st.sampled_from([False, True, None]),
        "default_style": st.sampled_from([None, '"', "'"]),
        "allow_unicode": st.booleans(),
        "width": st.sampled_from([20, 80, 10_000]),
        "indent": st.sampled_from([2, 4]),
    }
)


def same_lines(fast: Any, fast_lines: dict[int, int], full: Any, full_lines: dict[int, int]) -> None:
    """Every mapping of ``fast`` has the line its counterpart in ``full`` has."""
    if isinstance(full, dict):
        assert fast_lines[id(fast)] == full_lines[id(full)]
        for key in full:
            same_lines(fast[key], fast_lines, full[key], full_lines)
    elif isinstance(full, list):
        for mine, theirs in zip(fast, full, strict=True):
            same_lines(mine, fast_lines, theirs, full_lines)


@settings(max_examples=300, deadline=None)
@given(documents, styles)
def test_a_document_reads_as_pyyaml_reads_it(document: Any, style: dict[str, Any]) -> None:
    text = yaml.safe_dump({"version": 2, "body": document}, sort_keys=False, **style)
    full, full_lines = _read_document(text, PATH)
    fast, fast_lines = build_document(text, PATH, MAX_DEPTH)
    assert fast == full
    assert repr(fast) == repr(full)  # the same types too: 1 and 1.0 and True compare equal
    same_lines(fast, fast_lines, full, full_lines)


yaml_ish = st.text(alphabet=" \n-:[]{},'\"!&*#|>?%@`abc01.~\t", max_size=60)


@settings(max_examples=500, deadline=None)
@given(yaml_ish)
def test_any_text_reads_as_pyyaml_reads_it_or_goes_to_pyyaml(text: str) -> None:
    try:
        full: Any = _read_document(text, PATH)[0]
    except CorruptCassetteError as exc:
        full = exc
    try:
        fast: Any = build_document(text, PATH, MAX_DEPTH)[0]
    except NeedsFullReader:
        return
    except CorruptCassetteError as exc:
        fast = exc
    if isinstance(full, CorruptCassetteError):
        assert isinstance(fast, CorruptCassetteError), f"PyYAML refuses {text!r} ({full}), not this reader"
        if full.line is not None:  # a value PyYAML cannot construct has no line there; it has here
            assert (fast.line, fast.reason) == (full.line, full.reason)
    else:
        assert repr(fast) == repr(full)


@pytest.mark.parametrize(
    "text",
    [
        "a: &x [1, 2]\nb: *x\n",  # anchors and aliases
        "a: !!binary aGk=\n",  # an explicit tag
        "? [1, 2]\n: x\n",  # a list as a key
        "? {a: 1}\n: x\n",  # a mapping as a key
        "a: 1\na: 2\n",  # a key given twice
        "a: 1\n---\nb: 2\n",  # two documents
        "when: 2026-11-22\n",  # a date
        "base: &b {x: 1}\nother:\n  <<: *b\n",  # a merge key
    ],
)
def test_yaml_beyond_a_cassette_goes_to_the_full_reader(text: str) -> None:
    with pytest.raises(NeedsFullReader):
        build_document(text, PATH, MAX_DEPTH)


def test_a_cassette_with_aliases_still_loads_through_the_full_reader() -> None:
    text = (
        "version: 2\n"
        "exchanges:\n"
        "- request: &request {method: GET, url: 'http://emulator.invalid/v1beta/interactions/a'}\n"
        "  response: {status: 200, json: {id: a}}\n"
        "- request: *request\n"
        "  response: {status: 200, json: {id: a}}\n"
        "end: 2\n"
    )
    cassette = load(text, PATH)
    url = "http://emulator.invalid/v1beta/interactions/a"
    assert [e.request.url for e in cassette.exchanges] == [url, url]
    assert [e.line for e in cassette.exchanges] == [3, 5]


def test_deep_nesting_fails_at_its_line_in_one_pass() -> None:
    text = "version: 2\nexchanges:\n  " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n"
    with pytest.raises(CorruptCassetteError) as failure:
        build_document(text, PATH, MAX_DEPTH)
    assert failure.value.line == 3
    assert f"nested deeper than {MAX_DEPTH} levels" in str(failure.value)


def test_text_that_is_not_yaml_fails_at_its_line() -> None:
    text = "version: 2\nexchanges:\n- at: 0.1\n  request: [unclosed\n"
    with pytest.raises(CorruptCassetteError) as failure:
        build_document(text, PATH, MAX_DEPTH)
    assert failure.value.line == 5
    assert "not valid YAML" in str(failure.value)
    assert str(PATH) in str(failure.value)
