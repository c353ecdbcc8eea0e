"""Clients of the Interactions API, correct and wrong, as an application would write them.

``tests/plugin/test_checks.py`` copies this file into each ``pytester`` directory as ``clients.py``;
the test modules it writes there import these functions and run them against the ``interactions``
fixture: recording against the embedded emulator, then replaying with faults.

Each wrong client makes one mistake a real reconnect or polling loop makes, and otherwise ends with
the right answer, so that only the toolkit's checks can tell it from a correct one.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

import httpx
from google import genai
from google.genai._interactions import APIConnectionError, BadRequestError
from httpx_sse import aconnect_sse, connect_sse

MODEL = "gemini-3.5-flash"
QUESTION = "Why do long-running interactions stream their progress?"
WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
RESUMES = ("last", "none", "previous")
"""How a reconnect loop resumes: from the last event received (right), from the start with no
``last_event_id`` (wrong), or from the event before the last one (wrong)."""

#: Seconds a client waits after a failed attempt before the next (virtual in replay): retrying a
#: refused connection at once is a storm the backoff check names.
PAUSE = 1.0

#: The exceptions a dropped or refused connection raises through httpx.
DROPPED = (httpx.RemoteProtocolError, httpx.ConnectError, httpx.ReadError)


class GaveUp(RuntimeError):
    """A reconnect loop ran out of attempts."""


def sdk(interactions: Any) -> genai.Client:
    """The google-genai client pointed where the fixture says (keep a reference: see SDK notes)."""
    return genai.Client(
        api_key=interactions.api_key,
        http_options={"base_url": interactions.base_url, "api_version": "v1beta"},
    )


def http(interactions: Any) -> httpx.Client:
    return httpx.Client(
        base_url=interactions.base_url + "/v1beta",
        headers={"x-goog-api-key": interactions.api_key},
        timeout=10,
    )


def ahttp(interactions: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=interactions.base_url + "/v1beta",
        headers={"x-goog-api-key": interactions.api_key},
        timeout=10,
    )


def _since(ids: list[str], resume: str) -> str | None:
    if resume == "none":
        return None
    if resume == "previous":
        return ids[-2] if len(ids) >= 2 else None
    return ids[-1] if ids else None


class Reader:
    """What a stream reader keeps: the text so far, the ids of events received, the end status.

    Events already seen are skipped, so that a client resuming too early still ends with the
    right text (only the checks see that the server sent them twice).
    """

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.ids: list[str] = []
        self.status: str | None = None
        self.calls: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def take(self, payload: dict[str, Any]) -> None:
        event_id = payload.get("event_id")
        if event_id is not None:
            if event_id in self.ids:
                return
            self.ids.append(event_id)
        kind = payload.get("event_type")
        if kind == "step.delta" and payload["delta"].get("type") == "text":
            self.parts.append(payload["delta"]["text"])
        elif kind == "step.start" and payload["step"].get("type") == "function_call":
            self.calls.append(payload["step"])
        elif kind in ("interaction.created", "interaction.completed"):
            self.status = payload["interaction"]["status"]
        elif kind == "interaction.status_update":
            self.status = payload["status"]
        elif kind == "error":
            self.errors.append(payload["error"])


# -- google-genai --------------------------------------------------------------------------------


def start(client: genai.Client, **body: Any) -> str:
    """Create a background interaction; its id."""
    body.setdefault("input", QUESTION)
    return client.interactions.create(model=MODEL, background=True, **body).id


def sdk_read(
    client: genai.Client, interaction_id: str, *, resume: str = "last", attempts: int = 20
) -> Reader:
    """Read an interaction's stream to its end, reconnecting after a drop or a refused connection."""
    reader = Reader()
    for _ in range(attempts):
        try:
            stream = client.interactions.get(
                interaction_id, stream=True, last_event_id=_since(reader.ids, resume)
            )
            with stream:
                for event in stream:
                    reader.take(event.to_dict())
            return reader
        except APIConnectionError:
            time.sleep(PAUSE)  # back off before trying again (virtual time in replay)
            continue
    raise GaveUp(f"{interaction_id}: no complete stream in {attempts} attempts")


async def asdk_read(
    client: genai.Client, interaction_id: str, *, resume: str = "last", attempts: int = 20
) -> Reader:
    reader = Reader()
    for _ in range(attempts):
        try:
            stream = await client.aio.interactions.get(
                interaction_id, stream=True, last_event_id=_since(reader.ids, resume)
            )
            async with stream:
                async for event in stream:
                    reader.take(event.to_dict())
            return reader
        except APIConnectionError:
            await asyncio.sleep(PAUSE)  # back off before trying again (virtual time in replay)
            continue
    raise GaveUp(f"{interaction_id}: no complete stream in {attempts} attempts")


def _results(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the application's function returns, as the input of the chained create."""
    return [
        {"type": "function_result", "call_id": call["id"], "name": call["name"], "result": "sunny, 21 C"}
        for call in calls
    ]


def sdk_ask_with_tool(client: genai.Client, *, answer_calls: bool = True) -> tuple[list[str], str]:
    """A function-calling session: the ids of the interactions it ran, and the final text.

    A correct client answers ``requires_action`` with a chained create carrying the function's
    result; the wrong one (``answer_calls=False``) takes the paused interaction as finished.
    """
    first = start(client, input="What is the weather in Paris?", tools=[WEATHER_TOOL])
    reader = sdk_read(client, first)
    if reader.status != "requires_action" or not answer_calls:
        return [first], reader.text
    second = start(client, input=_results(reader.calls), previous_interaction_id=first)
    return [first, second], sdk_read(client, second).text


async def asdk_ask_with_tool(client: genai.Client, *, answer_calls: bool = True) -> tuple[list[str], str]:
    created = await client.aio.interactions.create(
        model=MODEL, background=True, input="What is the weather in Paris?", tools=[WEATHER_TOOL]
    )
    reader = await asdk_read(client, created.id)
    if reader.status != "requires_action" or not answer_calls:
        return [created.id], reader.text
    second = await client.aio.interactions.create(
        model=MODEL, background=True, input=_results(reader.calls), previous_interaction_id=created.id
    )
    return [created.id, second.id], (await asdk_read(client, second.id)).text


def sdk_poll(
    client: genai.Client, interaction_id: str, *, interval: float = 5.0, extra_polls: int = 0
) -> Any:
    """Poll until the interaction leaves ``in_progress`` (the SDK itself retries 429 and 5xx)."""
    it = None
    while it is None or it.status == "in_progress":
        time.sleep(interval)
        it = client.interactions.get(interaction_id)
    for _ in range(extra_polls):  # the mistake: "just to be sure"
        it = client.interactions.get(interaction_id)
    return it


async def asdk_poll(
    client: genai.Client, interaction_id: str, *, interval: float = 5.0, extra_polls: int = 0
) -> Any:
    it = None
    while it is None or it.status == "in_progress":
        await asyncio.sleep(interval)
        it = await client.aio.interactions.get(interaction_id)
    for _ in range(extra_polls):
        it = await client.aio.interactions.get(interaction_id)
    return it


def sdk_chain_too_early(client: genai.Client, question: str, follow_up: str) -> str:
    """The mistake: chains the follow-up at once, while the first interaction still runs.

    On the API's 400 it waits for the first interaction to finish and chains again, so the
    session still ends with the follow-up's answer.
    """
    first = start(client, input=question)
    while True:
        try:
            return start(client, input=follow_up, previous_interaction_id=first)
        except BadRequestError:
            sdk_poll(client, first, interval=0.5)


# -- httpx + httpx-sse ---------------------------------------------------------------------------


def http_start(client: httpx.Client, **body: Any) -> str:
    body.setdefault("input", QUESTION)
    answer = client.post("/interactions", json={"model": MODEL, "background": True, **body})
    answer.raise_for_status()
    return str(answer.json()["id"])


async def ahttp_start(client: httpx.AsyncClient, **body: Any) -> str:
    body.setdefault("input", QUESTION)
    answer = await client.post("/interactions", json={"model": MODEL, "background": True, **body})
    answer.raise_for_status()
    return str(answer.json()["id"])


def _params(since: str | None) -> dict[str, str]:
    return {"stream": "true", **({"last_event_id": since} if since else {})}


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait before trying again, for an answer that asks for it (429, 5xx)."""
    if response.status_code == 429 or response.status_code >= 500:
        return float(response.headers.get("retry-after", "1"))
    return None


def sse_read(
    client: httpx.Client, interaction_id: str, *, resume: str = "last", attempts: int = 20
) -> Reader:
    """Read a stream with httpx-sse, reconnecting with ``?last_event_id=`` and honouring Retry-After."""
    reader = Reader()
    for _ in range(attempts):
        try:
            params = _params(_since(reader.ids, resume))
            with connect_sse(client, "GET", f"/interactions/{interaction_id}", params=params) as source:
                wait = _retry_after(source.response)
                if wait is not None:
                    time.sleep(wait)
                    continue
                source.response.raise_for_status()
                for sse in source.iter_sse():
                    if sse.data == "[DONE]":
                        break
                    reader.take(json.loads(sse.data))
            return reader
        except DROPPED:
            time.sleep(PAUSE)  # back off before trying again (virtual time in replay)
            continue
    raise GaveUp(f"{interaction_id}: no complete stream in {attempts} attempts")


async def asse_read(
    client: httpx.AsyncClient, interaction_id: str, *, resume: str = "last", attempts: int = 20
) -> Reader:
    reader = Reader()
    for _ in range(attempts):
        try:
            params = _params(_since(reader.ids, resume))
            async with aconnect_sse(
                client, "GET", f"/interactions/{interaction_id}", params=params
            ) as source:
                wait = _retry_after(source.response)
                if wait is not None:
                    await asyncio.sleep(wait)
                    continue
                source.response.raise_for_status()
                async for sse in source.aiter_sse():
                    if sse.data == "[DONE]":
                        break
                    reader.take(json.loads(sse.data))
            return reader
        except DROPPED:
            await asyncio.sleep(PAUSE)  # back off before trying again (virtual time in replay)
            continue
    raise GaveUp(f"{interaction_id}: no complete stream in {attempts} attempts")


_EVENT_LINE = re.compile(rb"^event:", re.MULTILINE)


class CountingParser:
    """A hand-written SSE parser that works out the resume id from how many events it has seen.

    The mistake: it counts ``event:`` lines in the raw bytes as they arrive, so an event cut in
    the middle (its first half arrived, the rest never did) counts as received and the reconnect
    names it. It relies on the ids being ``evt_000001``, ``evt_000002``, ... as the emulator's are.
    """

    def __init__(self) -> None:
        self.reader = Reader()
        self.seen = 0
        self.buffer = b""

    def params(self) -> dict[str, str]:
        self.buffer = b""
        return _params(f"evt_{self.seen:06d}" if self.seen else None)

    def feed(self, chunk: bytes) -> None:
        self.seen += len(_EVENT_LINE.findall(chunk))
        self.buffer += chunk
        *complete, self.buffer = self.buffer.split(b"\n\n")
        for block in complete:
            data = [line[5:].strip() for line in block.split(b"\n") if line.startswith(b"data:")]
            if data and data[0] != b"[DONE]":
                self.reader.take(json.loads(data[0]))


def raw_read_counting(client: httpx.Client, interaction_id: str, *, attempts: int = 20) -> Reader:
    parser = CountingParser()
    for _ in range(attempts):
        try:
            with client.stream("GET", f"/interactions/{interaction_id}", params=parser.params()) as response:
                response.raise_for_status()
                for chunk in response.iter_bytes():
                    parser.feed(chunk)
            return parser.reader
        except DROPPED:
            time.sleep(PAUSE)  # back off before trying again (virtual time in replay)
            continue
    raise GaveUp(f"{interaction_id}: no complete stream in {attempts} attempts")


async def araw_read_counting(client: httpx.AsyncClient, interaction_id: str, *, attempts: int = 20) -> Reader:
    parser = CountingParser()
    for _ in range(attempts):
        try:
            async with client.stream(
                "GET", f"/interactions/{interaction_id}", params=parser.params()
            ) as response:
                response.raise_for_status()
                async for chunk in response.aiter_bytes():
                    parser.feed(chunk)
            return parser.reader
        except DROPPED:
            await asyncio.sleep(PAUSE)  # back off before trying again (virtual time in replay)
            continue
    raise GaveUp(f"{interaction_id}: no complete stream in {attempts} attempts")


def http_poll(
    client: httpx.Client, interaction_id: str, *, interval: float = 5.0, extra_polls: int = 0
) -> dict[str, Any]:
    """Poll until the interaction leaves ``in_progress``, waiting as long as 429/5xx answers ask."""
    it: dict[str, Any] = {"status": "in_progress"}
    while it["status"] == "in_progress":
        time.sleep(interval)
        answer = client.get(f"/interactions/{interaction_id}")
        wait = _retry_after(answer)
        if wait is not None:
            time.sleep(wait)
            continue
        answer.raise_for_status()
        it = answer.json()
    for _ in range(extra_polls):  # the mistake: "just to be sure"
        it = client.get(f"/interactions/{interaction_id}").json()
    return it


async def ahttp_poll(
    client: httpx.AsyncClient,
    interaction_id: str,
    *,
    interval: float = 5.0,
    extra_polls: int = 0,
    until: str | None = None,
) -> dict[str, Any]:
    """Poll until the interaction leaves ``in_progress`` (or, wrongly, until it shows ``until``)."""
    it: dict[str, Any] = {"status": "in_progress"}
    while it["status"] != until if until else it["status"] == "in_progress":
        await asyncio.sleep(interval)
        answer = await client.get(f"/interactions/{interaction_id}")
        wait = _retry_after(answer)
        if wait is not None:
            await asyncio.sleep(wait)
            continue
        answer.raise_for_status()
        it = answer.json()
    for _ in range(extra_polls):
        it = (await client.get(f"/interactions/{interaction_id}")).json()
    return it


def _calls(it: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for step in it.get("steps", []) if step["type"] == "function_call"]


def http_ask_with_tool(client: httpx.Client, *, interval: float = 5.0) -> dict[str, Any]:
    """A function-calling session driven by polling: answers ``requires_action``, polls to the end."""
    first = http_start(client, input="What is the weather in Paris?", tools=[WEATHER_TOOL])
    it = http_poll(client, first, interval=interval)
    if it["status"] != "requires_action":
        return it
    second = http_start(client, input=_results(_calls(it)), previous_interaction_id=first)
    return http_poll(client, second, interval=interval)


async def ahttp_ask_with_tool(client: httpx.AsyncClient, *, interval: float = 5.0) -> dict[str, Any]:
    first = await ahttp_start(client, input="What is the weather in Paris?", tools=[WEATHER_TOOL])
    it = await ahttp_poll(client, first, interval=interval)
    if it["status"] != "requires_action":
        return it
    second = await ahttp_start(client, input=_results(_calls(it)), previous_interaction_id=first)
    return await ahttp_poll(client, second, interval=interval)


def http_chain_too_early(client: httpx.Client, question: str, follow_up: str) -> str:
    """:func:`sdk_chain_too_early` with httpx."""
    first = http_start(client, input=question)
    while True:
        answer = client.post(
            "/interactions",
            json={"model": MODEL, "input": follow_up, "previous_interaction_id": first, "background": True},
        )
        if answer.status_code != 400:
            answer.raise_for_status()
            return str(answer.json()["id"])
        http_poll(client, first, interval=0.5)


async def ahttp_chain_too_early(client: httpx.AsyncClient, question: str, follow_up: str) -> str:
    first = await ahttp_start(client, input=question)
    while True:
        answer = await client.post(
            "/interactions",
            json={"model": MODEL, "input": follow_up, "previous_interaction_id": first, "background": True},
        )
        if answer.status_code != 400:
            answer.raise_for_status()
            return str(answer.json()["id"])
        await ahttp_poll(client, first, interval=0.5)


# -- the API guide's own reconnect loop ----------------------------------------------------------

#: Statuses after which a stream has nothing more to tell (the guide stops reading there).
FINAL = ("completed", "failed", "cancelled", "requires_action")


def _ends(event: Any) -> bool:
    if event.event_type == "interaction.completed":
        return True
    return event.event_type == "interaction.status_update" and event.status in FINAL


def guide_read(client: genai.Client, interaction_id: str, *, attempts: int = 20) -> str:
    """The reconnect loop the API guide teaches: it returns as soon as it sees the end of the run,
    without reading on to ``[DONE]``, and resumes from the last ``event_id`` it saw."""
    last_event_id = None
    parts: list[str] = []
    for _ in range(attempts):
        try:
            stream = client.interactions.get(interaction_id, stream=True, last_event_id=last_event_id)
            for event in stream:
                if getattr(event, "event_id", None):
                    last_event_id = event.event_id
                if event.event_type == "step.delta" and event.delta.type == "text":
                    parts.append(event.delta.text)
                elif _ends(event):
                    return "".join(parts)
        except APIConnectionError:
            time.sleep(PAUSE)  # back off before trying again (virtual time in replay)
            continue
    raise GaveUp(f"{interaction_id}: no complete stream in {attempts} attempts")


async def aguide_read(client: genai.Client, interaction_id: str, *, attempts: int = 20) -> str:
    """:func:`guide_read` through ``client.aio``."""
    last_event_id = None
    parts: list[str] = []
    for _ in range(attempts):
        try:
            stream = await client.aio.interactions.get(
                interaction_id, stream=True, last_event_id=last_event_id
            )
            async for event in stream:
                if getattr(event, "event_id", None):
                    last_event_id = event.event_id
                if event.event_type == "step.delta" and event.delta.type == "text":
                    parts.append(event.delta.text)
                elif _ends(event):
                    return "".join(parts)
        except APIConnectionError:
            await asyncio.sleep(PAUSE)  # back off before trying again (virtual time in replay)
            continue
    raise GaveUp(f"{interaction_id}: no complete stream in {attempts} attempts")


# -- function calls read from a stream -----------------------------------------------------------


def sse_calls(client: httpx.Client, interaction_id: str, *, overwrite: bool = False) -> list[dict[str, Any]]:
    """The function calls of a streamed interaction, their ``arguments_delta`` pieces joined.

    The mistake (``overwrite=True``): each piece replaces the arguments instead of extending them.
    """
    calls: dict[int, dict[str, Any]] = {}
    pieces: dict[int, str] = {}
    params = _params(None)
    with connect_sse(client, "GET", f"/interactions/{interaction_id}", params=params) as source:
        for sse in source.iter_sse():
            if sse.data == "[DONE]":
                break
            event = json.loads(sse.data)
            if event["event_type"] == "step.start" and event["step"]["type"] == "function_call":
                calls[event["index"]] = {"id": event["step"]["id"], "name": event["step"]["name"]}
                pieces[event["index"]] = ""
            elif event["event_type"] == "step.delta" and event["delta"]["type"] == "arguments_delta":
                piece = event["delta"]["arguments"]
                pieces[event["index"]] = piece if overwrite else pieces[event["index"]] + piece
    return [{**call, "arguments": _loads(pieces[index])} for index, call in calls.items()]


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


# -- a reconnect loop that ignores Retry-After ---------------------------------------------------


def sse_read_hasty(client: httpx.Client, interaction_id: str, *, attempts: int = 20) -> Reader:
    """:func:`sse_read`, except that a 429 or 5xx answer is retried at once (the mistake)."""
    reader = Reader()
    for _ in range(attempts):
        try:
            params = _params(_since(reader.ids, "last"))
            with connect_sse(client, "GET", f"/interactions/{interaction_id}", params=params) as source:
                if _retry_after(source.response) is not None:
                    continue
                source.response.raise_for_status()
                for sse in source.iter_sse():
                    if sse.data == "[DONE]":
                        break
                    reader.take(json.loads(sse.data))
            return reader
        except DROPPED:
            time.sleep(PAUSE)  # back off before trying again (virtual time in replay)
            continue
    raise GaveUp(f"{interaction_id}: no complete stream in {attempts} attempts")
