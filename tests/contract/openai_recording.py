"""Recording an OpenAI Responses background session against the emulator, with the official SDK."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path

import openai

from pytest_interactions.emulator import Emulator
from pytest_interactions.session import use_cassette

MODEL = "gpt-4o"


@contextlib.contextmanager
def running(api: Emulator) -> Iterator[None]:
    """Move a manual emulator's clock while the block runs, so that its streams flow."""
    done = threading.Event()

    def tick() -> None:
        while not done.wait(0.002):
            api.advance(0.05)

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        yield
    finally:
        done.set()
        ticker.join()


def record_responses(path: Path, *, seed: int = 0, hang_up_after: int = 3) -> Path:
    """Stream a background response, hang up after ``hang_up_after`` events and resume with
    ``starting_after``; poll it; create another and cancel it at once (while queued); ask for one
    that does not exist. Recorded on the emulator's clock, so that the recording's times are
    scenario times and the emulator can be replayed on them (``conform``)."""
    with Emulator(manual=True, seed=seed) as api, use_cassette(path, "all", recording_clock=api.clock.now):
        sdk = openai.OpenAI(base_url=api.base_url + "/v1", api_key="k", max_retries=0)
        with running(api):
            stream = sdk.responses.create(model=MODEL, input="Tides?", background=True, stream=True)
            response_id, last = "", -1
            for event in stream:
                if event.type == "response.created":
                    response_id = event.response.id
                last = event.sequence_number
                if last + 1 == hang_up_after:
                    break
            stream.close()
            for event in sdk.responses.retrieve(response_id, stream=True, starting_after=last):
                last = event.sequence_number
        assert sdk.responses.retrieve(response_id).status == "completed"
        queued = sdk.responses.create(model=MODEL, input="Cancel me", background=True)
        assert sdk.responses.cancel(queued.id).status == "cancelled"
        with contextlib.suppress(openai.NotFoundError):
            sdk.responses.retrieve("resp_doesnotexist")
    return path
