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
from tests.contract.sample import GOOD, body_line, event_line, line_of, write

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


IN_PROGRESS = '{"id":"v1_a","status":"in_progress"}'
COMPLETED = '{"id":"v1_a","status":"completed"}'


def _data(event_type: str, rest: str) -> str:
    """An event's ``data:`` value as the sample writes it: JSON on one line, in single quotes."""
    return f'\'{{"event_type":"{event_type}",{rest}}}\''


BROKEN = [
    # (rule, text replaced, replacement, where the finding must be: the line where the stream
    # item or JSON body holding the marker starts, or the marker's own line)
    (
        "created-first",
        "    - at: 0.01\n      event: interaction.created\n      data: "
        + _data("interaction.created", f'"interaction":{IN_PROGRESS},"event_id":"evt_1"')
        + "\n",
        "",
        ("event", '"evt_2"'),
    ),
    (
        "step-nesting",
        '"index":0,"delta":{"type":"thought_summary"',
        '"index":5,"delta":{"type":"thought_summary"',
        ("event", '"evt_3"'),
    ),
    (
        "delta-type",
        '"delta":{"type":"thought_summary","content":{"type":"text","text":"Hm"}}',
        '"delta":{"type":"text","text":"Hm"}',
        ("event", '"evt_3"'),
    ),
    (
        "terminal",
        "    - at: 0.04\n      event: done\n",
        "    - at: 0.035\n      event: interaction.completed\n      data: "
        + _data("interaction.completed", f'"interaction":{COMPLETED},"event_id":"evt_10"')
        + "\n    - at: 0.04\n      event: done\n",
        ("event", '"evt_10"'),
    ),
    (
        "done-last",
        "      event: done\n      data: '[DONE]'\n",
        "      event: done\n      data: '[DONE]'\n    - at: 0.05\n      comments:\n      - late\n",
        ("event", "- late"),
    ),
    (
        "event-ids",
        '"index":1,"step":{"type":"model_output"},"event_id":"evt_5"',
        '"index":1,"step":{"type":"model_output"},"event_id":"evt_3"',
        ("event", '"type":"model_output"'),
    ),
    ("resume", "stream=true&last_event_id=evt_6", "stream=true&last_event_id=evt_5", ("event", '"evt_7"')),
    (
        "status-path",
        '        "status": "completed",\n        "object": "interaction"\n',
        '        "status": "queued",\n        "object": "interaction"\n',
        ("body", '"queued"'),
    ),
    (
        "required-fields",
        _data("step.stop", '"index":0,"event_id":"evt_4"'),
        _data("step.stop", '"event_id":"evt_4"'),
        ("event", '"evt_4"'),
    ),
    (
        "required-fields",
        '          "message": "not found",\n          "status": "NOT_FOUND"\n',
        '          "message": "not found"\n',
        ("body", '"not found"'),
    ),
    (
        "event-name",
        '      event: step.start\n      data: \'{"event_type":"step.start","index":0,',
        '      event: step.begin\n      data: \'{"event_type":"step.start","index":0,',
        ("event", "step.begin"),
    ),
    (
        "secrets",
        "    url: http://127.0.0.1:1/v1beta/interactions/v1_a?stream=false\n",
        "    url: http://127.0.0.1:1/v1beta/interactions/v1_a?stream=false\n"
        "    headers:\n      x-goog-api-key: AIzaNotScrubbed\n",
        ("line", "AIzaNotScrubbed"),
    ),
    ("cassette", "    status: 404\n", "    state: 404\n", ("line", "state: 404")),
]

_WHERE = {"event": event_line, "body": body_line, "line": line_of}


@pytest.mark.parametrize(
    ("rule", "old", "new", "marker"), BROKEN, ids=[f"{b[0]}-{i}" for i, b in enumerate(BROKEN)]
)
def test_each_broken_rule_is_named_with_its_line(
    tmp_path: Path,
    rule: str,
    old: str,
    new: str,
    marker: tuple[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert GOOD.count(old) == 1
    text = GOOD.replace(old, new, 1)
    path = write(tmp_path, text)
    kind, found = marker
    expected_line = _WHERE[kind](text, found)
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:{expected_line}: [{rule}] " in out, out
    others = {p.rule for p in validate_file(path)} - {rule}
    assert others <= {"terminal", "step-nesting", "event-ids", "created-first"}, out


def test_unknown_event_and_delta_types_are_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = "    - at: 0.05\n      event: step.start\n"
    delta = '"delta":{"type":"text","text":"Hello"}'
    assert GOOD.count(before) == 1
    assert GOOD.count(delta) == 1
    text = GOOD.replace(
        before,
        "    - at: 0.045\n      event: interaction.heartbeat\n"
        '      data: \'{"event_type":"interaction.heartbeat"}\'\n' + before,
    ).replace(delta, '"delta":{"type":"audio","data":"AAAA"}')
    path = write(tmp_path, text)
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    heartbeat = event_line(text, "event: interaction.heartbeat")
    audio = event_line(text, '"type":"audio"')
    assert f"{path}:{heartbeat}: [unknown-type] warning: undocumented event type" in out, out
    assert f"{path}:{audio}: [unknown-type] warning: undocumented delta type 'audio'" in out, out
    assert main(["validate", "--strict", str(path)]) == 1


def test_a_secret_value_from_the_environment_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "sk-live-1234567890")
    assert GOOD.count('"input": "hi"') == 1
    text = GOOD.replace('"input": "hi"', '"input": "my key is sk-live-1234567890"')
    problems = validate_file(write(tmp_path, text))
    assert [(p.rule, p.line) for p in problems] == [("secrets", line_of(text, "sk-live"))]
    assert "$GEMINI_API_KEY" in problems[0].message


def test_json_output_and_directories(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, GOOD, "good.yaml")
    assert GOOD.count('"event_id":"evt_3"}') == 1
    write(tmp_path, GOOD.replace('"event_id":"evt_3"}', '"event_id":"evt_2"}'), "bad.yaml")
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
    step_stop = (
        "    - at: 0.02\n      event: step.stop\n      data: "
        + _data("step.stop", '"index":1,"event_id":"evt_8"')
        + "\n"
    )
    completed = (
        "    - at: 0.03\n      event: interaction.completed\n      data: "
        + _data("interaction.completed", f'"interaction":{COMPLETED},"event_id":"evt_9"')
        + "\n"
    )
    answer = '        "status": "completed",\n        "object": "interaction"\n'
    assert GOOD.count(step_stop + completed) == 1
    assert GOOD.count(answer) == 1
    cancelled = GOOD.replace(
        step_stop + completed,
        "    - at: 0.03\n      event: interaction.status_update\n      data: "
        + _data(
            "interaction.status_update", '"interaction_id":"v1_a","status":"cancelled","event_id":"evt_9"'
        )
        + "\n",
    ).replace(answer, '        "status": "cancelled"\n')
    assert validate_file(write(tmp_path, cancelled)) == []
    completed_open = GOOD.replace(step_stop, "")
    assert [(p.rule, p.line) for p in validate_file(write(tmp_path, completed_open))] == [
        ("step-nesting", event_line(completed_open, "event: interaction.completed"))
    ]
