"""Recording one small session against the emulator, with the scenario a test chooses."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
from httpx_sse import connect_sse

from pytest_interactions.emulator import Emulator, ScenarioRequest, Script
from pytest_interactions.session import use_cassette

Build = Callable[[ScenarioRequest], Script]


USAGE = {"total_tokens": 12, "total_input_tokens": 4, "total_output_tokens": 8}


def story(
    request: ScenarioRequest, *, status: str = "completed", usage: dict[str, int] = USAGE, extra: bool = False
) -> Script:
    """The reference behaviour: a thought, an answer, completed with usage. The keywords change
    it: another final ``status``, another ``usage`` object, an ``extra`` status update."""
    script = Script().step(
        {"type": "thought"}, [{"type": "thought_summary", "content": {"type": "text", "text": "Hm."}}]
    )
    if extra:
        script.status("in_progress")
    return script.text(f"About {request.input_text}: a short answer in a few words.").finish(
        status, usage=usage
    )


def record_session(path: Path, build: Build = story, *, seed: int = 0, drop: int | None = None) -> Path:
    """Create in the background, stream to the end (resuming after any drop), poll, and
    ask for an interaction that does not exist; all recorded into ``path``."""
    with Emulator(speed=200, seed=seed) as api:
        api.scenarios.register("story", build, when=lambda request: True)
        with (
            use_cassette(path, "all"),
            httpx.Client(
                base_url=api.base_url + "/v1beta", headers={"x-goog-api-key": "k"}, timeout=10
            ) as http,
        ):
            created = http.post("/interactions", json={"model": "m", "input": "tides", "background": True})
            interaction_id = created.json()["id"]
            if drop is not None:
                api.faults.drop_stream(drop, interaction_id=interaction_id)
            last: str | None = None
            for _ in range(5):
                params = {"stream": "true", **({"last_event_id": last} if last else {})}
                try:
                    with connect_sse(http, "GET", f"/interactions/{interaction_id}", params=params) as source:
                        for event in source.iter_sse():
                            if event.data == "[DONE]":
                                break
                            last = json.loads(event.data)["event_id"]
                    break
                except httpx.RemoteProtocolError:
                    continue
            http.get(f"/interactions/{interaction_id}", params={"stream": "false"})
            http.get("/interactions/v1_doesnotexist", params={"stream": "false"})
    return path
