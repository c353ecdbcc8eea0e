"""``pytest-interactions inspect`` on OpenAI Responses cassettes: the timeline and the summary
speak of responses, their statuses and their sequence numbers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_interactions.cli import main
from tests.contract.openai_recording import record_responses
from tests.contract.recording import record_session


@pytest.fixture(scope="module")
def resumed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A background response whose stream the client left after 3 events and resumed."""
    return record_responses(tmp_path_factory.mktemp("inspect") / "responses.yaml", hang_up_after=3)


def test_the_timeline_shows_responses_by_sequence_number(
    resumed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["inspect", str(resumed)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"stream #1 of resp_\w+\n +0 +response\.created\n", out), out
    assert re.search(r"stream #2 of resp_\w+ starting_after=2\n +3 +response\.output_item\.added\n", out), out
    assert re.search(r"\n +13 +response\.completed\n +■ end of stream", out), out
    assert re.search(r"resp_\w+ is completed \(seen by stream #2\)", out), out
    assert re.search(r"resp_\w+ is cancelled \(seen by cancel\)", out), out
    assert "GET    /v1/responses/resp_doesnotexist -> 404" in out
    assert "last_event_id" not in out
    assert "event_id" not in out


def test_the_summary_names_each_response_with_its_api(
    resumed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["inspect", str(resumed)]) == 0
    summary = capsys.readouterr().out.split("by API, in its own terms:\n")[1].splitlines()
    assert len(summary) == 2
    assert re.fullmatch(
        r"  openai response resp_\w+: 2 stream\(s\), 14 event\(s\), sequence_number 0\.\.13; "
        r"statuses queued -> in_progress -> completed",
        summary[0],
    )
    assert re.fullmatch(r"  openai response resp_\w+: statuses queued -> cancelled", summary[1])


def test_a_gemini_session_is_summed_up_in_its_own_terms(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gemini = record_session(tmp_path / "gemini.yaml", drop=5)
    assert main(["inspect", str(gemini)]) == 0
    summary = capsys.readouterr().out.split("by API, in its own terms:\n")[1]
    assert re.match(
        r"  gemini interaction v1_\w+: 2 stream\(s\), \d+ event\(s\), event_id evt_000001\.\.evt_\d+; "
        r"statuses in_progress -> completed",
        summary,
    ), summary


def test_html_carries_sequence_numbers(resumed: Path, tmp_path: Path) -> None:
    page = tmp_path / "responses.html"
    assert main(["inspect", str(resumed), "--html", str(page)]) == 0
    text = page.read_text()
    assert text.count('class="event"') == 14
    assert 'data-event-id="13"' in text
