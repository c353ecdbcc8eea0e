"""Emulator conformance on the committed reference cassettes, which stand for PROTOCOL.md's
documented event sequences; and a recording that differs from the emulator is named exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_interactions.cassette import StreamEvent, load_cassette, save_cassette
from pytest_interactions.cli import main
from pytest_interactions.contract import conform, session_shape, validate_file

REFERENCE = Path(__file__).resolve().parents[2] / "cassettes" / "reference"

CREATED, STOP, COMPLETED = "interaction.created", "step.stop", "interaction.completed"
TEXT_STEP = ["step.start(model_output)", "step.delta(text)", STOP]

#: Each reference session's events, as PROTOCOL.md section 4 documents them (runs of deltas as one).
DOCUMENTED: dict[str, list[list[str]]] = {
    "text": [[CREATED, *TEXT_STEP, COMPLETED]],
    "thought": [
        [
            CREATED,
            "step.start(thought)",
            "step.delta(thought_summary)",
            "step.delta(thought_signature)",  # the last delta of a thought step
            STOP,
            *TEXT_STEP,
            COMPLETED,
        ]
    ],
    "function_call": [
        [CREATED, "step.start(function_call)", "step.delta(arguments_delta)", STOP, COMPLETED],
        [CREATED, *TEXT_STEP, COMPLETED],
    ],
    "error": [[CREATED, *TEXT_STEP, "error(gateway_timeout)", "interaction.status_update"]],
    "resume": [[CREATED, *TEXT_STEP, COMPLETED]],
    "cancel_delete": [[]],
}
STATUSES: dict[str, list[list[str]]] = {
    "text": [["in_progress", "completed"]],
    "thought": [["in_progress", "completed"]],
    "function_call": [["in_progress", "requires_action"], ["in_progress", "completed"]],
    "error": [["in_progress", "failed"]],
    "resume": [["in_progress", "completed"]],
    "cancel_delete": [["in_progress", "cancelled"]],
}


def test_every_reference_cassette_is_documented() -> None:
    assert sorted(p.stem for p in REFERENCE.glob("*.yaml")) == sorted(DOCUMENTED)


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_reference_cassettes_follow_the_documented_sequences(name: str) -> None:
    path = REFERENCE / f"{name}.yaml"
    assert validate_file(path) == []
    shape = session_shape(load_cassette(path))
    assert [i.events for i in shape.interactions] == DOCUMENTED[name]
    assert [i.answered_statuses for i in shape.interactions] == STATUSES[name]


def test_the_reference_cassettes_cover_drops_chains_cancels_and_errors() -> None:
    resume = load_cassette(REFERENCE / "resume.yaml")
    assert "last_event_id=" in resume.exchanges[2].request.url
    cancel = session_shape(load_cassette(REFERENCE / "cancel_delete.yaml"))
    assert cancel.interactions[0].errors == ["get 404 NOT_FOUND"]
    assert cancel.other == ["POST /v1beta/interactions 400"]
    chained = load_cassette(REFERENCE / "function_call.yaml").exchanges[3].request.body
    assert chained is not None
    assert "previous_interaction_id" in chained.value


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_the_emulator_conforms_to_the_reference_cassettes(name: str) -> None:
    result = conform(REFERENCE / f"{name}.yaml")
    assert [str(d) for d in result.drift] == []
    assert len(result.emulated.exchanges) == len(load_cassette(REFERENCE / f"{name}.yaml").exchanges)


def _rename_in_stream(source: Path, target: Path, event_type: str, old: str, new: str) -> Path:
    """The recording as a server that names one field of one event type differently would give."""
    cassette = load_cassette(source)
    for exchange in cassette.exchanges:
        for item in (exchange.response.events or []) if exchange.response else []:
            if isinstance(item, StreamEvent) and item.data and item.data.startswith("{"):
                payload = json.loads(item.data)
                if payload.get("event_type") == event_type:
                    payload[new] = payload.pop(old)
                    item.data = json.dumps(payload, separators=(",", ":"))
                    item.raw = None
    save_cassette(target, cassette)
    return target


def test_a_recording_that_differs_from_the_emulator_is_named(tmp_path: Path) -> None:
    live = _rename_in_stream(
        REFERENCE / "text.yaml", tmp_path / "live.yaml", "step.stop", "index", "position"
    )
    assert [str(d) for d in conform(live).drift] == [
        "interaction #1: [fields] step.stop: field position renamed to index (number)"
    ]


def test_a_different_error_shape_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    live = tmp_path / "live.yaml"
    recorded = (REFERENCE / "cancel_delete.yaml").read_text()
    assert recorded.count('"status": "NOT_FOUND"') == 1
    live.write_text(recorded.replace('"status": "NOT_FOUND"', '"status": "GONE"'))
    assert main(["conform", "--format", "json", str(live)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report == [
        {
            "cassette": str(live),
            "drift": [
                {
                    "where": "interaction #1",
                    "api": "gemini",
                    "category": "errors",
                    "message": "error answers changed at the start: get 404 GONE became get 404 NOT_FOUND",
                }
            ],
        }
    ]


def test_the_command_reports_each_cassette(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conform", str(REFERENCE / "text.yaml"), str(REFERENCE / "error.yaml")]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{REFERENCE / 'text.yaml'}: the emulator conforms",
        f"{REFERENCE / 'error.yaml'}: the emulator conforms",
    ]
