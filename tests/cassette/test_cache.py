"""The parsed-cassette cache: an unchanged cassette comes back from JSON, any change parses again.

The cache only ever saves time: what it returns equals what parsing returns, a damaged or
unwritable cache falls back to parsing, and a value JSON cannot hold exactly is never cached.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from pytest_interactions.cassette import (
    Body,
    Cassette,
    Disconnect,
    Exchange,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
    load,
    save_cassette,
)
from pytest_interactions.cassette._cache import CACHE_ENV, ParsedCache, default_cache_dir

URL = "http://127.0.0.1:9/v1beta/interactions"


def every_kind_of_entry() -> Cassette:
    """A cassette with each thing a cassette holds: bodies of each kind, events, drops, errors."""
    events: list[StreamEvent | Disconnect] = [
        StreamEvent(0.01, "interaction.created", '{"event_type":"interaction.created","event_id":"e1"}'),
        StreamEvent(0.02, None, "plain text", id="7", retry=1500, comments=("keep-alive",)),
        StreamEvent(0.03, "step.delta", "x", raw=b"event: step.delta\r\ndata:x\r\n\r\n"),
        Disconnect(0.04, "RemoteProtocolError", "peer closed connection", b'data: {"half'),
    ]
    return Cassette(
        exchanges=[
            Exchange(
                0.1,
                RecordedRequest("POST", URL, [("content-type", "application/json")], Body("json", {"n": 1})),
                RecordedResponse(
                    200, [("content-type", "application/json")], 0.002, Body("json", {"id": "v1_a"})
                ),
            ),
            Exchange(
                0.2,
                RecordedRequest("GET", URL + "/v1_a?stream=true", [("accept", "text/event-stream")]),
                RecordedResponse(200, [("content-type", "text/event-stream")], 0.001, events=events),
            ),
            Exchange(
                0.3,
                RecordedRequest("GET", URL + "/v1_a/blob"),
                RecordedResponse(
                    200,
                    [("content-type", "application/octet-stream")],
                    body=Body("base64", "AAEC/w=="),
                    disconnect=Disconnect(0.31, "ReadError", "reset", b"\x00\x01"),
                    closed_early=True,
                ),
            ),
            Exchange(
                0.4,
                RecordedRequest("GET", URL + "/v1_a/text"),
                RecordedResponse(503, body=Body("text", "busy\n")),
            ),
            Exchange(
                0.5,
                RecordedRequest("DELETE", URL + "/v1_a"),
                error=Disconnect(0.5, "ConnectError", "refused"),
            ),
        ],
        meta={"recorded_with": "pytest-interactions", "base_url": "http://127.0.0.1:9"},
    )


@pytest.fixture
def cassette_file(tmp_path: Path) -> Path:
    path = tmp_path / "cassettes" / "every.yaml"
    save_cassette(path, every_kind_of_entry())
    return path


def counting(parse: Callable[[str, Path], Cassette]) -> tuple[Callable[[str, Path], Cassette], list[Path]]:
    calls: list[Path] = []

    def counted(text: str, path: Path) -> Cassette:
        calls.append(path)
        return parse(text, path)

    return counted, calls


def test_an_unchanged_cassette_comes_back_from_the_cache_equal_to_a_parse(
    cassette_file: Path, tmp_path: Path
) -> None:
    cache = ParsedCache(tmp_path / "cache")
    parse, calls = counting(load)
    data = cassette_file.read_bytes()
    parsed = cache.load(cassette_file, data, parse)
    again = cache.load(cassette_file, data, parse)
    assert calls == [cassette_file]  # parsed once, then read back
    assert again == parsed == load(data.decode(), cassette_file)
    assert again is not parsed
    assert [e.line for e in again.exchanges] == [e.line for e in parsed.exchanges]
    assert all(isinstance(e.line, int) for e in again.exchanges)  # errors keep naming lines


def test_any_change_to_the_file_parses_again(cassette_file: Path, tmp_path: Path) -> None:
    cache = ParsedCache(tmp_path / "cache")
    parse, calls = counting(load)
    cache.load(cassette_file, cassette_file.read_bytes(), parse)
    changed = cassette_file.read_text().replace("busy", "BUSY")
    cassette_file.write_text(changed)
    result = cache.load(cassette_file, cassette_file.read_bytes(), parse)
    assert len(calls) == 2
    assert result.exchanges[3].response is not None
    assert result.exchanges[3].response.body == Body("text", "BUSY\n")


def test_entries_are_plain_json_in_the_cache_directory(cassette_file: Path, tmp_path: Path) -> None:
    cache = ParsedCache(tmp_path / "cache")
    data = cassette_file.read_bytes()
    cache.load(cassette_file, data, load)
    entries = list((tmp_path / "cache").iterdir())
    assert entries == [cache.entry(data)]
    assert json.loads(entries[0].read_text())["exchanges"]


def test_a_damaged_entry_is_parsed_again_and_rewritten(cassette_file: Path, tmp_path: Path) -> None:
    cache = ParsedCache(tmp_path / "cache")
    data = cassette_file.read_bytes()
    cache.load(cassette_file, data, load)
    cache.entry(data).write_text('{"format": 1, "exchanges": [[')
    parse, calls = counting(load)
    assert cache.load(cassette_file, data, parse) == load(data.decode(), cassette_file)
    assert calls == [cassette_file]
    assert cache.get(data) == load(data.decode(), cassette_file)


@pytest.mark.parametrize(
    "damage",
    [
        lambda stream: stream.update(kinds=stream["kinds"] + "e"),  # an event more than the columns hold
        lambda stream: stream.update(kinds=stream["kinds"].replace("d", "x")),  # an unknown kind
        lambda stream: stream["id"].pop(),  # a column shorter than the others
        lambda stream: stream.update(disconnects=[]),  # a drop without its details
    ],
    ids=["kinds-longer", "unknown-kind", "short-column", "missing-drop"],
)
def test_an_entry_whose_stream_columns_disagree_is_parsed_again(
    cassette_file: Path, tmp_path: Path, damage: Callable[[dict[str, object]], object]
) -> None:
    cache = ParsedCache(tmp_path / "cache")
    data = cassette_file.read_bytes()
    cache.load(cassette_file, data, load)
    entry = json.loads(cache.entry(data).read_text())
    damage(entry["exchanges"][1][2][4])
    cache.entry(data).write_text(json.dumps(entry))
    assert cache.get(data) is None
    parse, calls = counting(load)
    assert cache.load(cassette_file, data, parse) == every_kind_of_entry_as_loaded(cassette_file)
    assert calls == [cassette_file]


def every_kind_of_entry_as_loaded(path: Path) -> Cassette:
    return load(path.read_text(), path)


def test_a_value_json_cannot_hold_exactly_is_not_cached(tmp_path: Path) -> None:
    cache = ParsedCache(tmp_path / "cache")
    dated = every_kind_of_entry()
    dated.meta["recorded_on"] = date(2026, 5, 20)  # YAML reads unquoted dates as dates
    assert cache.put(b"dated", dated) is False
    keyed = every_kind_of_entry()
    keyed.exchanges[0].request.body = Body("json", {1: "an integer key"})
    assert cache.put(b"keyed", keyed) is False
    assert cache.get(b"dated") is None
    assert cache.get(b"keyed") is None


def test_an_unwritable_cache_still_loads(cassette_file: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    cache = ParsedCache(blocked / "cache")
    data = cassette_file.read_bytes()
    assert cache.load(cassette_file, data, load) == load(data.decode(), cassette_file)
    assert cache.put(data, load(data.decode(), cassette_file)) is False


def test_the_cache_directory_is_configurable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "mine"))
    assert default_cache_dir() == tmp_path / "mine"
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "pytest-interactions"


#: A version 2 cassette (JSON body and event data as YAML structure): the general YAML reader
#: reads it, and keeps its parsed copy in the cache (a version 3 file reads about as fast without).
STORY_V2 = """\
version: 2
meta:
  recorded_with: pytest-interactions 0.1.0
exchanges:
- at: 0.0
  request:
    method: POST
    url: http://emulator.invalid/v1beta/interactions
    headers:
      content-type: application/json
    json:
      model: gemini-3.5-flash
      background: true
      input: Stream me a story
  response:
    status: 200
    after: 0.0
    headers:
      content-type: application/json
    json:
      id: v1_a
      status: in_progress
- at: 0.5
  request:
    method: GET
    url: http://emulator.invalid/v1beta/interactions/v1_a?stream=true
  response:
    status: 200
    after: 0.0
    headers:
      content-type: text/event-stream
    events:
    - at: 0.01
      event: step.delta
      data:
        event_type: step.delta
        index: 0
        delta:
          type: text
          text: Once upon a time
        event_id: evt_1
end: 2
"""


def test_load_cassette_reads_an_unchanged_cassette_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loader parses YAML once per content: the next load (next test, next run) reads the cache."""
    from pytest_interactions.cassette import _files, load_cassette

    cassette = tmp_path / "session.yaml"
    cassette.write_text(STORY_V2)
    parsed = []
    real = _files._yaml.read
    monkeypatch.setattr(_files._yaml, "read", lambda text, path: parsed.append(path) or real(text, path))

    first = load_cassette(cassette)
    assert first.version == 2
    assert first.exchanges[1].response is not None
    assert first.exchanges[1].response.events
    again = load_cassette(cassette)
    assert again == first
    assert parsed == [cassette]  # parsed once

    cassette.write_bytes(cassette.read_bytes().replace(b"Stream me a story", b"Stream me a poem!"))
    changed = load_cassette(cassette)
    assert len(parsed) == 2  # any change misses the cache
    assert changed != first


LEAKY = (
    "version: 2\nexchanges:\n- at: 0\n  request:\n    method: POST\n    url: http://127.0.0.1:9/v1beta/interactions\n"
    "    headers: {x-goog-api-key: AIzaSyKeptNowhere00042}\n  response: {status: 204}\nend: 1\n"
)


def _cache_holds(directory: Path, value: str) -> bool:
    return any(value in entry.read_text() for entry in directory.glob("*.json"))


def test_a_scrubbed_cassette_leaves_no_entry_holding_what_it_no_longer_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_interactions.cassette import _files, load_cassette
    from pytest_interactions.cli import main

    directory = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(directory))
    _files._parsed_cache.cache_clear()
    try:
        cassette = tmp_path / "leaky.yaml"
        cassette.write_text(LEAKY)
        load_cassette(cassette)  # a replay reads it, unscrubbed as it is
        assert _cache_holds(directory, "AIzaSyKeptNowhere00042")
        assert main(["scrub", str(cassette)]) == 0
        assert "AIzaSyKeptNowhere00042" not in cassette.read_text()
        assert not _cache_holds(directory, "AIzaSyKeptNowhere00042")
        assert load_cassette(cassette).version == 3  # written again in the current layout
        # which reads as fast as an entry would: none is kept, and the old one is gone
        assert not list(directory.glob("*.json"))
    finally:
        _files._parsed_cache.cache_clear()


def test_no_entry_is_kept_for_a_cassette_holding_a_guarded_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_interactions.cassette import _files, load_cassette

    directory = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(directory))
    monkeypatch.setenv("GEMINI_API_KEY", "AIzaSyKeptNowhere00042")
    _files._parsed_cache.cache_clear()
    try:
        cassette = tmp_path / "leaky.yaml"
        cassette.write_text(LEAKY)
        assert load_cassette(cassette).exchanges
        assert not _cache_holds(directory, "AIzaSyKeptNowhere00042")
    finally:
        _files._parsed_cache.cache_clear()


def _fifo(entry: Path) -> None:
    entry.unlink()
    os.mkfifo(entry)


def _symlink(entry: Path) -> None:
    target = entry.with_name("elsewhere.json")
    target.write_bytes(entry.read_bytes())
    entry.unlink()
    entry.symlink_to(target)


def _foreign(entry: Path) -> None:
    document = json.loads(entry.read_text())
    document["key"] = "0" * 64  # an entry of other content, copied under this name
    entry.write_text(json.dumps(document))


@pytest.mark.parametrize(
    "spoil",
    [
        lambda entry: entry.write_bytes(b'{"format": 2, "key": "\xff\xfe"}'),
        lambda entry: entry.write_text("[" * 100_000 + "]" * 100_000),
        _fifo,
        _symlink,
        _foreign,
    ],
    ids=["bad-utf8", "deep-nesting", "fifo", "symlink", "foreign-content"],
)
def test_a_hostile_entry_falls_back_to_the_file_and_is_removed(
    cassette_file: Path, tmp_path: Path, spoil: Callable[[Path], None]
) -> None:
    cache = ParsedCache(tmp_path / "cache")
    data = cassette_file.read_bytes()
    cache.load(cassette_file, data, load)
    entry = cache.entry(data)
    spoil(entry)
    started = time.monotonic()
    parse, calls = counting(load)
    assert cache.load(cassette_file, data, parse) == every_kind_of_entry_as_loaded(cassette_file)
    assert time.monotonic() - started < 5  # a FIFO is never waited on
    assert calls == [cassette_file]
    assert entry.is_file()
    assert not entry.is_symlink()  # removed, then written anew from the file


def test_entries_not_read_for_a_month_are_evicted(cassette_file: Path, tmp_path: Path) -> None:
    cache = ParsedCache(tmp_path / "cache")
    data = cassette_file.read_bytes()
    cache.load(cassette_file, data, load)
    stale = tmp_path / "cache" / f"{'f' * 64}.json"
    stale.write_text("{}")
    month_ago = time.time() - 31 * 86400
    os.utime(stale, (month_ago, month_ago))
    os.utime(cache.entry(data), (month_ago, month_ago))
    assert cache.get(data) is not None  # read: kept
    assert cache.evict_old() == 1
    assert not stale.exists()
    assert cache.entry(data).exists()
