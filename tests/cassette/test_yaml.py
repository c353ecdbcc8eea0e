"""The cassette on disk: readable YAML, byte-exact where it must be, loud when corrupt, written atomically.

A cassette is meant to be read in a pull request: JSON bodies are indented JSON in a literal block,
text is a block scalar, a stream is a list of events with their time offsets, each event's data on
one line as received. What cannot be shown that way without
losing bytes (CRLF line ends, ``data:`` without a space) keeps its exact bytes in ``raw``.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_interactions.cassette import (
    SCHEMA_VERSION,
    Body,
    Cassette,
    CassetteError,
    CorruptCassetteError,
    Disconnect,
    Exchange,
    RecordedRequest,
    RecordedResponse,
    SecretLeakError,
    StreamEvent,
    dump,
    event_to_bytes,
    load,
    load_cassette,
    save_cassette,
)
from pytest_interactions.emulator import Emulator
from pytest_interactions.session import use_cassette

MODEL = "gemini-3.5-flash"
KEY = {"x-goog-api-key": "test-key"}


# -- what a recorded session looks like -----------------------------------------------------------


def test_a_recorded_session_reads_as_yaml(
    interactions_server: Emulator, raw_server: Any, tmp_path: Path
) -> None:
    cassette = tmp_path / "story.yaml"
    notes = "line one\nline two\n  indented line three\n"
    notes_url = raw_server.respond("/notes", notes.encode(), headers=[("content-type", "text/plain")])
    base = interactions_server.base_url + "/v1beta"
    with httpx.Client(headers=KEY, timeout=10) as http, use_cassette(cassette, "once"):
        created = http.post(base + "/interactions", json={"model": MODEL, "input": "hi", "background": True})
        interactions_server.advance(60)
        streamed = http.get(base + f"/interactions/{created.json()['id']}", params={"stream": "true"})
        http.get(notes_url)
    assert streamed.status_code == 200

    text = cassette.read_text()
    document = yaml.safe_load(text)
    assert document["version"] == SCHEMA_VERSION == 3
    assert text.startswith("version: 3\n")
    assert text.endswith("\nend: 3\n")
    create, stream, plain = document["exchanges"]

    # JSON bodies are indented JSON in a literal block, one member a line, not escaped strings.
    assert json.loads(create["request"]["json"]) == {"model": MODEL, "input": "hi", "background": True}
    assert (
        "    json: |-\n      {\n"
        f'        "model": "{MODEL}",\n        "input": "hi",\n        "background": true\n'
        "      }\n"
    ) in text
    assert json.loads(create["response"]["json"])["status"] == "in_progress"
    assert '\\"' not in text

    # A stream is a list of events, each with its time offset, its type and its data on one line,
    # exactly as received.
    events = stream["response"]["events"]
    assert "body" not in stream["response"]
    assert [sorted(event) for event in events[:-1]] == [["at", "data", "event"]] * (len(events) - 1)
    assert all(isinstance(e["at"], float) and e["at"] >= 0 for e in events)
    assert all(isinstance(e["data"], str) for e in events)
    lines = streamed.text.splitlines()
    received = [line.removeprefix("data: ") for line in lines if line.startswith("data: ")]
    assert [e["data"] for e in events] == received
    assert all(f"      data: '{e['data']}'\n" in text for e in events)
    payloads = [json.loads(e["data"]) for e in events[:-1]]
    assert [p["event_id"] for p in payloads] == [f"evt_{n:06d}" for n in range(1, len(events))]
    assert all(e["event"] == p["event_type"] for e, p in zip(events, payloads, strict=False))
    assert events[-1] == {"at": events[-1]["at"], "event": "done", "data": "[DONE]"}
    assert "raw:" not in text  # well-formed events need no exact bytes

    # Text is a block scalar: line by line, as in the body.
    assert plain["response"]["text"] == notes
    assert "    text: |\n      line one\n      line two\n        indented line three\n" in text


WIRE = (
    b'event: plain\ndata: {"a":1}\n\n'  # the common form: re-encodes from its fields
    b"event: windows\r\ndata: crlf\r\n\r\n"  # CRLF line ends
    b"data:tight\n\n"  # no space after the colon
    b": a comment\nid: 7\ndata: with id\n\n"
    b"event: done\ndata: [DONE]\n\n"
)


def test_events_keep_their_exact_bytes_when_fields_would_not_re_encode_them(
    raw_server: Any, tmp_path: Path
) -> None:
    cassette = tmp_path / "exact.yaml"
    url = raw_server.respond("/odd-stream", WIRE)
    with (
        httpx.Client(timeout=10) as http,
        use_cassette(cassette, "once"),
        http.stream("GET", url) as response,
    ):
        received = b"".join(response.iter_bytes())
    assert received == WIRE

    exchange = load_cassette(cassette).exchanges[0]
    assert exchange.response is not None
    events = exchange.response.events
    assert events is not None
    assert [type(e) for e in events] == [StreamEvent] * 5
    plain, windows, tight, commented, done = events
    assert isinstance(commented, StreamEvent)
    assert (commented.comments, commented.id) == ((" a comment",), "7")
    assert isinstance(windows, StreamEvent)
    assert isinstance(tight, StreamEvent)
    assert plain.raw is None
    assert done.raw is None
    assert windows.raw == b"event: windows\r\ndata: crlf\r\n\r\n"
    assert (windows.event, windows.data) == ("windows", "crlf")  # still readable
    assert tight.raw == b"data:tight\n\n"
    assert tight.data == "tight"
    # Re-encoding the recorded events gives back exactly what the client received.
    assert b"".join(event_to_bytes(e) for e in events if isinstance(e, StreamEvent)) == received

    with (
        httpx.Client(timeout=10) as http,
        use_cassette(cassette, "none"),
        http.stream("GET", url) as response,
    ):
        replayed = b"".join(response.iter_bytes())
    assert replayed == received


# -- dump -> load is the identity -----------------------------------------------------------------

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
_name = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)
_header_value = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
_url = st.builds(
    "http://{}.example:{}/{}".format,
    _name,
    st.integers(1, 65535),
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=20),
)
_at = st.integers(0, 10**9).map(lambda n: n / 10**6)
_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | _text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_text, children, max_size=4),
    max_leaves=12,
)
_body = st.one_of(
    st.none(),
    st.builds(
        Body,
        st.just("json"),
        st.dictionaries(_text, _json, max_size=4) | st.lists(_json, max_size=4),
        st.sampled_from(["compact", "spaced", "indent-2", "compact-ascii"]),
    ),
    st.builds(Body, st.just("text"), _text),
    st.builds(Body, st.just("base64"), st.binary(max_size=20).map(lambda b: base64.b64encode(b).decode())),
)


@st.composite
def _headers(draw: st.DrawFn) -> list[tuple[str, str]]:
    """Headers grouped by (lower-case) name, as a cassette keeps them."""
    names = draw(st.lists(_name, unique=True, max_size=4))
    values = st.lists(_header_value, min_size=1, max_size=3)
    return [(name, value) for name in names for value in draw(values)]


_disconnect = st.builds(Disconnect, _at, _name, _text, st.binary(max_size=20))
_event = st.builds(
    StreamEvent,
    at=_at,
    event=st.none() | _text,
    data=st.none() | _text | _json.map(lambda v: json.dumps(v, separators=(",", ":"))),
    id=st.none() | _text,
    retry=st.none() | st.integers(0, 10**6),
    comments=st.lists(_text, max_size=2).map(tuple),
    raw=st.none() | st.binary(max_size=30),
)
_response = st.builds(
    RecordedResponse,
    status=st.integers(100, 599),
    headers=_headers(),
    after=_at,
    body=_body,
    events=st.none() | st.lists(_event | _disconnect, max_size=4),
    disconnect=st.none() | _disconnect,
    closed_early=st.booleans(),
)
_exchange = st.builds(
    Exchange,
    at=_at,
    request=st.builds(RecordedRequest, st.sampled_from(["GET", "POST", "DELETE"]), _url, _headers(), _body),
    response=_response,
    error=st.none() | _disconnect,
)
_cassette = st.builds(
    Cassette, st.lists(_exchange, max_size=3), st.dictionaries(_name, _text | st.integers(), max_size=3)
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_cassette)
def test_dump_then_load_gives_back_the_same_cassette(cassette: Cassette) -> None:
    loaded = load(dump(cassette), Path("prop.yaml"))
    assert [dataclasses.replace(e, line=None) for e in loaded.exchanges] == cassette.exchanges
    assert loaded.meta == cassette.meta
    assert loaded.version == cassette.version


@settings(max_examples=150, deadline=None)
@given(st.lists(_event | _disconnect, max_size=6))
def test_a_stream_re_encodes_to_the_same_bytes_after_a_round_trip(events: list[Any]) -> None:
    response = RecordedResponse(200, [("content-type", "text/event-stream")], events=events)
    cassette = Cassette([Exchange(0.0, RecordedRequest("GET", "http://x/"), response)])
    (loaded,) = load(dump(cassette), Path("prop.yaml")).exchanges
    assert loaded.response is not None
    again = loaded.response.events or []

    def wire(items: list[Any]) -> list[bytes]:
        return [event_to_bytes(e) if isinstance(e, StreamEvent) else e.partial for e in items]

    assert wire(again) == wire(events)


# -- corrupt cassettes ----------------------------------------------------------------------------

CORRUPT = {
    "invalid YAML": (b"version: 1\nexchanges:\n\t- at: 0\n", "not valid YAML", 3),
    "wrong type": (
        b"version: 1\nexchanges:\n- at: 0\n  request:\n    method: GET\n    url: http://x/\n"
        b"  response:\n    status: '200'\n",
        "exchanges[0].response.status has the wrong type (str)",
        8,
    ),
    "missing key": (
        b"version: 1\nexchanges:\n- at: 0\n  request: {method: GET, url: 'http://x/'}\n"
        b"  response: {status: 200}\n"
        b"- at: 1\n  request: {method: GET, url: 'http://x/'}\n"
        b"  response: {status: 200, events: [{at: 0, data: x}, {data: y}]}\n",
        "exchanges[1].response.events[1] lacks 'at'",
        8,
    ),
    "no response": (
        b"version: 1\nexchanges:\n- at: 0\n  request: {method: GET, url: 'http://x/'}\n",
        "exchanges[0] has neither 'response' nor 'error'",
        3,
    ),
    "newer version": (
        b"version: 99\nexchanges: []\n",
        "schema version 99 is newer than this pytest-interactions reads (3)",
        1,
    ),
    "no version": (b"exchanges: []\n", "no schema 'version'", 1),
    "not UTF-8": (b"version: 1\nmeta:\n  note: caf\xe9\nexchanges: []\n", "not UTF-8 text", 3),
    "empty file": (b"", "the file is empty", None),
    "not a mapping": (b"- one\n- two\n", "must be a mapping, not list", None),
}


@pytest.mark.parametrize("case", list(CORRUPT))
def test_a_corrupt_cassette_names_its_path_and_line(case: str, tmp_path: Path) -> None:
    content, reason, line = CORRUPT[case]
    path = tmp_path / "corrupt.yaml"
    path.write_bytes(content)
    with pytest.raises(CorruptCassetteError) as caught:
        load_cassette(path)
    error = caught.value
    assert error.path == path
    assert error.line == line
    assert reason in error.reason
    where = f"{path}:{line}" if line else str(path)
    assert str(error).startswith(f"{where}: ")


def test_a_corrupt_cassette_fails_a_session_before_any_request(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.yaml"
    path.write_text("version: 1\nexchanges:\n- at: 0\n  request: {method: GET}\n  response: {status: 200}\n")
    expected = r"corrupt\.yaml:4: exchanges\[0\]\.request lacks 'url'"
    with pytest.raises(CorruptCassetteError, match=expected), use_cassette(path, "none"):
        pytest.fail("the session must not start")


# -- atomic writes ---------------------------------------------------------------------------------


def a_cassette(body: Body) -> Cassette:
    request = RecordedRequest("POST", "http://127.0.0.1:9/v1beta/interactions", [("accept", "*/*")], body)
    return Cassette([Exchange(0.0, request, RecordedResponse(200, [("content-type", "text/plain")]))])


@pytest.fixture
def previous(tmp_path: Path) -> Path:
    """A cassette already on disk."""
    path = tmp_path / "cassettes" / "kept.yaml"
    save_cassette(path, a_cassette(Body("json", {"input": "the first recording"})))
    return path


def assert_untouched(path: Path, before: bytes) -> None:
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no temp file left


def test_a_cassette_that_cannot_be_serialised_leaves_the_previous_file(previous: Path) -> None:
    before = previous.read_bytes()
    with pytest.raises(CassetteError, match="could not be serialised, nothing was written"):
        save_cassette(previous, a_cassette(Body("json", {"input": object()})))
    assert_untouched(previous, before)


def test_a_cassette_that_leaks_a_secret_leaves_the_previous_file(
    previous: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "AIzaSyLeakedLeakedLeaked")
    before = previous.read_bytes()
    with pytest.raises(SecretLeakError, match=r"\$GEMINI_API_KEY"):
        save_cassette(previous, a_cassette(Body("text", "pasted AIzaSyLeakedLeakedLeaked by mistake")))
    assert_untouched(previous, before)


def test_a_write_that_fails_midway_leaves_the_previous_file(
    previous: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = previous.read_bytes()

    def disk_full(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    disk_is_full = r"kept\.yaml: could not be written: the disk is full .*unchanged"
    with pytest.raises(CassetteError, match=disk_is_full):
        save_cassette(previous, a_cassette(Body("json", {"input": "the second recording"})))
    assert_untouched(previous, before)


def test_re_recording_a_leaking_session_keeps_the_old_cassette(
    interactions_server: Emulator, previous: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "AIzaSyLeakedLeakedLeaked")
    before = previous.read_bytes()
    base = interactions_server.base_url + "/v1beta"
    with httpx.Client(headers=KEY) as http:
        session = use_cassette(previous, "all")
        with pytest.raises(SecretLeakError), session:  # raised when the session writes, at its end
            http.post(base + "/interactions", json={"model": MODEL, "input": "AIzaSyLeakedLeakedLeaked"})
    assert_untouched(previous, before)
