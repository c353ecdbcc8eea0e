"""The structural diff of OpenAI Responses recordings, read in their own grammar: two runs of one
session show no drift; a changed server is named by response, event type and field."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_interactions.cassette import StreamEvent, load_cassette, save_cassette
from pytest_interactions.cli import main
from pytest_interactions.contract import diff_cassettes, session_shape
from tests.contract.openai_recording import record_responses
from tests.contract.recording import record_session


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return record_responses(tmp_path_factory.mktemp("openai") / "responses.yaml")


def changed_server(
    source: Path, target: Path, event_type: str, change: Callable[[dict[str, Any]], None]
) -> Path:
    """The recording as a server that sends one event type differently would give."""
    cassette = load_cassette(source)
    for exchange in cassette.exchanges:
        for item in (exchange.response.events or []) if exchange.response else []:
            if isinstance(item, StreamEvent) and item.data:
                payload = json.loads(item.data)
                if payload.get("type") == event_type:
                    change(payload)
                    item.data = json.dumps(payload, separators=(",", ":"))
                    item.raw = None
    save_cassette(target, cassette)
    return target


def test_the_shape_is_told_in_the_responses_terms(reference: Path) -> None:
    shape = session_shape(load_cassette(reference))
    streamed, cancelled, missing = shape.interactions
    assert [i.label for i in shape.interactions] == ["response #1", "response #2", "response #3"]
    assert {i.api for i in shape.interactions} == {"openai"}
    assert streamed.events == [
        "response.created",
        "response.queued",
        "response.in_progress",
        "response.output_item.added(message)",
        "response.content_part.added(output_text)",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done(output_text)",
        "response.output_item.done(message)",
        "response.completed",
    ]
    assert streamed.streamed_statuses == ["queued", "in_progress", "completed"]
    assert cancelled.requests == ["create 200", "cancel 200"]
    assert missing.errors == ["get 404 invalid_request_error"]


def test_two_runs_of_the_same_session_show_no_drift(
    reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    again = record_responses(tmp_path / "again.yaml", seed=7, hang_up_after=6)
    assert "starting_after=5" in load_cassette(again).exchanges[1].request.url
    assert main(["diff", str(reference), str(again)]) == 0
    assert "no drift" in capsys.readouterr().out


def test_a_renamed_field_is_named_by_response_and_event_type(
    reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    renamed = changed_server(
        reference,
        tmp_path / "renamed.yaml",
        "response.output_text.delta",
        lambda p: p.update(text_delta=p.pop("delta")),
    )
    assert [str(d) for d in diff_cassettes(load_cassette(reference), load_cassette(renamed))] == [
        "response #1: [fields] response.output_text.delta: field delta renamed to text_delta (string)"
    ]
    assert main(["diff", str(reference), str(renamed)]) == 1
    assert capsys.readouterr().out.splitlines()[1:3] == [
        "  response #1 (openai)",
        "    [fields] response.output_text.delta: field delta renamed to text_delta (string)",
    ]


def test_a_missing_lifecycle_event_is_named(
    reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = load_cassette(reference)
    response = cassette.exchanges[0].response
    assert response is not None
    assert response.events is not None
    del response.events[1]  # response.queued
    save_cassette(tmp_path / "unqueued.yaml", cassette)
    assert main(["diff", "--format", "json", str(reference), str(tmp_path / "unqueued.yaml")]) == 1
    assert json.loads(capsys.readouterr().out)["drift"] == [
        {
            "where": "response #1",
            "category": "events",
            "message": "events removed after response.created: response.queued",
            "api": "openai",
        },
    ]


def test_a_session_read_by_another_api_is_named(reference: Path, tmp_path: Path) -> None:
    gemini = record_session(tmp_path / "gemini.yaml")
    drift = diff_cassettes(load_cassette(reference), load_cassette(gemini))
    assert "response #1: [interactions] read as openai became read as gemini" in [str(d) for d in drift]
