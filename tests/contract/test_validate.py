"""Validating cassettes: committed and freshly recorded ones are clean; each broken rule is named
with its line."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from httpx_sse import connect_sse

from pytest_interactions.cli import main
from pytest_interactions.contract import validate_file
from pytest_interactions.emulator import Emulator
from pytest_interactions.session import use_cassette
from tests.contract.sample import GOOD, line_of, write

ROOT = Path(__file__).resolve().parents[2]


def test_the_sample_follows_the_protocol(tmp_path: Path) -> None:
    assert validate_file(write(tmp_path, GOOD)) == []


def test_committed_cassettes_validate_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(ROOT / "cassettes")]) == 0
    out = capsys.readouterr().out
    assert "0 error(s), 0 warning(s)" in out


def _record(
    path: Path,
    api: Emulator,
    *,
    model: str,
    text: str,
    drop: int | None = None,
    cancel: bool = False,
    tools: list[dict[str, object]] | None = None,
) -> None:
    with (
        use_cassette(path, "all"),
        httpx.Client(base_url=api.base_url + "/v1beta", headers={"x-goog-api-key": "k"}, timeout=10) as http,
    ):
        body: dict[str, object] = {"model": model, "input": text, "background": True}
        if tools:
            body["tools"] = tools
        created = http.post("/interactions", json=body).json()
        if drop is not None:
            api.faults.drop_stream(drop, interaction_id=created["id"])
        if cancel:
            http.post(f"/interactions/{created['id']}/cancel")
        last: str | None = None
        for _ in range(5):
            params = {"stream": "true", **({"last_event_id": last} if last else {})}
            try:
                with connect_sse(http, "GET", f"/interactions/{created['id']}", params=params) as source:
                    for event in source.iter_sse():
                        if event.data == "[DONE]":
                            break
                        last = json.loads(event.data)["event_id"]
                break
            except httpx.RemoteProtocolError:
                continue
        http.get(f"/interactions/{created['id']}", params={"stream": "false"})


@pytest.mark.parametrize(
    ("model", "text", "drop", "cancel", "tools"),
    [
        ("gemini-3.5-flash", "Hello there", None, False, None),
        ("gemini-3.5-pro", "Think about tides", 4, False, None),
        ("gemini-3.5-flash", "Please fail now", None, False, None),
        (
            "gemini-3.5-flash",
            "Weather in Paris",
            2,
            False,
            [
                {
                    "type": "function",
                    "name": "get_weather",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                }
            ],
        ),
        ("gemini-3.5-flash", "A long one", None, True, None),
        ("gemini-3.5-flash", "Search the news", None, False, [{"type": "google_search"}]),
    ],
    ids=["text", "thinking-dropped", "failure", "function-call-dropped", "cancelled", "search"],
)
def test_recordings_of_the_emulator_validate_clean(
    tmp_path: Path,
    model: str,
    text: str,
    drop: int | None,
    cancel: bool,
    tools: list[dict[str, object]] | None,
) -> None:
    path = tmp_path / "recorded.yaml"
    with Emulator(speed=200) as api:
        _record(path, api, model=model, text=text, drop=drop, cancel=cancel, tools=tools)
    assert [str(p) for p in validate_file(path)] == []


BROKEN = [
    # (rule, text replaced, replacement, marker of the line the finding must name)
    (
        "created-first",
        "    - {at: 0.01, event: interaction.created, data: {event_type: interaction.created, "
        "interaction: {id: v1_a, status: in_progress}, event_id: evt_1}}\n",
        "",
        "event_id: evt_2",
    ),
    (
        "step-nesting",
        "index: 0, delta: {type: thought_summary",
        "index: 5, delta: {type: thought_summary",
        "evt_3",
    ),
    (
        "delta-type",
        "delta: {type: thought_summary, content: {type: text, text: Hm}}",
        "delta: {type: text, text: Hm}",
        "evt_3",
    ),
    (
        "terminal",
        "    - {at: 0.04, event: done",
        "    - {at: 0.035, event: interaction.completed, data: {event_type: interaction.completed, "
        "interaction: {id: v1_a, status: completed}, event_id: evt_10}}\n    - {at: 0.04, event: done",
        "evt_10",
    ),
    (
        "done-last",
        "    - {at: 0.04, event: done, data: '[DONE]'}",
        "    - {at: 0.04, event: done, data: '[DONE]'}\n    - {at: 0.05, comments: [late]}",
        "late",
    ),
    (
        "event-ids",
        "index: 1, step: {type: model_output}, event_id: evt_5",
        "index: 1, step: {type: model_output}, event_id: evt_3",
        "type: model_output",
    ),
    ("resume", "stream=true&last_event_id=evt_6", "stream=true&last_event_id=evt_5", "evt_7"),
    (
        "status-path",
        "json: {id: v1_a, status: completed, object: interaction}",
        "json: {id: v1_a, status: queued, object: interaction}",
        "status: queued",
    ),
    (
        "required-fields",
        "data: {event_type: step.stop, index: 0, event_id: evt_4}",
        "data: {event_type: step.stop, event_id: evt_4}",
        "evt_4",
    ),
    ("required-fields", "message: not found, status: NOT_FOUND", "message: not found", "message: not found"),
    (
        "event-name",
        "event: step.start, data: {event_type: step.start, index: 0",
        "event: step.begin, data: {event_type: step.start, index: 0",
        "step.begin",
    ),
    (
        "secrets",
        "{method: GET, url: '" + "http://127.0.0.1:1/v1beta/interactions/v1_a?stream=false'}",
        "{method: GET, url: 'http://127.0.0.1:1/v1beta/interactions/v1_a?stream=false', "
        "headers: {x-goog-api-key: AIzaNotScrubbed}}",
        "AIzaNotScrubbed",
    ),
    ("cassette", "    status: 404\n", "    state: 404\n", "state: 404"),
]


@pytest.mark.parametrize(
    ("rule", "old", "new", "marker"), BROKEN, ids=[f"{b[0]}-{i}" for i, b in enumerate(BROKEN)]
)
def test_each_broken_rule_is_named_with_its_line(
    tmp_path: Path, rule: str, old: str, new: str, marker: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    path = write(tmp_path, text)
    expected_line = line_of(text, marker)
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:{expected_line}: [{rule}] " in out, out
    others = {p.rule for p in validate_file(path)} - {rule}
    assert others <= {"terminal", "step-nesting", "event-ids", "created-first"}, out


def test_unknown_event_and_delta_types_are_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = GOOD.replace(
        "    - {at: 0.05, event: step.start",
        "    - {at: 0.045, event: interaction.heartbeat, data: {event_type: interaction.heartbeat}}\n"
        "    - {at: 0.05, event: step.start",
    ).replace("delta: {type: text, text: Hello}", "delta: {type: audio, data: AAAA}")
    path = write(tmp_path, text)
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"{path}:{line_of(text, 'heartbeat')}: [unknown-type] warning: undocumented event type" in out
    assert (
        f"{path}:{line_of(text, 'type: audio')}: [unknown-type] warning: undocumented delta type 'audio'"
        in out
    )
    assert main(["validate", "--strict", str(path)]) == 1


def test_a_secret_value_from_the_environment_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "sk-live-1234567890")
    text = GOOD.replace("input: hi", "input: 'my key is sk-live-1234567890'")
    problems = validate_file(write(tmp_path, text))
    assert [(p.rule, p.line) for p in problems] == [("secrets", line_of(text, "sk-live"))]
    assert "$GEMINI_API_KEY" in problems[0].message


def test_json_output_and_directories(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, GOOD, "good.yaml")
    write(tmp_path, GOOD.replace("evt_3}", "evt_2}"), "bad.yaml")
    (tmp_path / "notes.txt").write_text("not a cassette")
    assert main(["validate", "--format", "json", str(tmp_path)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["files"] == 2
    assert report["errors"] >= 1
    assert {p["path"] for p in report["problems"]} == {str(tmp_path / "bad.yaml")}
    assert {p["rule"] for p in report["problems"]} == {"event-ids"}


def test_a_missing_path_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml: no such file or directory" in capsys.readouterr().err


def test_a_run_cut_short_may_leave_its_step_open(tmp_path: Path) -> None:
    cancelled = GOOD.replace(
        "    - {at: 0.02, event: step.stop, data: {event_type: step.stop, index: 1, event_id: evt_8}}\n"
        "    - {at: 0.03, event: interaction.completed, data: {event_type: interaction.completed, "
        "interaction: {id: v1_a, status: completed}, event_id: evt_9}}\n",
        "    - {at: 0.03, event: interaction.status_update, data: {event_type: interaction.status_update, "
        "interaction_id: v1_a, status: cancelled, event_id: evt_9}}\n",
    ).replace(
        "json: {id: v1_a, status: completed, object: interaction}", "json: {id: v1_a, status: cancelled}"
    )
    assert cancelled != GOOD
    assert validate_file(write(tmp_path, cancelled)) == []
    completed_open = GOOD.replace(
        "    - {at: 0.02, event: step.stop, data: {event_type: step.stop, index: 1, event_id: evt_8}}\n", ""
    )
    assert [(p.rule, p.line) for p in validate_file(write(tmp_path, completed_open))] == [
        ("step-nesting", line_of(completed_open, "interaction.completed, data"))
    ]
