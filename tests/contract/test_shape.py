"""The differ on the hand-written sample: each kind of change is named in its category, and what
changes on every run is not."""

from __future__ import annotations

from pathlib import Path

from pytest_interactions.cassette import load_cassette
from pytest_interactions.contract import diff_cassettes, session_shape
from pytest_interactions.contract._diff import diff_shapes
from tests.contract.sample import GOOD, write


def drift_between(tmp_path: Path, old: str, new: str) -> list[str]:
    before = load_cassette(write(tmp_path, old, "old.yaml"))
    after = load_cassette(write(tmp_path, new, "new.yaml"))
    return [str(d) for d in diff_cassettes(before, after)]


def test_the_sample_shape() -> None:
    shape = session_shape(load_cassette(Path(__file__).parent / "sample.yaml"))
    first, gone = shape.interactions
    assert first.requests == ["create 200", "stream 200", "get 200"]
    assert first.answered_statuses == ["in_progress", "completed"]
    assert first.streamed_statuses == ["in_progress", "completed"]
    assert first.events == [
        "interaction.created",
        "step.start(thought)",
        "step.delta(thought_summary)",
        "step.stop",
        "step.start(model_output)",
        "step.delta(text)",
        "step.stop",
        "interaction.completed",
    ]
    assert first.fields["step.stop"] == {"event_type": "string", "index": "number", "event_id": "string"}
    assert gone.errors == ["get 404 NOT_FOUND"]


def test_ids_text_timestamps_and_counts_are_not_drift(tmp_path: Path) -> None:
    for old in ('"text":"Hello"}', '"text":"Hm"}', "at: 0.3\n"):
        assert GOOD.count(old) == 1, old
    other = (
        GOOD.replace("v1_a", "v1_zz")
        .replace('"text":"Hello"}', '"text":"Bonjour tout le monde"}')
        .replace('"text":"Hm"}', '"text":"Let me think about it"}')
        .replace("evt_", "event-")
        .replace("at: 0.3\n", "at: 3.5\n")
    )
    assert drift_between(tmp_path, GOOD, other) == []


def test_a_changed_type_and_http_status_are_named(tmp_path: Path) -> None:
    assert GOOD.count('"index":0,"event_id":"evt_4"') == 1
    other = GOOD.replace('"index":0,"event_id":"evt_4"', '"index":"0","event_id":"evt_4"').replace(
        "    status: 404\n", "    status: 410\n"
    )
    assert drift_between(tmp_path, GOOD, other) == [
        "interaction #1: [fields] step.stop: field index changed type: number -> string",
        "interaction #2: [requests] requests changed at the start: get 404 became get 410",
        "interaction #2: [errors] error answers changed at the start: "
        "get 404 NOT_FOUND became get 410 NOT_FOUND",
    ]


def test_timing_beyond_the_tolerance_is_named(tmp_path: Path) -> None:
    assert GOOD.count("- at: 0.3\n") == 1
    slow = GOOD.replace("- at: 0.3\n", "- at: 95.0\n")
    assert drift_between(tmp_path, GOOD, slow) == [
        "interaction #1: [timing] took 95.000 s instead of 0.300 s (tolerance 30 s)"
    ]


def test_reordered_events_are_named_as_such(tmp_path: Path) -> None:
    shape = session_shape(load_cassette(write(tmp_path, GOOD)))
    other = session_shape(load_cassette(write(tmp_path, GOOD, "again.yaml")))
    events = other.interactions[0].events
    events[1:4], events[4:7] = events[4:7], events[1:4]
    assert [str(d) for d in diff_shapes(shape, other)] == [
        "interaction #1: [events] events reordered: step.start(model_output), step.delta(text), step.stop "
        "moved from after step.stop to after interaction.created"
    ]


def test_a_missing_interaction_is_named(tmp_path: Path) -> None:
    head, found, _ = GOOD.partition("- at: 0.4\n")
    assert found
    head += "end: 4\n"  # a version 3 file closes with its number of exchanges
    assert drift_between(tmp_path, GOOD, head) == ["session: [interactions] 2 interaction(s) became 1"]
