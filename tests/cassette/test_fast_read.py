"""The fast reader reads what the writer wrote exactly as the general YAML reader does, or declines.

The writer spells every value in one fixed layout; the fast reader follows that layout without a
YAML parser. Neither may ever disagree with YAML: whatever the fast reader accepts, the general
reader reads to the same cassette, lines included, and whatever it does not recognise it leaves to
the general reader.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import string
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from pytest_interactions.cassette import CorruptCassetteError
from pytest_interactions.cassette import _fast_read as fast_read
from pytest_interactions.cassette import _yaml as general_yaml
from pytest_interactions.cassette._model import (
    Body,
    Cassette,
    Disconnect,
    Exchange,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
)
from pytest_interactions.cassette._scalars import (
    block_ok,
    number,
    plain_ok,
    quoted,
    read_number,
    read_scalar,
)
from pytest_interactions.cassette._writer import dump, write

PATH = Path("cassettes/fast.yaml")


def examples(count: int) -> settings:
    """Hypothesis settings: ``count`` examples, no deadline, no explain phase (slow on failure)."""
    return settings(
        max_examples=count,
        deadline=None,
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
        suppress_health_check=[HealthCheck.too_slow],
    )


# -- the model as hypothesis draws it ---------------------------------------------------------------

PIECES = [
    *("true", "True", "no", "NO", "on", "off", "yes", "~", "null", "Null", "1e3", "1.0e-06", "0x1F"),
    *("0o7", "012", "1_000", "1:30", "2026-05-20", "2026-05-20T12:00:00Z", ".inf", ".nan", "-1", "+1"),
    *("<<", "=", "a: b", "a:b", "a:", "a #b", "#", "- x", "-", "? x", "?", ": x", "|", ">", "|-"),
    *("'", "''", '"', "\\", "\\n", "\\u2028", "&a", "*a", "!x", "!!str", "%", "@", "`", "{", "}", "[", "]"),
    *(",", "---", "...", "http://h/x?q=1", " ", "  ", "\t", "\n", "\n\n", "\r", "\r\n", "\x00", "\x07"),
    *("\x1b", "\x7f", "\x85", "\x9f", "\xa0", "é", "\u2028", "\u2029", "\ufeff", "\ufffd", "\U0001f600"),
]
"""Pieces of text that mean something to YAML, JSON or the reader: indicators, words YAML 1.1 reads
as booleans, nulls, numbers or dates, quotes, escapes, line breaks of every kind, control characters."""

texts = st.lists(st.sampled_from(PIECES) | st.text(max_size=6), max_size=6).map("".join)
"""Any text (no lone surrogates: a cassette is UTF-8), often built from pieces YAML reads specially."""
plain_texts = st.text(string.ascii_letters + string.digits + " .,-_/\n", max_size=12)
"""Everyday text: most small edits of a file holding it leave it valid YAML."""
times = st.floats(min_value=0, max_value=1e6, allow_nan=False).map(lambda x: round(x, 6))
HEADER_ASCII = string.ascii_letters + string.digits + string.punctuation + " \t"
header_values = st.text(HEADER_ASCII, max_size=20) | st.sampled_from(
    ["1", "true", "no", "'x'", " a ", "a: b"]
)
plain_header_names = st.from_regex(r"[a-z][a-z0-9\-_.]{0,11}", fullmatch=True)
"""Header names as HTTP clients send them (the writer lower-cases every name)."""
token_header_names = st.text(
    string.ascii_lowercase + string.digits + "!#$%&'*+-.^_`|~", min_size=1, max_size=8
)
"""Any HTTP token, such as ``#x`` or ``no``, which YAML needs quoted."""
JSON_STYLES = ["compact", "spaced", "indent-2", "compact-ascii", "spaced-ascii", "indent-2-ascii"]


@st.composite
def headers(draw: st.DrawFn, names: st.SearchStrategy[str]) -> list[tuple[str, str]]:
    """Headers grouped by name, as a cassette keeps them."""
    chosen = draw(st.lists(names, unique=True, max_size=3))
    return [
        (name, value) for name in chosen for value in draw(st.lists(header_values, min_size=1, max_size=3))
    ]


@st.composite
def urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https"]))
    host = draw(st.from_regex(r"[a-z0-9]([a-z0-9.\-]{0,10}[a-z0-9])?", fullmatch=True))
    port = draw(st.none() | st.integers(1, 65535))
    url_ascii = string.ascii_letters + string.digits + "-._~:/?#[]@!$&'()*+,;=%\"<>\\^`{|}"
    path = draw(st.text(url_ascii, max_size=15))
    query = draw(st.none() | st.text(url_ascii, max_size=15))
    netloc = host if port is None else f"{host}:{port}"
    return f"{scheme}://{netloc}/{path}" + ("" if query is None else f"?q={query}")


def json_values(text: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    return st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | text,
        lambda children: st.lists(children, max_size=3) | st.dictionaries(text, children, max_size=3),
        max_leaves=8,
    )


def cassettes(
    text: st.SearchStrategy[str] = texts, names: st.SearchStrategy[str] = plain_header_names
) -> st.SearchStrategy[Cassette]:
    """Cassettes whose strings are drawn from ``text`` and header names from ``names``; the session's
    metadata as the plugin writes it (text on one line, or whole numbers)."""
    documents = json_values(text)
    some_bytes = st.binary(max_size=16) | text.map(lambda s: s.encode("utf-8"))
    bodies = st.one_of(
        st.none(),
        st.builds(Body, st.just("json"), documents, st.sampled_from(JSON_STYLES)),
        st.builds(Body, st.just("text"), text),
        st.builds(
            Body, st.just("base64"), st.binary(max_size=16).map(lambda b: base64.b64encode(b).decode())
        ),
    )
    disconnects = st.builds(Disconnect, times, text, text, some_bytes)
    events = st.builds(
        StreamEvent,
        at=times,
        event=st.none() | text | st.from_regex(r"[a-z_][a-z.]{0,8}", fullmatch=True),
        data=st.none() | text | documents.map(compact_json),
        id=st.none() | text,
        retry=st.none() | st.integers(0, 10**12),
        comments=st.lists(text, max_size=2).map(tuple),
        raw=st.none() | some_bytes,
    )
    responses = st.builds(
        RecordedResponse,
        status=st.integers(100, 599),
        headers=headers(plain_header_names),
        after=times,
        body=bodies,
        events=st.none() | st.lists(events | disconnects, max_size=4),
        disconnect=st.none() | disconnects,
        closed_early=st.booleans(),
    )
    requests = st.builds(RecordedRequest, text, urls(), headers(names), bodies)
    exchanges = st.builds(Exchange, times, requests, responses, st.none() | disconnects) | st.builds(
        Exchange, times, requests, st.none(), disconnects
    )
    meta = st.dictionaries(text, text.map(lambda s: s.replace("\n", "")) | st.integers(), max_size=3)
    return st.builds(Cassette, st.lists(exchanges, max_size=3), meta)


def compact_json(value: Any) -> str:
    """An event's data as servers send it: compact JSON, non-ASCII raw."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def without_lines(cassette: Cassette) -> list[Exchange]:
    return [dataclasses.replace(e, line=None) for e in cassette.exchanges]


def read_both(text: str) -> tuple[Cassette | None, Cassette | CorruptCassetteError]:
    """What the fast reader makes of ``text``, and what the general reader does (or its error)."""
    fast = fast_read.read(text, PATH)
    try:
        general: Cassette | CorruptCassetteError = general_yaml._read_general(text, PATH)
    except CorruptCassetteError as exc:
        general = exc
    return fast, general


# -- a: whatever the writer writes, both readers read back, to the same cassette ------------------------


@examples(120)
@given(cassettes())
def test_both_readers_read_what_the_writer_wrote_to_the_same_cassette(cassette: Cassette) -> None:
    text, in_layout = write(cassette)
    assert in_layout
    general = general_yaml._read_general(text, PATH)
    assert without_lines(general) == without_lines(cassette)
    assert (general.meta, general.version) == (cassette.meta, 3)
    lines = text.split("\n")
    assert all(e.line is not None and lines[e.line - 1].startswith("- at: ") for e in general.exchanges)
    fast = fast_read.read(text, PATH)
    assert fast is not None, "the fast reader declined the writer's own layout"
    assert fast == general  # lines included
    assert [e.line for e in fast.exchanges] == [e.line for e in general.exchanges]


@examples(75)
@given(cassettes(names=token_header_names))
def test_any_header_name_http_allows_reads_the_same_both_ways(cassette: Cassette) -> None:
    # A name YAML needs quoted (``#x``, ``no``, ``1a``) may send the file to the general reader;
    # the fast one may decline it but never read it otherwise.
    text = dump(cassette)
    general = general_yaml._read_general(text, PATH)
    assert without_lines(general) == without_lines(cassette)
    fast = fast_read.read(text, PATH)
    assert fast is None or fast == general


def test_an_empty_cassette_reads_the_same_both_ways() -> None:
    text = dump(Cassette())
    assert text == "version: 3\nmeta: {}\nexchanges: []\nend: 0\n"
    assert fast_read.read(text, PATH) == general_yaml._read_general(text, PATH) == Cassette()


# -- b: each spelling of a string or number reads back as YAML reads it ------------------------------

LOADERS: list[Any] = [yaml.SafeLoader, *([yaml.CSafeLoader] if hasattr(yaml, "CSafeLoader") else [])]
"""PyYAML's readers a user may have: pure Python, and libyaml's (which the general reader prefers)."""


def yaml_value(text: str) -> Any:
    """The value of ``k`` in ``text``, the same by every reader of PyYAML."""
    values = [yaml.load(text, Loader=loader)["k"] for loader in LOADERS]
    assert all(value == values[0] and type(value) is type(values[0]) for value in values)
    return values[0]


YAML_LINE_CHARS = st.characters(
    exclude_categories=["Cs"],
    exclude_characters="\n\r\x85\u2028\u2029\ufeff\ufffe\uffff\x7f"
    + "".join(map(chr, [*range(0x09), *range(0x0B, 0x20), *range(0x80, 0xA0)])),
)
"""Characters YAML holds raw on one line of a file the fast reader reads (a tab among them)."""
_line_pieces = st.lists(
    st.sampled_from([p for p in PIECES if all(c not in p for c in "\n\r\x85\u2028\u2029\ufeff\x7f\x9f")])
    | st.text(YAML_LINE_CHARS, max_size=4)
    | st.sampled_from(["\\t", "\\u00e9", "\\ud83d\\ude00", "\\/", "\\x41", "\\N", "\\_", "\\0", "\\e"]),
    max_size=6,
).map("".join)
yaml_lines = _line_pieces | _line_pieces.map(lambda s: f"'{s}'") | _line_pieces.map(lambda s: f'"{s}"')
"""One line of text as a hand may write a scalar: plain, in single or in double quotes, with the
escapes YAML and JSON know (and some only one of them knows)."""


@examples(150)
@given(texts)
def test_a_quoted_string_reads_back_as_itself_by_yaml_and_by_the_fast_path(value: str) -> None:
    spelled = quoted(value)
    assert "\n" not in spelled
    assert yaml_value(f"k: {spelled}\n") == value
    assert read_scalar(spelled) == value
    if plain_ok(value):
        assert spelled == value
        assert yaml_value(f"k: {value}\n") == value


@examples(150)
@given(yaml_lines)
def test_the_fast_path_reads_a_one_line_scalar_as_yaml_does_or_not_at_all(written: str) -> None:
    value = read_scalar(written)  # never raises: another spelling is None
    if value is not None:
        assert yaml_value(f"k: {written}\n") == value


@examples(100)
@given(texts)
def test_a_literal_block_reads_back_as_itself_when_block_ok(value: str) -> None:
    if not block_ok(value):
        return
    chomp = "" if value.endswith("\n") else "-"
    body = "\n".join(f"  {line}" if line else "" for line in value.removesuffix("\n").split("\n"))
    assert yaml_value(f"k: |{chomp}\n{body}\n") == value


@examples(100)
@given(st.integers() | st.floats(allow_nan=False, allow_infinity=False))
def test_a_number_reads_back_as_itself_by_yaml_and_by_the_fast_path(value: float) -> None:
    spelled = number(value)
    loaded = yaml_value(f"k: {spelled}\n")
    assert (type(loaded), loaded) == (type(value), value)
    again = read_number(spelled)
    assert (type(again), again) == (type(value), value)


number_like = st.text(string.digits + "+-.eE_:xob", max_size=8)


@examples(100)
@given(number_like)
def test_the_fast_path_reads_a_number_as_yaml_does_or_not_at_all(written: str) -> None:
    value = read_number(written)
    if value is not None:
        loaded = yaml_value(f"k: {written}\n")
        assert (type(loaded), loaded) == (type(value), value)


TEMPLATE = dump(
    Cassette(
        [
            Exchange(
                0.5,
                RecordedRequest("GET", "http://h/x", [("x-a", "b")]),
                RecordedResponse(200, [("x-b", "1")], events=[StreamEvent(0.25, "step", "{}", "e1", 3000)]),
            )
        ],
        {"note": "n"},
    )
)
"""A small cassette in the writer's layout: a request, a response, one event (the one-expression path)."""
SCALAR_LINES = [
    "    method: GET",
    "    url: http://h/x",
    "      x-b: '1'",
    "      event: step",
    "      id: e1",
    "      data: '{}'",
    "  note: n",
]
NUMBER_LINES = [
    "- at: 0.5",
    "    status: 200",
    "    after: 0.0",
    "    - at: 0.25",
    "      retry: 3000",
    "end: 1",
]


@examples(150)
@given(st.sampled_from(SCALAR_LINES), yaml_lines)
def test_a_hand_written_scalar_in_a_file_reads_the_same_both_ways(line: str, written: str) -> None:
    assert f"\n{line}\n" in TEMPLATE
    text = TEMPLATE.replace(f"\n{line}\n", f"\n{line[: line.index(': ') + 2]}{written}\n")
    fast, general = read_both(text)  # the fast reader declines what it does not know, it never raises
    if fast is not None:
        assert fast == general


@examples(100)
@given(st.sampled_from(NUMBER_LINES), number_like | yaml_lines)
def test_a_hand_written_number_in_a_file_reads_the_same_both_ways(line: str, written: str) -> None:
    assert f"\n{line}\n" in TEMPLATE
    text = TEMPLATE.replace(f"\n{line}\n", f"\n{line[: line.index(': ') + 2]}{written}\n")
    fast, general = read_both(text)
    if fast is not None:
        assert fast == general


# -- c: whatever an edit makes of a file, the fast reader reads it as the general one or declines ------

REPLACEMENTS = [*"'\":\t#-|>&*!%@`{}[],?~\\ a0.", "\x00", "\x85", "\u2028", "\ufeff", "é", "\r", "\n"]
EDITS = ["delete", "duplicate", "swap", "indent", "replace", "retype", "insert", "comment", "truncate"]


@st.composite
def edited(draw: st.DrawFn) -> str:
    """A written cassette after one or two small edits, as a careless hand or a bad merge makes them:
    a line deleted, doubled, moved or indented otherwise, a character replaced (by any character, or
    by one of its kind, which changes a value and keeps the YAML valid) or inserted, a comment added,
    the end cut."""
    text = dump(draw(cassettes(plain_texts) | cassettes()))
    where = draw(st.randoms(use_true_random=True))  # any line and column alike, not mostly the first
    for _ in range(draw(st.integers(1, 2))):
        lines = text.split("\n")
        at = where.randrange(max(len(lines) - 1, 1))
        line = lines[at]
        kind = draw(st.sampled_from(EDITS) | st.just("retype"))  # retyping a value keeps most files valid
        if kind == "delete":
            del lines[at]
        elif kind == "duplicate":
            lines.insert(at, line)
        elif kind == "swap":
            lines[at : at + 2] = reversed(lines[at : at + 2])
        elif kind == "indent":
            shift = draw(st.sampled_from([-2, -1, 1, 2]))
            spaces = len(line) - len(line.lstrip(" "))
            lines[at] = line[min(-shift, spaces) :] if shift < 0 else " " * shift + line
        elif kind == "comment":
            lines.insert(at, " " * draw(st.integers(0, 8)) + "# " + draw(plain_texts).replace("\n", ""))
        elif kind in ("replace", "retype") and line:
            value = line.find(": ") + 2 if kind == "retype" and ": " in line[:-2] else 0
            column = where.randrange(value, len(line))
            old = line[column]
            kin = string.digits if old.isdigit() else string.ascii_letters if old.isalpha() else " -:'\""
            new = draw(st.sampled_from(REPLACEMENTS if kind == "replace" else list(kin)))
            lines[at] = line[:column] + new + line[column + 1 :]
        elif kind == "insert":
            column = where.randrange(len(line) + 1)
            lines[at] = line[:column] + draw(st.sampled_from(REPLACEMENTS)) + line[column:]
        elif kind == "truncate":
            cut = "\n".join(lines)
            text = cut[: where.randrange(len(cut) + 1)]
            continue
        text = "\n".join(lines)
    return text


@examples(75)
@given(edited())
def test_an_edited_file_reads_the_same_both_ways_or_goes_to_the_general_reader(text: str) -> None:
    fast, general = read_both(text)
    if fast is None:
        return
    assert not isinstance(general, CorruptCassetteError), (
        f"the fast reader accepted a file the general reader refuses: {general}"
    )
    assert fast == general  # lines included


# -- minimal cases the properties above found --------------------------------------------------------


def test_a_header_given_twice_is_refused_by_both_readers() -> None:
    text = TEMPLATE.replace("      x-a: b\n", "      x-a: b\n      x-a: b\n")
    fast, general = read_both(text)
    assert isinstance(general, CorruptCassetteError)
    assert "found the key 'x-a' twice" in general.reason
    assert fast is None


STREAM_WITHOUT_EVENTS = TEMPLATE[: TEMPLATE.index("    - at: 0.25\n")] + "end: 1\n"
WITHOUT_ITEMS = {
    "meta": ("version: 3\nmeta:\nexchanges: []\nend: 0\n", "the cassette.meta has the wrong type (NoneType)"),
    "exchanges": ("version: 3\nmeta: {}\nexchanges:\nend: 0\n", "the cassette.exchanges has the wrong type"),
    "events": (STREAM_WITHOUT_EVENTS, "exchanges[0].response.events has the wrong type (NoneType)"),
}


@pytest.mark.parametrize("key", list(WITHOUT_ITEMS))
def test_a_key_left_without_its_items_is_refused_by_both_readers(key: str) -> None:
    # ``key:`` with nothing under it is null to YAML, not an empty mapping or list.
    text, reason = WITHOUT_ITEMS[key]
    assert f"{key}:\n" in text
    fast, general = read_both(text)
    assert isinstance(general, CorruptCassetteError)
    assert reason in general.reason
    assert fast is None


def test_a_raw_tab_in_double_quotes_goes_to_the_general_reader() -> None:
    text = TEMPLATE.replace("    method: GET\n", '    method: "G\tT"\n')
    fast, general = read_both(text)  # YAML allows a raw tab in double quotes; JSON does not
    assert isinstance(general, Cassette)
    assert general.exchanges[0].request.method == "G\tT"
    assert fast is None or fast == general


@pytest.mark.parametrize("value", ["\ta\nb", "\t\n"])
def test_text_that_starts_with_a_tab_reads_back(value: str) -> None:
    body = Body("text", value)
    exchange = Exchange(0.0, RecordedRequest("POST", "http://h/", body=body), RecordedResponse(200))
    text = dump(Cassette([exchange]))
    fast, general = read_both(text)
    assert isinstance(general, Cassette), general
    assert without_lines(general) == [exchange]
    assert fast is None or fast == general


@pytest.mark.parametrize("spelled", ["1234", "null", "true", "0x1F"])
def test_bytes_whose_base64_yaml_reads_as_another_type_read_back(spelled: str) -> None:
    partial = base64.b64decode(spelled)  # none of them UTF-8: kept as base64
    exchange = Exchange(0.0, RecordedRequest("GET", "http://h/"), None, Disconnect(0.0, "E", "", partial))
    text = dump(Cassette([exchange]))
    fast, general = read_both(text)
    assert isinstance(general, Cassette), general
    assert without_lines(general) == [exchange]
    assert fast is None or fast == general


@pytest.mark.parametrize("where", ["header", "meta"])
def test_a_key_longer_than_a_yaml_simple_key_reads_back(where: str) -> None:
    name = "x" * 1025  # YAML reads a key on its line only up to 1024 characters
    request = RecordedRequest("GET", "http://h/", [(name, "v")] if where == "header" else [])
    cassette = Cassette(
        [Exchange(0.0, request, RecordedResponse(200))], {name: "v"} if where == "meta" else {}
    )
    text = dump(cassette)
    fast, general = read_both(text)
    assert isinstance(general, Cassette), general
    assert without_lines(general) == cassette.exchanges
    assert general.meta == cassette.meta
    assert fast is None or fast == general


@pytest.mark.parametrize(
    "cassette",
    [
        Cassette(meta={"a: b": "c"}),
        Cassette(meta={"a:b": "c"}),
        Cassette([Exchange(0.0, RecordedRequest("GET", "http://h/", [("no", "v")]), RecordedResponse(200))]),
        Cassette(
            [Exchange(0.0, RecordedRequest("GET", "http://h/"), None, Disconnect(0.0, "E", "", b"\xd0"))]
        ),
    ],
    ids=[
        "meta key holding ': '",
        "meta key holding ':'",
        "header name YAML reads as false",
        "bytes whose base64 starts with a digit",
    ],
)
def test_the_fast_reader_reads_what_the_writer_spelled_for_it(cassette: Cassette) -> None:
    text = dump(cassette)
    fast = fast_read.read(text, PATH)
    assert fast is not None
    assert fast == general_yaml._read_general(text, PATH)
