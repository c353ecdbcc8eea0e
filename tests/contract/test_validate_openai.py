"""Validating OpenAI Responses cassettes by their own grammar: a recording of the emulator is
clean; each broken stream is named with its rule, file, line, response and sequence number, and
never with a complaint of the Gemini grammar."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_interactions.cassette import Cassette, StreamEvent, load_cassette, save_cassette
from pytest_interactions.cli import main
from pytest_interactions.contract import API_RULES, Problem, validate_cassette, validate_file
from tests.contract.openai_recording import record_responses
from tests.contract.recording import record_session

Edit = Callable[[Cassette], None]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return record_responses(tmp_path_factory.mktemp("openai") / "responses.yaml")


def events(cassette: Cassette, exchange: int) -> list[StreamEvent]:
    response = cassette.exchanges[exchange].response
    assert response is not None
    return [item for item in response.events or [] if isinstance(item, StreamEvent)]


def rewrite(item: StreamEvent, change: Callable[[dict[str, Any]], None]) -> None:
    payload = json.loads(item.data or "")
    change(payload)
    item.data = json.dumps(payload, separators=(",", ":"))
    item.event = payload.get("type", item.event)
    item.raw = None


def number_goes_back(cassette: Cassette) -> None:
    stream = events(cassette, 1)
    rewrite(stream[3], lambda p: p.update(sequence_number=7))  # 5, 7, 6, 8: 6 goes back
    rewrite(stream[4], lambda p: p.update(sequence_number=6))


def unknown_type(cassette: Cassette) -> None:
    rewrite(events(cassette, 1)[2], lambda p: p.update(type="response.output_text.shout"))


def completed_then_in_progress(cassette: Cassette) -> None:
    later = copy.deepcopy(cassette.exchanges[2])
    later.at += 0.5
    assert later.response is not None
    assert later.response.body is not None
    later.response.body.value["status"] = "in_progress"
    cassette.exchanges.insert(3, later)


def no_terminal_event(cassette: Cassette) -> None:
    response = cassette.exchanges[1].response
    assert response is not None
    assert response.events is not None
    response.events.pop()  # response.completed


def lacks_a_field(cassette: Cassette) -> None:
    rewrite(events(cassette, 1)[2], lambda p: p.pop("delta"))


def starts_elsewhere(cassette: Cassette) -> None:
    exchange = cassette.exchanges[1]
    exchange.request.url = exchange.request.url.replace("starting_after=2", "starting_after=1")


def fresh_stream_without_created(cassette: Cassette) -> None:
    response = cassette.exchanges[0].response
    assert response is not None
    assert response.events is not None
    response.events.pop(0)


# (the edit, the rule, words the message holds, the stream event it points at (exchange, event) or
# None for the exchange's answer)
BROKEN: list[tuple[Edit, str, str, tuple[int, int] | None]] = [
    (
        number_goes_back,
        "event-ids",
        "response.output_text.delta (sequence_number 6) follows sequence_number 7: "
        "sequence numbers must increase",
        (1, 4),
    ),
    (
        unknown_type,
        "unknown-type",
        "'response.output_text.shout' (sequence_number 5) is not a Responses stream event type",
        (1, 2),
    ),
    (
        completed_then_in_progress,
        "status-path",
        "status 'in_progress' observed after 'completed'",
        None,
    ),
    (
        no_terminal_event,
        "terminal",
        "ended after response.output_item.done (sequence_number 12) without a terminal event",
        (1, 9),
    ),
    (
        lacks_a_field,
        "required-fields",
        "response.output_text.delta (sequence_number 5) lacks 'delta'",
        (1, 2),
    ),
    (
        starts_elsewhere,
        "resume",
        "the stream resumed with starting_after=1 starts at sequence_number 3, not 2",
        (1, 0),
    ),
    (
        fresh_stream_without_created,
        "created-first",
        "a fresh stream starts with response.queued (sequence_number 1), not response.created",
        (0, 0),
    ),
]


def test_a_recording_of_the_emulator_validates_clean_as_openai(recorded: Path) -> None:
    validation = validate_cassette(recorded)
    assert validation.problems == []
    assert set(validation.judged.values()) == {"openai"}
    assert len(validation.judged) == 3  # streamed, cancelled, never found
    assert all(subject.startswith("response resp_") for subject in validation.judged)


def test_the_command_names_the_api_it_judged_by(recorded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(recorded)]) == 0
    first, *_, last = capsys.readouterr().out.splitlines()
    assert first.startswith(f"{recorded}: judged as openai: response resp_")
    assert last == "1 cassette(s) checked: 0 error(s), 0 warning(s)"


def _line_of_event(text: str, cassette: Cassette, exchange: int, index: int) -> int:
    """The line of the ``index``-th event of an exchange's stream in the saved text (the ``- at:``
    line of the event whose one-line data holds its sequence number)."""
    target = events(cassette, exchange)[index]
    number = json.loads(target.data or "")["sequence_number"]
    lines = text.splitlines()
    starts = [n for n, line in enumerate(lines) if line.startswith("- at:")]
    start, end = starts[exchange], [*starts, len(lines)][exchange + 1]
    seq = re.compile(rf'"sequence_number":{number}[,}}]')
    (hit,) = [n for n in range(start, end) if lines[n].lstrip().startswith("data: ") and seq.search(lines[n])]
    return next(n for n in range(hit, start, -1) if lines[n].startswith("    - at:")) + 1


@pytest.mark.parametrize(("edit", "rule", "words", "at"), BROKEN, ids=[b[0].__name__ for b in BROKEN])
def test_each_broken_stream_is_named_with_its_place(
    recorded: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    edit: Edit,
    rule: str,
    words: str,
    at: tuple[int, int] | None,
) -> None:
    cassette = load_cassette(recorded)
    response_id = str(json.loads(events(cassette, 0)[0].data or "")["response"]["id"])
    edit(cassette)
    broken = tmp_path / "broken.yaml"
    save_cassette(broken, cassette)
    problems = validate_file(broken)
    assert [p.rule for p in problems] == [rule], [str(p) for p in problems]
    (problem,) = problems
    assert words in problem.message
    assert (problem.api, problem.subject) == ("openai", f"response {response_id}")
    text = broken.read_text()
    if at is not None:
        assert problem.line == _line_of_event(text, cassette, *at)
    else:  # the answer of the poll added after the one that showed it completed
        assert problem.line is not None
        lines = text.splitlines()
        assert lines[problem.line - 2].strip() == "json: |-"  # the answer's JSON body starts here
        assert lines[problem.line - 1].strip() == "{"
        assert lines[problem.line].strip() == f'"id": "{response_id}",'
        assert len([line for line in lines[: problem.line] if line.startswith("- at:")]) == 4
    assert main(["validate", str(broken)]) == 1
    out = capsys.readouterr().out
    assert f"{broken}:{problem.line}: [{rule}] " in out
    assert f"(openai response {response_id})" in out


def test_no_complaint_of_the_gemini_grammar(recorded: Path, tmp_path: Path) -> None:
    found: list[Problem] = []
    for number, (edit, *_) in enumerate(BROKEN):
        cassette = load_cassette(recorded)
        edit(cassette)
        save_cassette(tmp_path / f"{number}.yaml", cassette)
        found += validate_file(tmp_path / f"{number}.yaml")
    assert {p.rule for p in found} <= set(API_RULES["openai"])
    for gemini_word in ("event_type", "event_id", "interaction.", "[DONE]", "step"):
        assert not [str(p) for p in found if gemini_word in p.message], gemini_word


def test_a_cancelled_response_may_end_its_stream_silently_but_only_then(
    recorded: Path, tmp_path: Path
) -> None:
    cassette = load_cassette(recorded)
    no_terminal_event(cassette)
    # The poll after the stream now shows the response cancelled: a stream that just stops is fine.
    poll = cassette.exchanges[2].response
    assert poll is not None
    assert poll.body is not None
    poll.body.value["status"] = "cancelled"
    save_cassette(tmp_path / "cancelled.yaml", cassette)
    assert validate_file(tmp_path / "cancelled.yaml") == []


def test_each_interaction_of_a_mixed_cassette_is_judged_by_its_own_api(
    recorded: Path, tmp_path: Path
) -> None:
    gemini = load_cassette(record_session(tmp_path / "gemini.yaml"))
    mixed = load_cassette(recorded)
    offset = mixed.exchanges[-1].at + 1.0
    for exchange in gemini.exchanges:
        exchange.at += offset
    mixed.exchanges += gemini.exchanges
    save_cassette(tmp_path / "mixed.yaml", mixed)
    validation = validate_cassette(tmp_path / "mixed.yaml")
    assert validation.problems == []
    assert sorted(set(validation.judged.values())) == ["gemini", "openai"]
    gemini_subjects = [s for s, api in validation.judged.items() if api == "gemini"]
    assert gemini_subjects
    assert all(subject.startswith("interaction v1_") for subject in gemini_subjects)

    number_goes_back(mixed)
    save_cassette(tmp_path / "mixed.yaml", mixed)
    assert [(p.rule, p.api) for p in validate_file(tmp_path / "mixed.yaml")] == [("event-ids", "openai")]


def test_a_sequence_number_never_sent_is_named(recorded: Path, tmp_path: Path) -> None:
    cassette = load_cassette(recorded)
    response = cassette.exchanges[1].response
    assert response is not None
    assert response.events is not None
    del response.events[4]  # sequence_number 7
    save_cassette(tmp_path / "gap.yaml", cassette)
    (problem,) = validate_file(tmp_path / "gap.yaml")
    assert problem.rule == "event-ids"
    assert "(sequence_number 8) follows sequence_number 6: 7 never came" in problem.message


def test_a_stream_at_another_apis_path_is_named_not_judged(recorded: Path, tmp_path: Path) -> None:
    cassette = load_cassette(recorded)
    resumed = cassette.exchanges[1].request
    resumed.url = resumed.url.replace("/v1/responses/", "/v1beta/interactions/")
    save_cassette(tmp_path / "elsewhere.yaml", cassette)
    (problem,) = validate_file(tmp_path / "elsewhere.yaml")
    assert (problem.rule, problem.api) == ("api", "gemini")
    assert problem.message.endswith("reads as openai's, not gemini's; not judged")
    assert problem.line == _line_of_event(tmp_path.joinpath("elsewhere.yaml").read_text(), cassette, 1, 0)


def test_a_stream_without_sequence_numbers_is_judged_as_openai(recorded: Path, tmp_path: Path) -> None:
    cassette = load_cassette(recorded)
    for item in events(cassette, 1):
        rewrite(item, lambda p: p.pop("sequence_number"))
    save_cassette(tmp_path / "unnumbered.yaml", cassette)
    problems = validate_file(tmp_path / "unnumbered.yaml")
    # One finding for the stream, naming the likely cause, rather than one per event.
    assert [(p.rule, p.api) for p in problems] == [("required-fields", "openai")]
    assert "recorded before the API sent sequence_number" in problems[0].message
