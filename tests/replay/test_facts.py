"""What compiling a stream reads from its events' JSON is kept for the next run, and only trusted
while the cassette's bytes and the code that reads them are unchanged."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_interactions.cassette import _files, load_cassette
from pytest_interactions.replay import History, _facts, _index, compile_histories
from pytest_interactions.replay._facts import CassetteFacts
from pytest_interactions.replay._index import facts_name
from pytest_interactions.session import _loaded
from pytest_interactions.session._loaded import load_for_replay

ROOT = Path(__file__).parents[2]
RECORDED = sorted(
    [*(ROOT / "cassettes").rglob("*.yaml"), *(ROOT / "tests").rglob("*.yaml")],
    key=lambda p: str(p),
)


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A parsed-cassette cache of this test's own, and no cassette kept in the process."""
    monkeypatch.setenv("INTERACTIONS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(_index, "FACTS_FROM", 0)  # the streams here are short
    _files._parsed_cache.cache_clear()
    _loaded.forget_loaded()
    yield tmp_path / "cache"
    _loaded.forget_loaded()
    _files._parsed_cache.cache_clear()


def summary(histories: dict[str, History]) -> dict[str, list[tuple[object, ...]]]:
    """Everything replay takes from each event's JSON, per interaction."""
    return {
        interaction: [
            (e.at, e.record, e.event_id, e.event_type, e.status, e.ends_stream) for e in history.events
        ]
        for interaction, history in histories.items()
    } | {f"{i} api": [(h.api.name, h.done is not None, len(h.recorded_cuts))] for i, h in histories.items()}


def facts_file(cache: Path) -> Path:
    (found,) = cache.glob(f"*.{facts_name()}.json")
    return found


@pytest.mark.parametrize("recorded", RECORDED, ids=lambda p: str(p.relative_to(ROOT)))
def test_histories_compiled_from_kept_facts_are_the_same(recorded: Path) -> None:
    cassette = load_cassette(recorded)
    facts = CassetteFacts()
    fresh = compile_histories(cassette, facts)
    assert summary(fresh) == summary(compile_histories(cassette))
    kept = CassetteFacts.from_json(json.loads(json.dumps(facts.to_json())))
    assert kept is not None
    assert summary(compile_histories(cassette, kept)) == summary(fresh)
    assert not kept.learned  # every stream was known: nothing new to keep


def test_the_next_run_reads_the_facts_instead_of_the_events(tmp_path: Path, own_cache: Path) -> None:
    path = tmp_path / "bursts.yaml"
    shutil.copyfile(Path(__file__).with_name("bursts.yaml"), path)
    first = summary(load_for_replay(path).histories())
    kept = facts_file(own_cache)
    # Facts that say otherwise are believed: proof that the events' JSON is not read again.
    value = json.loads(kept.read_text())
    (stream,) = value["streams"].values()
    stream[2] = ["renamed"] * len(stream[2])
    kept.write_text(json.dumps(value))
    _loaded.forget_loaded()  # as in a new process
    types = {e.event_type for h in load_for_replay(path).histories().values() for e in h.events}
    assert types == {"renamed"}
    # Another version of the code keeps its facts under another name and reads the events again.
    _loaded.forget_loaded()
    facts_name.cache_clear()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(_facts, "FORMAT", _facts.FORMAT + 1)
            assert summary(load_for_replay(path).histories()) == first
    finally:
        facts_name.cache_clear()


def test_a_short_stream_keeps_no_facts(
    tmp_path: Path, own_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Compiling a few events costs less than reading their facts back: nothing is kept for them."""
    path = tmp_path / "bursts.yaml"
    shutil.copyfile(Path(__file__).with_name("bursts.yaml"), path)
    events = sum(len(e.response.events or ()) for e in load_cassette(path).exchanges if e.response)
    monkeypatch.setattr(_index, "FACTS_FROM", events + 1)
    first = summary(load_for_replay(path).histories())
    assert list(own_cache.glob("*.facts-*.json")) == []
    monkeypatch.setattr(_index, "FACTS_FROM", events)
    _loaded.forget_loaded()
    assert summary(load_for_replay(path).histories()) == first
    assert len(list(own_cache.glob("*.facts-*.json"))) == 1


def _ids_as_numbers(stream: list[Any]) -> None:
    stream[1] = list(range(len(stream[1])))


def _one_short(stream: list[Any]) -> None:
    for column in stream[1:]:
        column.pop()


def _another_api(stream: list[Any]) -> None:
    stream[0] = "openai"


@pytest.mark.parametrize("damage", [_ids_as_numbers, _one_short, _another_api, None])
def test_damaged_or_unfitting_facts_are_read_again_from_the_events(
    tmp_path: Path, own_cache: Path, damage: Callable[[list[Any]], None] | None
) -> None:
    path = tmp_path / "bursts.yaml"
    shutil.copyfile(Path(__file__).with_name("bursts.yaml"), path)
    first = summary(load_for_replay(path).histories())
    kept = facts_file(own_cache)
    if damage is None:
        kept.write_text("{not json")
    else:
        value = json.loads(kept.read_text())
        (stream,) = value["streams"].values()
        stream[2] = ["renamed"] * len(stream[2])  # believed if these facts were used
        damage(stream)
        kept.write_text(json.dumps(value))
    _loaded.forget_loaded()
    assert summary(load_for_replay(path).histories()) == first
