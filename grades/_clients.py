"""The Python clients the grade runs, each written the way its SDK's documentation or guide teaches it.

Each path takes the server's base URL and returns the text it read. Every client is made afresh
per run, as an application makes one per job.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import Any

import httpx2
import openai
from google import genai
from google.genai import _interactions

GEMINI_MODEL = "gemini-3.5-flash"
CONTINUATION_MODEL = "gemini-continuation-preview"
OPENAI_MODEL = "gpt-4o"
PROMPT = "Explain how a background run survives a dropped stream."
KEY = "test-key"
POLL_SECONDS = 3.0
"""The polling loops' pause (virtual while recording on the emulator's clock and in replay)."""
MAX_RECONNECTS = 50
"""A bound on the OpenAI loops' reconnects, so that a path that never gets on cannot loop forever."""

#: What a dropped OpenAI stream raises: the SDK wraps a failed request, not a body cut mid-way.
DROPPED = (openai.APIConnectionError, httpx2.HTTPError)
#: The events that end an OpenAI response's stream.
ENDINGS = frozenset({"response.completed", "response.failed", "response.incomplete"})
NOTHING_TO_RESUME = "the stream ended before response.created: there is nothing to resume"


def gemini(base_url: str) -> Any:
    """A google-genai client of the server at ``base_url``. Typed ``Any``: the SDK's overloads
    return unions of answers and streams that only the call's arguments tell apart."""
    return genai.Client(api_key=KEY, http_options={"base_url": base_url, "api_version": "v1beta"})


def gemini_reconnect_loop(base_url: str) -> str:
    """The guide's loop: a background create, then its stream, resumed after the last event id."""
    client = gemini(base_url)
    interaction_id = client.interactions.create(model=GEMINI_MODEL, input=PROMPT, background=True).id
    text, last_event_id = [], None
    while True:
        try:
            for event in client.interactions.get(interaction_id, stream=True, last_event_id=last_event_id):
                last_event_id = event.event_id or last_event_id
                if event.event_type == "step.delta" and event.delta.type == "text":
                    text.append(event.delta.text)
                elif event.event_type == "interaction.completed":
                    return "".join(text)
        except _interactions.APIConnectionError:
            continue


def gemini_reconnect_loop_async(base_url: str) -> str:
    """The guide's loop on the async client."""

    async def read() -> str:
        client = gemini(base_url)
        created = await client.aio.interactions.create(model=GEMINI_MODEL, input=PROMPT, background=True)
        text, last_event_id = [], None
        while True:
            try:
                stream = await client.aio.interactions.get(
                    created.id, stream=True, last_event_id=last_event_id
                )
                async for event in stream:
                    last_event_id = event.event_id or last_event_id
                    if event.event_type == "step.delta" and event.delta.type == "text":
                        text.append(event.delta.text)
                    elif event.event_type == "interaction.completed":
                        return "".join(text)
            except _interactions.APIConnectionError:
                continue

    return asyncio.run(read())


def gemini_continuation(base_url: str) -> str:
    """A streamed create read to its end: the SDK continues the answer hop by hop by itself."""
    text, client = [], gemini(base_url)  # the client is kept: one collected closes its connections
    for event in client.interactions.create(model=CONTINUATION_MODEL, input=PROMPT, stream=True):
        if event.event_type == "step.delta" and event.delta.type == "text":
            text.append(event.delta.text)
    return "".join(text)


def gemini_continuation_async(base_url: str) -> str:
    """The same on the async client."""

    async def read() -> str:
        text, client = [], gemini(base_url)
        async for event in await client.aio.interactions.create(
            model=CONTINUATION_MODEL, input=PROMPT, stream=True
        ):
            if event.event_type == "step.delta" and event.delta.type == "text":
                text.append(event.delta.text)
        return "".join(text)

    return asyncio.run(read())


def gemini_polling(base_url: str) -> str:
    """A background create, then a GET every few seconds until the run is no longer in progress."""
    client = gemini(base_url)
    interaction = client.interactions.create(model=GEMINI_MODEL, input=PROMPT, background=True)
    while interaction.status == "in_progress":
        time.sleep(POLL_SECONDS)
        interaction = client.interactions.get(interaction.id)
    return str(interaction.output_text or "")


def _openai(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url + "/v1", api_key=KEY)


def _aopenai(base_url: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=base_url + "/v1", api_key=KEY)


class _Reader:
    """What an OpenAI background stream told so far: the response id, the last sequence number
    received and the text."""

    def __init__(self) -> None:
        self.response_id: str | None = None
        self.last = -1
        self.text: list[str] = []

    def take(self, event: Any) -> bool:
        """Read one event; True when it ends the response's stream."""
        if event.type == "response.created":
            self.response_id = event.response.id
        elif event.type == "response.output_text.delta":
            self.text.append(event.delta)
        self.last = event.sequence_number
        return event.type in ENDINGS


def _resume_loop(
    first: Callable[[], AbstractContextManager[Iterable[Any]]],
    again: Callable[[str, int], AbstractContextManager[Iterable[Any]]],
) -> str:
    """Read a background stream to its end; after each drop open it ``again`` after the last event."""
    reader = _Reader()
    opening = first
    for _ in range(MAX_RECONNECTS):
        dropped: Exception | None = None
        try:
            with opening() as events:
                for event in events:
                    if reader.take(event):
                        return "".join(reader.text)
        except DROPPED as error:
            dropped = error
        if reader.response_id is None:
            raise dropped or RuntimeError(NOTHING_TO_RESUME)
        opening = functools.partial(again, reader.response_id, reader.last)
    raise RuntimeError(f"gave up after {MAX_RECONNECTS} reconnects")


async def _aresume_loop(
    first: Callable[[], Awaitable[AbstractAsyncContextManager[AsyncIterable[Any]]]],
    again: Callable[[str, int], Awaitable[AbstractAsyncContextManager[AsyncIterable[Any]]]],
) -> str:
    """:func:`_resume_loop` on the async client."""
    reader = _Reader()
    opening = first
    for _ in range(MAX_RECONNECTS):
        dropped: Exception | None = None
        try:
            async with await opening() as events:
                async for event in events:
                    if reader.take(event):
                        return "".join(reader.text)
        except DROPPED as error:
            dropped = error
        if reader.response_id is None:
            raise dropped or RuntimeError(NOTHING_TO_RESUME)
        opening = functools.partial(again, reader.response_id, reader.last)
    raise RuntimeError(f"gave up after {MAX_RECONNECTS} reconnects")


def openai_stream_helper(base_url: str) -> str:
    """A background stream, resumed with the SDK's stream helper ``responses.stream(response_id=...,
    starting_after=N)``."""
    client = _openai(base_url)
    return _resume_loop(
        lambda: client.responses.create(model=OPENAI_MODEL, input=PROMPT, background=True, stream=True),
        lambda response_id, last: client.responses.stream(response_id=response_id, starting_after=last),
    )


def openai_retrieve(base_url: str) -> str:
    """A background stream, resumed with ``responses.retrieve(id, stream=True, starting_after=N)``."""
    client = _openai(base_url)
    return _resume_loop(
        lambda: client.responses.create(model=OPENAI_MODEL, input=PROMPT, background=True, stream=True),
        lambda response_id, last: client.responses.retrieve(response_id, stream=True, starting_after=last),
    )


def openai_stream_helper_async(base_url: str) -> str:
    """:func:`openai_stream_helper` on the async client."""

    async def read() -> str:
        client = _aopenai(base_url)

        async def first() -> AbstractAsyncContextManager[AsyncIterable[Any]]:
            return await client.responses.create(
                model=OPENAI_MODEL, input=PROMPT, background=True, stream=True
            )

        async def again(response_id: str, last: int) -> AbstractAsyncContextManager[AsyncIterable[Any]]:
            return client.responses.stream(response_id=response_id, starting_after=last)

        return await _aresume_loop(first, again)

    return asyncio.run(read())


def openai_retrieve_async(base_url: str) -> str:
    """:func:`openai_retrieve` on the async client."""

    async def read() -> str:
        client = _aopenai(base_url)

        async def first() -> AbstractAsyncContextManager[AsyncIterable[Any]]:
            return await client.responses.create(
                model=OPENAI_MODEL, input=PROMPT, background=True, stream=True
            )

        async def again(response_id: str, last: int) -> AbstractAsyncContextManager[AsyncIterable[Any]]:
            return await client.responses.retrieve(response_id, stream=True, starting_after=last)

        return await _aresume_loop(first, again)

    return asyncio.run(read())


def openai_polling(base_url: str) -> str:
    """A background create, then ``responses.retrieve(id)`` every few seconds until it is done."""
    client = _openai(base_url)
    response = client.responses.create(model=OPENAI_MODEL, input=PROMPT, background=True)
    while response.status in ("queued", "in_progress"):
        time.sleep(POLL_SECONDS)
        response = client.responses.retrieve(response.id)
    return response.output_text
