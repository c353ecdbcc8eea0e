"""The sessions behind ``cassettes/reference/``: PROTOCOL.md's documented event sequences, recorded
from the emulator at real speed (so recorded time is scenario time).

Regenerate with ``python -m tests.contract.reference_sessions cassettes/reference``; the test suite
checks the committed files against the protocol and runs emulator conformance on them.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from httpx_sse import connect_sse

from pytest_interactions.emulator import Emulator
from pytest_interactions.session import use_cassette

KEY = {"x-goog-api-key": "reference-key"}
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}


def stream(http: httpx.Client, interaction_id: str) -> list[dict[str, Any]]:
    """Read an interaction's stream to its end, resuming with last_event_id after a drop."""
    events: list[dict[str, Any]] = []
    for _ in range(5):
        params = {"stream": "true"}
        if events:
            params["last_event_id"] = events[-1]["event_id"]
        try:
            with connect_sse(http, "GET", f"/interactions/{interaction_id}", params=params) as source:
                for event in source.iter_sse():
                    if event.data == "[DONE]":
                        return events
                    events.append(json.loads(event.data))
            return events
        except httpx.RemoteProtocolError:
            continue
    raise AssertionError("the stream kept dropping")


def create(http: httpx.Client, **body: Any) -> dict[str, Any]:
    answer = http.post("/interactions", json={"background": True, **body})
    answer.raise_for_status()
    result: dict[str, Any] = answer.json()
    return result


def poll(http: httpx.Client, interaction_id: str) -> httpx.Response:
    return http.get(f"/interactions/{interaction_id}", params={"stream": "false"})


def text(http: httpx.Client, api: Emulator) -> None:
    """Background create, a poll while in_progress, the stream to [DONE], a poll once completed."""
    created = create(http, model="gemini-3.5-flash", input="Tell me about tides")
    poll(http, created["id"])
    stream(http, created["id"])
    poll(http, created["id"])


def thought(http: httpx.Client, api: Emulator) -> None:
    """A thought step (thought_summary, then thought_signature), then the answer."""
    created = create(http, model="gemini-3.5-pro", input="Think about tides")
    stream(http, created["id"])
    poll(http, created["id"])


def function_call(http: httpx.Client, api: Emulator) -> None:
    """A function_call step streamed as arguments_delta, requires_action, then the function's
    result sent back in a new interaction chained with previous_interaction_id."""
    created = create(http, model="gemini-3.5-flash", input="Weather in Paris?", tools=[WEATHER])
    events = stream(http, created["id"])
    call = next(e["step"] for e in events if e["event_type"] == "step.start")
    poll(http, created["id"])
    answer = create(
        http,
        model="gemini-3.5-flash",
        previous_interaction_id=created["id"],
        input=[{"type": "function_result", "call_id": call["id"], "name": call["name"], "result": {"c": 21}}],
    )
    stream(http, answer["id"])
    poll(http, answer["id"])


def error(http: httpx.Client, api: Emulator) -> None:
    """Some output, an error event (gateway_timeout), then failed."""
    created = create(http, model="gemini-3.5-flash-fail", input="Tell me about tides")
    stream(http, created["id"])
    poll(http, created["id"])


def resume(http: httpx.Client, api: Emulator) -> None:
    """The server drops the stream after four events; the client resumes with last_event_id."""
    created = create(http, model="gemini-3.5-flash", input="Stream me a story about tides")
    api.faults.drop_stream(4, interaction_id=created["id"])
    stream(http, created["id"])
    poll(http, created["id"])


def cancel_delete(http: httpx.Client, api: Emulator) -> None:
    """Cancel a running interaction, poll until cancelled, delete it, and see 404 afterwards;
    chaining onto a running interaction answers 400."""
    first = create(http, model="gemini-3.5-flash", input="A long answer about tides")
    refused = http.post(
        "/interactions",
        json={"model": "gemini-3.5-flash", "input": "More", "previous_interaction_id": first["id"]},
    )
    assert refused.status_code == 400, refused.text
    http.post(f"/interactions/{first['id']}/cancel")
    time.sleep(1.5)
    poll(http, first["id"])
    http.delete(f"/interactions/{first['id']}")
    assert poll(http, first["id"]).status_code == 404


SESSIONS: dict[str, Callable[[httpx.Client, Emulator], None]] = {
    "text": text,
    "thought": thought,
    "function_call": function_call,
    "error": error,
    "resume": resume,
    "cancel_delete": cancel_delete,
}


def record(name: str, path: Path) -> Path:
    """Record one reference session into ``path``."""
    with (
        Emulator(speed=1.0) as api,
        use_cassette(path, "all", recording_clock=api.clock.now),
        httpx.Client(base_url=api.base_url + "/v1beta", headers=KEY, timeout=30) as http,
    ):
        SESSIONS[name](http, api)
    return path


if __name__ == "__main__":  # pragma: no cover
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "cassettes/reference")
    for session_name in SESSIONS:
        print(record(session_name, folder / f"{session_name}.yaml"))
