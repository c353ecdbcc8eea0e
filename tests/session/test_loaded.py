"""Sessions replaying the same cassette share one parsed, compiled copy; a changed file is read again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pytest_interactions.faults import FaultPlan
from pytest_interactions.session import _loaded, use_cassette
from pytest_interactions.session._loaded import load_for_replay

BASE = "http://127.0.0.1:1/v1beta"


@pytest.fixture(autouse=True)
def _fresh_memo() -> Iterator[None]:
    _loaded.forget_loaded()
    yield
    _loaded.forget_loaded()


def cassette(text: str) -> str:
    """A one-stream cassette whose delta says ``text``."""
    return Path(__file__).with_name("one_stream.yaml").read_text().replace("TEXT", text)


def streamed_text(path: Path, faults: FaultPlan | None = None) -> str:
    with (
        use_cassette(path, "none", faults=faults or FaultPlan(), checks=False),
        httpx.Client(base_url=BASE) as http,
    ):
        try:
            return http.get("/interactions/v1_a?stream=true").text
        except httpx.RemoteProtocolError:
            return "cut"


def test_sessions_replaying_one_cassette_share_its_compiled_histories(tmp_path: Path) -> None:
    path = tmp_path / "shared.yaml"
    path.write_text(cassette("hello"))
    first = load_for_replay(path)
    assert load_for_replay(path) is first
    assert first.histories() is first.histories()
    # A cut in one session leaves the shared histories as they were for the next.
    assert streamed_text(path, FaultPlan().disconnect("after:1")) == "cut"
    assert "hello" in streamed_text(path)
    assert load_for_replay(path) is first


def test_a_changed_cassette_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "changing.yaml"
    path.write_text(cassette("hello"))
    assert "hello" in streamed_text(path)
    path.write_text(cassette("goodbye"))
    assert "goodbye" in streamed_text(path)


def test_the_same_bytes_at_another_path_are_parsed_once(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(cassette("hello"))
    (tmp_path / "b.yaml").write_text(cassette("hello"))
    assert load_for_replay(tmp_path / "a.yaml") is load_for_replay(tmp_path / "b.yaml")


def test_only_the_most_recent_cassettes_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    size = len(cassette("text 0").encode())
    monkeypatch.setattr(_loaded, "MEMO_BYTES", 2 * size)
    paths = []
    for n in range(3):
        paths.append(tmp_path / f"c{n}.yaml")
        paths[-1].write_text(cassette(f"text {n}"))
    loaded = [load_for_replay(path) for path in paths]
    assert load_for_replay(paths[2]) is loaded[2]
    assert load_for_replay(paths[1]) is loaded[1]
    assert load_for_replay(paths[0]) is not loaded[0]  # dropped when the third came in


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A parsed-cassette cache of this test's own."""
    from pytest_interactions.cassette import _files

    monkeypatch.setenv("INTERACTIONS_CACHE_DIR", str(tmp_path / "cache"))
    _files._parsed_cache.cache_clear()
    yield tmp_path / "cache"
    _files._parsed_cache.cache_clear()


#: ``one_stream.yaml`` in the version 2 layout (JSON data as YAML structure): read by the general
#: YAML reader, so its parsed copy is kept in the cache (a version 3 file reads without one).
ONE_STREAM_V2 = """\
version: 2
meta: {}
exchanges:
- at: 0.0
  request:
    method: GET
    url: http://127.0.0.1:1/v1beta/interactions/v1_a?stream=true
  response:
    status: 200
    after: 0.0
    headers:
      content-type: text/event-stream
    events:
    - at: 0.01
      event: interaction.created
      data:
        event_type: interaction.created
        interaction:
          id: v1_a
          status: in_progress
        event_id: evt_1
    - at: 0.02
      event: step.delta
      data:
        event_type: step.delta
        index: 0
        delta:
          type: text
          text: hello
        event_id: evt_2
    - at: 0.03
      event: interaction.completed
      data:
        event_type: interaction.completed
        interaction:
          id: v1_a
          status: completed
        event_id: evt_3
end: 1
"""


def test_a_damaged_cache_entry_is_parsed_again(tmp_path: Path, cache_dir: Path) -> None:
    path = tmp_path / "damaged.yaml"
    path.write_text(ONE_STREAM_V2)
    first = load_for_replay(path).cassette  # parsed, and kept in the cache directory
    (entry,) = cache_dir.glob("*.json")
    entry.write_text('{"format": 2, "exchanges": [[')
    _loaded.forget_loaded()
    again = load_for_replay(path).cassette
    assert again == first
    assert again is not first
    assert "hello" in streamed_text(path)
