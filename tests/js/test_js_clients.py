"""The JavaScript client programs of tests/js, run with node against the emulator on real sockets.

The correct programs (stream_resume, function_call, background_poll) must end 0 with the expected
text, stream_resume also across dropped connections. The three with a planted bug must still show
it: a later command relies on them misbehaving the way their comments say.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from node import ensure_node_modules, missing_tools, run_js

from pytest_interactions.emulator import Emulator, answer_for

pytestmark = pytest.mark.skipif(
    bool(missing_tools()),
    reason=f"the JavaScript client tests need node and npm on PATH (missing: {', '.join(missing_tools())})",
)

TEXT_PROMPT = "Explain how a background interaction survives a dropped stream."
WEATHER_PROMPT = "What is the weather in Paris right now?"
WEATHER_ANSWER = 'Based on the results: get_weather returned "The weather in Paris is sunny, 21 C.".'


@pytest.fixture(scope="module", autouse=True)
def _node_modules() -> None:
    ensure_node_modules()


@pytest.fixture
def api() -> Iterator[Emulator]:
    with Emulator(speed=100) as emulator:
        yield emulator


def run(
    script: str, api: Emulator, prompt: str, model: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {"INTERACTIONS_PROMPT": prompt}
    if model is not None:
        env["INTERACTIONS_MODEL"] = model  # the emulator picks its scenario from the name
    return run_js(script, api.base_url, env=env)


def last_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = done.stdout.splitlines()
    return lines[-1] if lines else ""


def ok(done: subprocess.CompletedProcess[str]) -> str:
    """The printed text of a program that must have ended 0."""
    assert done.returncode == 0, (
        f"exit status {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    )
    return last_line(done)


def streams(api: Emulator) -> list[dict[str, list[str]]]:
    """The query of each stream request (GET ...?stream=true), in order."""
    queries = [parse_qs(r.query) for r in api.requests if r.method == "GET"]
    return [q for q in queries if q.get("stream") == ["true"]]


def creates(api: Emulator) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in api.requests if r.method == "POST"]


def test_stream_resume_reads_a_whole_stream(api: Emulator) -> None:
    assert ok(run("stream_resume.mjs", api, TEXT_PROMPT)) == answer_for(TEXT_PROMPT)
    [create] = creates(api)
    assert create["background"] is True
    assert create["stream"] is True
    assert streams(api) == []


@pytest.mark.parametrize("mid_event", [False, True], ids=["between-events", "mid-event"])
@pytest.mark.parametrize("after_events", [1, 4])
def test_stream_resume_continues_after_a_drop(api: Emulator, after_events: int, mid_event: bool) -> None:
    api.faults.drop_stream(after_events, mid_event=mid_event)
    done = run("stream_resume.mjs", api, TEXT_PROMPT)
    assert ok(done) == answer_for(TEXT_PROMPT)
    assert [q["last_event_id"] for q in streams(api)] == [[f"evt_{after_events:06d}"]]


def test_stream_resume_continues_after_repeated_drops(api: Emulator) -> None:
    for _ in range(3):
        api.faults.drop_stream(2)
    assert ok(run("stream_resume.mjs", api, TEXT_PROMPT)) == answer_for(TEXT_PROMPT)
    assert [q["last_event_id"] for q in streams(api)] == [["evt_000002"], ["evt_000004"], ["evt_000006"]]


def test_stream_resume_gives_up_on_an_error_answer(api: Emulator) -> None:
    api.faults.drop_stream(3)
    api.faults.reject(404, operation="get")
    done = run("stream_resume.mjs", api, TEXT_PROMPT)
    assert done.returncode == 1, done.stderr
    assert "HTTP 404" in done.stderr
    assert len(streams(api)) == 1  # a 404 is not asked again


@pytest.mark.parametrize("script", ["stream_resume.mjs", "background_poll.mjs"])
def test_a_failed_interaction_ends_the_program_with_an_error(api: Emulator, script: str) -> None:
    done = run(script, api, TEXT_PROMPT, model="gemini-fail-model")
    assert done.returncode == 1, done.stderr
    assert "ended failed" in done.stderr


def test_background_poll_polls_to_completion(api: Emulator) -> None:
    assert ok(run("background_poll.mjs", api, TEXT_PROMPT)) == answer_for(TEXT_PROMPT)
    [create] = creates(api)
    assert create["background"] is True
    assert "stream" not in create
    polls = [parse_qs(r.query) for r in api.requests if r.method == "GET"]
    assert polls
    assert all(q.get("stream") != ["true"] for q in polls)


@pytest.mark.parametrize("drop_after", [None, 3], ids=["no-drop", "drop"])
def test_function_call_sends_the_result_and_reads_the_answer(api: Emulator, drop_after: int | None) -> None:
    if drop_after is not None:
        api.faults.drop_stream(drop_after)
    assert ok(run("function_call.mjs", api, WEATHER_PROMPT)) == WEATHER_ANSWER
    first, second = creates(api)
    call_id = api.interaction(second["previous_interaction_id"])["steps"][0]["id"]
    assert second["input"] == [
        {
            "type": "function_result",
            "call_id": call_id,
            "name": "get_weather",
            "result": "The weather in Paris is sunny, 21 C.",
        }
    ]
    assert first["tools"] == second["tools"]


# -- the planted bugs are still there -------------------------------------------------------------


def test_resume_previous_id_reads_an_event_twice(api: Emulator) -> None:
    api.faults.drop_stream(4)
    text = ok(run("resume_previous_id.mjs", api, TEXT_PROMPT))
    assert [q["last_event_id"] for q in streams(api)] == [["evt_000003"]]
    assert text != answer_for(TEXT_PROMPT)
    assert len(text) > len(answer_for(TEXT_PROMPT))


def test_restart_from_start_reads_the_stream_again(api: Emulator) -> None:
    api.faults.drop_stream(4)
    text = ok(run("restart_from_start.mjs", api, TEXT_PROMPT))
    [resume] = streams(api)
    assert "last_event_id" not in resume
    assert text.endswith(answer_for(TEXT_PROMPT))
    assert text != answer_for(TEXT_PROMPT)


def test_stops_at_requires_action_never_sends_the_result(api: Emulator) -> None:
    assert ok(run("stops_at_requires_action.mjs", api, WEATHER_PROMPT)) == ""
    assert len(creates(api)) == 1
    [left] = api.store.runs()
    assert api.interaction(left.id)["status"] == "requires_action"
