"""The structural diff: two runs of one session show no drift; a changed server is named exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_interactions import protocol
from pytest_interactions.cassette import load_cassette
from pytest_interactions.cli import main
from pytest_interactions.contract import diff_cassettes
from pytest_interactions.emulator import ScenarioRequest, Script
from tests.contract.recording import record_session, story


def renamed_usage_field(request: ScenarioRequest) -> Script:
    return story(request, usage={"tokens_total": 12, "total_input_tokens": 4, "total_output_tokens": 8})


def extra_status_event(request: ScenarioRequest) -> Script:
    return story(request, extra=True)


def waits_for_action(request: ScenarioRequest) -> Script:
    return story(request, status=protocol.REQUIRES_ACTION)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return record_session(tmp_path_factory.mktemp("reference") / "session.yaml")


def test_two_runs_of_the_same_session_show_no_drift(
    reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    again = record_session(tmp_path / "again.yaml", seed=7, drop=3)
    assert load_cassette(again).exchanges[1].request.url != load_cassette(reference).exchanges[1].request.url
    assert main(["diff", str(reference), str(again)]) == 0
    assert "no drift" in capsys.readouterr().out


def test_a_renamed_field_is_named_and_nothing_else(reference: Path, tmp_path: Path) -> None:
    changed = record_session(tmp_path / "renamed.yaml", renamed_usage_field)
    drift = diff_cassettes(load_cassette(reference), load_cassette(changed))
    assert [str(d) for d in drift] == [
        "interaction #1: [fields] interaction.completed: field interaction.usage.total_tokens renamed to "
        "interaction.usage.tokens_total (number)",
        "interaction #1: [fields] get answer: field usage.total_tokens renamed to "
        "usage.tokens_total (number)",
    ]


def test_an_extra_event_is_named_and_nothing_else(reference: Path, tmp_path: Path) -> None:
    changed = record_session(tmp_path / "extra.yaml", extra_status_event)
    drift = diff_cassettes(load_cassette(reference), load_cassette(changed))
    assert [str(d) for d in drift] == [
        "interaction #1: [events] events added after step.stop: interaction.status_update",
    ]


def test_a_different_status_path_is_named_and_nothing_else(
    reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    changed = record_session(tmp_path / "action.yaml", waits_for_action)
    assert main(["diff", "--format", "json", str(reference), str(changed)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [(d["category"], d["message"]) for d in report["drift"]] == [
        ("status-path", "statuses answered: in_progress -> completed became in_progress -> requires_action"),
        ("status-path", "statuses streamed: in_progress -> completed became in_progress -> requires_action"),
    ]


def test_the_text_report_groups_by_interaction(
    reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    changed = record_session(tmp_path / "extra.yaml", extra_status_event)
    assert main(["diff", str(reference), str(changed)]) == 1
    out = capsys.readouterr().out
    assert out.splitlines() == [
        f"drift from {reference} to {changed}:",
        "  interaction #1 (gemini)",
        "    [events] events added after step.stop: interaction.status_update",
        "1 difference(s)",
    ]


def test_an_unreadable_cassette_is_named(
    reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\nexchanges: [\n")
    assert main(["diff", str(reference), str(broken)]) == 2
    assert f"{broken}:" in capsys.readouterr().err
