"""Cassette diffs stay small: long text is never re-wrapped, so one changed word is one changed line."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest

from pytest_interactions.cassette import (
    Body,
    Cassette,
    Exchange,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
    load_cassette,
    save_cassette,
)

WORDS = " ".join(f"word{i}" for i in range(400))  # some 3,600 characters on one line


def _cassette(prompt: str, delta: str) -> Cassette:
    request = RecordedRequest(
        "POST",
        "http://emulator.invalid/v1beta/interactions",
        [("content-type", "application/json")],
        Body("json", {"model": "gemini-3.5-flash", "input": prompt, "stream": True}),
    )
    event = {"event_type": "step.delta", "index": 0, "delta": {"type": "text", "text": delta}}
    response = RecordedResponse(
        200,
        [("content-type", "text/event-stream")],
        events=[StreamEvent(at=1.5, event="step.delta", data=_compact(event), id="evt_000001")],
    )
    return Cassette([Exchange(0.0, request, response)], {"started_at": "2026-05-20T12:00:00+00:00"})


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def _changed_lines(tmp_path: Path, before: Cassette, after: Cassette) -> list[str]:
    first, second = tmp_path / "before.yaml", tmp_path / "after.yaml"
    save_cassette(first, before)
    save_cassette(second, after)
    diff = difflib.unified_diff(
        first.read_text().splitlines(), second.read_text().splitlines(), lineterm="", n=0
    )
    return [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]


@pytest.mark.parametrize(
    "prompt",
    [
        WORDS,
        WORDS + ": with a colon, so that it is quoted",
        "\n".join(WORDS[i : i + 900] for i in (0, 900, 1800)),
    ],
    ids=["plain", "quoted", "multi-line"],
)
def test_a_long_prompt_changed_by_one_word_is_a_one_line_diff(tmp_path: Path, prompt: str) -> None:
    changed = prompt.replace("word123 ", "extraordinarily-lengthier123 ", 1)  # moves every later fold
    assert changed != prompt
    lines = _changed_lines(tmp_path, _cassette(prompt, "short"), _cassette(changed, "short"))
    assert len(lines) == 2, "\n".join(lines)
    assert lines[0].startswith("-")
    assert "word123 " in lines[0]
    assert lines[1].startswith("+")
    assert "extraordinarily-lengthier123 " in lines[1]


def test_a_long_delta_changed_by_one_word_is_a_one_line_diff(tmp_path: Path) -> None:
    changed = WORDS.replace("word300", "extraordinarily-lengthier300", 1)
    lines = _changed_lines(tmp_path, _cassette("q", WORDS), _cassette("q", changed))
    assert len(lines) == 2, "\n".join(lines)
    assert "extraordinarily-lengthier300" in lines[1]


def test_long_text_reads_back_unchanged(tmp_path: Path) -> None:
    cassette = _cassette(WORDS + "\nand  a second line  ", WORDS)
    path = tmp_path / "long.yaml"
    save_cassette(path, cassette)
    assert max(len(line) for line in path.read_text().splitlines()) > 3000  # one line, not folded
    loaded = load_cassette(path)
    body = loaded.exchanges[0].request.body
    assert body is not None
    assert body.value["input"] == WORDS + "\nand  a second line  "
    response = loaded.exchanges[0].response
    assert response is not None
    assert response.events is not None
    event = response.events[0]
    assert isinstance(event, StreamEvent)
    assert event.data == _compact(
        {"event_type": "step.delta", "index": 0, "delta": {"type": "text", "text": WORDS}}
    )
