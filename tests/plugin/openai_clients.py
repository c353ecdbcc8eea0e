"""Clients of OpenAI's Responses API in background mode, as an application would write them.

``tests/plugin/test_openai_background.py`` copies this file into each ``pytester`` directory as
``openai_clients.py``. Each reconnect loop resumes a dropped stream with
``responses.retrieve(id, stream=True, starting_after=N)``: the right one after the last event it
received, the wrong ones from event 0 or from one event too early. Events already seen are
skipped, so every loop ends with the right text and only the checks can tell them apart.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import httpx2
import openai

MODEL = "gpt-4o"
QUESTION = "Why do background responses stream their progress?"
ENDINGS = ("response.completed", "response.failed", "response.incomplete")

#: What a dropped stream raises through the SDK's transport.
DROPPED = (httpx2.HTTPError, httpx.HTTPError, openai.APIConnectionError)


def client(interactions: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=interactions.base_url + "/v1", api_key=interactions.api_key, max_retries=0)


def aclient(interactions: Any) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        base_url=interactions.base_url + "/v1", api_key=interactions.api_key, max_retries=0
    )


def _resume(received: list[int], resume: str) -> dict[str, int]:
    """``starting_after`` for a reconnect: after the last event (right), 0, or one event early."""
    if resume == "zero":
        return {"starting_after": 0}
    if resume == "previous":
        return {"starting_after": received[-2]} if len(received) >= 2 else {}
    return {"starting_after": received[-1]} if received else {}


class Reader:
    """The text so far, the sequence numbers received, the id and the final Response."""

    def __init__(self) -> None:
        self.response_id: str | None = None
        self.received: list[int] = []
        self.text = ""
        self.final: Any = None

    def take(self, event: Any) -> bool:
        """Read one event; True when it ends the response."""
        assert not type(event).__name__.startswith("BaseModel"), event
        if event.type == "response.created":
            self.response_id = event.response.id
        if event.sequence_number not in self.received:
            if event.type == "response.output_text.delta":
                self.text += event.delta
            self.received.append(event.sequence_number)
        if event.type in ENDINGS:
            self.final = event.response
            return True
        return False


def background_read(api: openai.OpenAI, resume: str = "last", attempts: int = 50) -> Reader:
    """Create a background stream and read it to its end, reconnecting after each drop."""
    reader = Reader()
    stream = api.responses.create(model=MODEL, input=QUESTION, background=True, stream=True)
    for _ in range(attempts):
        try:
            for event in stream:
                if reader.take(event):
                    return reader
            return reader
        except DROPPED:
            if reader.response_id is None:
                raise
        stream = api.responses.retrieve(reader.response_id, stream=True, **_resume(reader.received, resume))
    raise RuntimeError(f"gave up after {attempts} reconnects")


async def abackground_read(api: openai.AsyncOpenAI, attempts: int = 50) -> Reader:
    """The same loop with the async client."""
    reader = Reader()
    stream = await api.responses.create(model=MODEL, input=QUESTION, background=True, stream=True)
    for _ in range(attempts):
        try:
            async for event in stream:
                if reader.take(event):
                    return reader
            return reader
        except DROPPED:
            if reader.response_id is None:
                raise
        stream = await api.responses.retrieve(
            reader.response_id, stream=True, **_resume(reader.received, "last")
        )
    raise RuntimeError(f"gave up after {attempts} reconnects")


def poll_until_done(api: openai.OpenAI, every: float = 0.5) -> tuple[Any, list[str]]:
    """Create a background response and poll it until it reaches a terminal status."""
    response = api.responses.create(model=MODEL, input=QUESTION, background=True)
    statuses = [response.status]
    while response.status in ("queued", "in_progress"):
        time.sleep(every)
        response = api.responses.retrieve(response.id)
        statuses.append(response.status)
    return response, statuses


def read_outcome(api: openai.OpenAI) -> Any:
    """Read a background stream to its end; when it ends without an ending event (a cancelled
    response's stream just ends), ask the response how it ended."""
    stream = api.responses.create(model=MODEL, input=QUESTION, background=True, stream=True)
    reader = Reader()
    for event in stream:
        if reader.take(event):
            return reader.final
    return api.responses.retrieve(str(reader.response_id))


def read_text(api: openai.OpenAI) -> str:
    """A careless client: the text streamed until the stream ends, taken for the answer."""
    stream = api.responses.create(model=MODEL, input=QUESTION, background=True, stream=True)
    return "".join(e.delta for e in stream if e.type == "response.output_text.delta")


def poll_until_completed(api: openai.OpenAI, every: float = 0.5, polls: int = 10) -> Any:
    """A careless client: it waits for ``completed`` only, as if nothing else could end a response."""
    response = api.responses.create(model=MODEL, input=QUESTION, background=True)
    for _ in range(polls):
        if response.status == "completed":
            break
        time.sleep(every)
        response = api.responses.retrieve(response.id)
    return response
