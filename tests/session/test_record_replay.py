"""Record a whole session against a live server, stop the server, and replay it.

The story is the same for every client: create an interaction in the background, poll it until
it completes, read its stream, cancel a second interaction, delete the first. It is recorded with
``use_cassette(path, "once")`` against the emulator, then the emulator is stopped and the story
runs again with ``use_cassette(path, "none")``: the client sees the same statuses, text and event
ids, from ordinary httpx / httpx2 responses, without a server.

The emulator runs in manual mode, so the recorded polls see ``in_progress`` until the test moves
scenario time forward: the recording holds several polls, and replay must give them back in order.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
import httpx2
import pytest
from google import genai
from httpx_sse import aconnect_sse, connect_sse

from pytest_interactions.cassette import load_cassette, save_cassette
from pytest_interactions.clock import real_monotonic
from pytest_interactions.emulator import Emulator, answer_for
from pytest_interactions.session import use_cassette

pytestmark = pytest.mark.interactions_server(manual=True)

MODEL = "gemini-3.5-flash"
QUESTION = "How do servers push events to browsers?"
KEY = "test-key"
TICK = 0.3  # scenario seconds between two polls while recording
MAX_POLLS = 20


@dataclass(frozen=True)
class Story:
    """What the client saw of one session."""

    polls: list[str]
    output_text: str
    event_ids: list[str]
    cancelled: str


def text_of(interaction: dict[str, Any]) -> str:
    """The text of the model output steps of an interaction as JSON (what the SDK calls output_text)."""
    return "".join(
        part.get("text", "")
        for step in interaction.get("steps") or []
        if step.get("type") == "model_output"
        for part in step.get("content") or []
        if part.get("type") == "text"
    )


def ids_of(messages: list[tuple[str, str]]) -> list[str]:
    """The ``event_id`` of each SSE message's JSON data, up to the ``[DONE]`` sentinel."""
    return [json.loads(data)["event_id"] for _event, data in messages if data != "[DONE]"]


# -- one interface, several clients -------------------------------------------------------------


class Api(Protocol):
    def create(self, text: str) -> tuple[str, str]: ...
    def get(self, interaction_id: str) -> tuple[str, str]: ...
    def stream(self, interaction_id: str) -> list[str]: ...
    def cancel(self, interaction_id: str) -> str: ...
    def delete(self, interaction_id: str) -> None: ...


class AsyncApi(Protocol):
    async def create(self, text: str) -> tuple[str, str]: ...
    async def get(self, interaction_id: str) -> tuple[str, str]: ...
    async def stream(self, interaction_id: str) -> list[str]: ...
    async def cancel(self, interaction_id: str) -> str: ...
    async def delete(self, interaction_id: str) -> None: ...


class Sdk:
    """google-genai's interactions, sync."""

    def __init__(self, client: genai.Client) -> None:
        self.client = client

    def create(self, text: str) -> tuple[str, str]:
        it = self.client.interactions.create(model=MODEL, input=text, background=True)
        return it.id, str(it.status)

    def get(self, interaction_id: str) -> tuple[str, str]:
        it = self.client.interactions.get(interaction_id)
        return str(it.status), it.output_text

    def stream(self, interaction_id: str) -> list[str]:
        with self.client.interactions.get(interaction_id, stream=True) as events:
            return [event.event_id for event in events]

    def cancel(self, interaction_id: str) -> str:
        return str(self.client.interactions.cancel(interaction_id).status)

    def delete(self, interaction_id: str) -> None:
        self.client.interactions.delete(interaction_id)


class AsyncSdk:
    """google-genai's interactions, through ``client.aio``."""

    def __init__(self, client: genai.Client) -> None:
        self.client = client

    async def create(self, text: str) -> tuple[str, str]:
        it = await self.client.aio.interactions.create(model=MODEL, input=text, background=True)
        return it.id, str(it.status)

    async def get(self, interaction_id: str) -> tuple[str, str]:
        it = await self.client.aio.interactions.get(interaction_id)
        return str(it.status), it.output_text

    async def stream(self, interaction_id: str) -> list[str]:
        events = await self.client.aio.interactions.get(interaction_id, stream=True)
        async with events:
            return [event.event_id async for event in events]

    async def cancel(self, interaction_id: str) -> str:
        return str((await self.client.aio.interactions.cancel(interaction_id)).status)

    async def delete(self, interaction_id: str) -> None:
        await self.client.aio.interactions.delete(interaction_id)


class Plain:
    """httpx + httpx-sse's ``connect_sse``, or httpx2 and its own ``client.sse()``."""

    def __init__(self, http: httpx.Client | httpx2.Client) -> None:
        self.http = http

    def create(self, text: str) -> tuple[str, str]:
        answer = self.http.post("/interactions", json={"model": MODEL, "input": text, "background": True})
        answer.raise_for_status()
        return answer.json()["id"], answer.json()["status"]

    def get(self, interaction_id: str) -> tuple[str, str]:
        body = self.http.get(f"/interactions/{interaction_id}", params={"stream": "false"}).json()
        return body["status"], text_of(body)

    def stream(self, interaction_id: str) -> list[str]:
        url, params = f"/interactions/{interaction_id}", {"stream": "true"}
        if isinstance(self.http, httpx.Client):
            with connect_sse(self.http, "GET", url, params=params) as source:
                return ids_of([(sse.event, sse.data) for sse in source.iter_sse()])
        with self.http.sse(url, params=params) as events:
            return ids_of([(sse.event, sse.data) for sse in events])

    def cancel(self, interaction_id: str) -> str:
        answer = self.http.post(f"/interactions/{interaction_id}/cancel")
        return str(answer.json()["status"])

    def delete(self, interaction_id: str) -> None:
        assert self.http.delete(f"/interactions/{interaction_id}").json() == {}


class AsyncPlain:
    """httpx.AsyncClient + ``aconnect_sse``, or httpx2.AsyncClient and its ``sse()``."""

    def __init__(self, http: httpx.AsyncClient | httpx2.AsyncClient) -> None:
        self.http = http

    async def create(self, text: str) -> tuple[str, str]:
        answer = await self.http.post(
            "/interactions", json={"model": MODEL, "input": text, "background": True}
        )
        answer.raise_for_status()
        return answer.json()["id"], answer.json()["status"]

    async def get(self, interaction_id: str) -> tuple[str, str]:
        answer = await self.http.get(f"/interactions/{interaction_id}", params={"stream": "false"})
        return answer.json()["status"], text_of(answer.json())

    async def stream(self, interaction_id: str) -> list[str]:
        url, params = f"/interactions/{interaction_id}", {"stream": "true"}
        if isinstance(self.http, httpx.AsyncClient):
            async with aconnect_sse(self.http, "GET", url, params=params) as source:
                return ids_of([(sse.event, sse.data) async for sse in source.aiter_sse()])
        async with self.http.sse(url, params=params) as events:
            return ids_of([(sse.event, sse.data) async for sse in events])

    async def cancel(self, interaction_id: str) -> str:
        answer = await self.http.post(f"/interactions/{interaction_id}/cancel")
        return str(answer.json()["status"])

    async def delete(self, interaction_id: str) -> None:
        assert (await self.http.delete(f"/interactions/{interaction_id}")).json() == {}


# -- the story ----------------------------------------------------------------------------------


def tell(api: Api, tick: Callable[[], None]) -> tuple[Story, str]:
    """The session; ``tick`` lets time pass between polls. Returns what was seen and the first id."""
    first, status = api.create(QUESTION)
    polls, text = [status], ""
    while polls[-1] != "completed" and len(polls) < MAX_POLLS:
        tick()
        status, text = api.get(first)
        polls.append(status)
    event_ids = api.stream(first)
    second, _ = api.create("A question we change our mind about")
    cancelled = api.cancel(second)
    api.delete(first)
    return Story(polls, text, event_ids, cancelled), first


async def atell(api: AsyncApi, tick: Callable[[], None]) -> tuple[Story, str]:
    first, status = await api.create(QUESTION)
    polls, text = [status], ""
    while polls[-1] != "completed" and len(polls) < MAX_POLLS:
        tick()
        status, text = await api.get(first)
        polls.append(status)
    event_ids = await api.stream(first)
    second, _ = await api.create("A question we change our mind about")
    cancelled = await api.cancel(second)
    await api.delete(first)
    return Story(polls, text, event_ids, cancelled), first


def check_recording(story: Story, cassette: Path) -> None:
    """The recorded story is the one the emulator tells, and the cassette holds every request."""
    assert story.polls[0] == "in_progress"
    assert story.polls.count("in_progress") >= 3, story.polls  # several polls before the end
    assert story.polls[-1] == "completed"
    assert story.output_text == answer_for(QUESTION)
    assert story.event_ids[0] == "evt_000001"
    assert len(story.event_ids) >= 5
    assert story.cancelled == "cancelled"
    methods = [exchange.request.method for exchange in load_cassette(cassette).exchanges]
    polls = len(story.polls) - 1
    assert methods == ["POST", *["GET"] * polls, "GET", "POST", "POST", "DELETE"]


def stop(server: Emulator) -> str:
    """Stop the emulator: from here on, nothing answers at its address."""
    url = server.base_url
    server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=1)
    return url


def sdk_client(base_url: str, transport: str) -> genai.Client:
    options: dict[str, Any] = {"base_url": base_url, "api_version": "v1beta"}
    if transport == "httpx":
        options.update(httpx_client=httpx.Client(), httpx_async_client=httpx.AsyncClient())
    return genai.Client(api_key=KEY, http_options=options)


def plain_client(base_url: str, library: str, *, asynchronous: bool) -> Any:
    module: Any = httpx if library == "httpx" else httpx2
    cls = module.AsyncClient if asynchronous else module.Client
    return cls(base_url=base_url + "/v1beta", headers={"x-goog-api-key": KEY}, timeout=10)


def no_tick() -> None:
    """Replay needs no time to pass: the cassette already knows every answer."""


# -- sync ---------------------------------------------------------------------------------------


CLIENTS = ["sdk-httpx2", "sdk-httpx", "httpx+httpx-sse", "httpx2"]


@contextlib.contextmanager
def sync_api(base_url: str, kind: str) -> Iterator[Api]:
    if kind.startswith("sdk-"):
        client = sdk_client(base_url, kind.removeprefix("sdk-"))
        try:
            yield Sdk(client)
        finally:
            client.close()
        return
    with plain_client(base_url, kind.split("+")[0], asynchronous=False) as http:
        yield Plain(http)


@contextlib.asynccontextmanager
async def async_api(base_url: str, kind: str) -> AsyncIterator[AsyncApi]:
    if kind.startswith("sdk-"):
        client = sdk_client(base_url, kind.removeprefix("sdk-"))
        try:
            yield AsyncSdk(client)
        finally:
            await client.aio.aclose()
            client.close()
        return
    async with plain_client(base_url, kind.split("+")[0], asynchronous=True) as http:
        yield AsyncPlain(http)


@pytest.mark.parametrize("kind", CLIENTS)
def test_a_recorded_session_replays_without_the_server(
    kind: str, interactions_server: Emulator, tmp_path: Path
) -> None:
    cassette = tmp_path / "session.yaml"
    base_url = interactions_server.base_url

    with sync_api(base_url, kind) as api, use_cassette(cassette, "once") as recording:
        assert recording.recording
        recorded, _first = tell(api, lambda: interactions_server.advance(TICK))
    check_recording(recorded, cassette)

    stop(interactions_server)
    with sync_api(base_url, kind) as api, use_cassette(cassette, "none") as replay:
        assert not replay.recording
        replayed, _ = tell(api, no_tick)

    assert replayed == recorded
    assert replay.errors == []
    assert len(replay.exchanges) == len(load_cassette(cassette).exchanges)


@pytest.mark.parametrize("kind", CLIENTS)
async def test_a_recorded_async_session_replays_without_the_server(
    kind: str, interactions_server: Emulator, tmp_path: Path
) -> None:
    cassette = tmp_path / "session.yaml"
    base_url = interactions_server.base_url

    async with async_api(base_url, kind) as api:
        with use_cassette(cassette, "once"):
            recorded, _first = await atell(api, lambda: interactions_server.advance(TICK))
    check_recording(recorded, cassette)

    stop(interactions_server)
    async with async_api(base_url, kind) as api:
        with use_cassette(cassette, "none") as replay:
            replayed, _ = await atell(api, no_tick)

    assert replayed == recorded
    assert replay.errors == []


def test_polls_come_back_in_recorded_order(interactions_server: Emulator, tmp_path: Path) -> None:
    """Each recorded GET answers once, in order; past the end, the last one answers again."""
    cassette = tmp_path / "polls.yaml"
    base_url = interactions_server.base_url
    with plain_client(base_url, "httpx", asynchronous=False) as http, use_cassette(cassette, "once"):
        first, _ = Plain(http).create(QUESTION)
        recorded = []
        for _ in range(4):
            recorded.append(Plain(http).get(first)[0])
            interactions_server.advance(TICK)
        interactions_server.advance(60)
        recorded.append(Plain(http).get(first)[0])
    assert recorded[:4] == ["in_progress"] * 4
    assert recorded[4] == "completed"

    stop(interactions_server)
    with plain_client(base_url, "httpx", asynchronous=False) as http, use_cassette(cassette, "none"):
        Plain(http).create(QUESTION)
        bodies = [http.get(f"/interactions/{first}", params={"stream": "false"}).json() for _ in range(7)]
    recorded_bodies = [
        exchange.response.body.value
        for exchange in load_cassette(cassette).exchanges
        if exchange.request.method == "GET" and exchange.response and exchange.response.body
    ]
    assert [body["status"] for body in bodies] == [*recorded, "completed", "completed"]
    assert bodies[:5] == recorded_bodies
    assert bodies[5] == bodies[6] == recorded_bodies[-1]


def test_polls_are_paced_to_moments_between_whole_microseconds(
    interactions_server: Emulator, tmp_path: Path
) -> None:
    """A recorded moment is a sum of offsets kept to the microsecond, seldom a whole microsecond
    itself: the virtual clock, which moves in whole microseconds, must still reach it, or the next
    poll is paced to the same moment and answered the same again (an extra ``in_progress``)."""
    cassette = tmp_path / "polls.yaml"
    base_url = interactions_server.base_url
    with plain_client(base_url, "httpx", asynchronous=False) as http, use_cassette(cassette, "once"):
        first, _ = Plain(http).create(QUESTION)
        recorded = []
        for _ in range(3):
            recorded.append(Plain(http).get(first)[0])
            interactions_server.advance(TICK)
        interactions_server.advance(60)
        recorded.append(Plain(http).get(first)[0])
    assert recorded == ["in_progress"] * 3 + ["completed"]

    at, after = 0.001726, 0.002427
    assert math.ceil((at + after) * 1_000_000) / 1_000_000 < at + after  # one step lands short of it
    tape = load_cassette(cassette)
    polls = [e for e in tape.exchanges if e.request.method == "GET" and e.response is not None]
    for n, exchange in enumerate(polls):
        assert exchange.response is not None
        exchange.at, exchange.response.after = round(at + n / 100, 6), after
    save_cassette(cassette, tape)

    stop(interactions_server)
    with plain_client(base_url, "httpx", asynchronous=False) as http, use_cassette(cassette, "none"):
        Plain(http).create(QUESTION)
        replayed = [Plain(http).get(first)[0] for _ in range(4)]
    assert replayed == recorded


def test_a_session_recorded_on_the_emulator_clock_replays_on_virtual_time(
    interactions_server: Emulator, tmp_path: Path
) -> None:
    """``recording_clock=`` times the cassette on scenario time: a minute of 10-second polls is
    recorded without waiting, and replays to a client that really calls ``time.sleep(10)``."""
    cassette = tmp_path / "minute.yaml"
    base_url = interactions_server.base_url

    def session(sleep: Callable[[float], None]) -> list[str]:
        with plain_client(base_url, "httpx", asynchronous=False) as http:
            first, status = Plain(http).create(QUESTION)
            statuses = [status]
            for _ in range(6):
                sleep(10)
                statuses.append(Plain(http).get(first)[0])
            return statuses

    started = real_monotonic()
    with use_cassette(cassette, "once", recording_clock=interactions_server.clock.now):
        recorded = session(interactions_server.advance)
    assert recorded[0] == "in_progress"
    assert recorded[-1] == "completed"
    exchanges = load_cassette(cassette).exchanges
    assert [e.at for e in exchanges] == [0, 10, 20, 30, 40, 50, 60]
    assert all(e.response is not None and e.response.after == 0 for e in exchanges)

    stop(interactions_server)
    with use_cassette(cassette, "none") as replay:
        assert session(time.sleep) == recorded
        assert replay.now() == 60
    assert real_monotonic() - started < 10  # a minute recorded and replayed, none of it waited


# -- replayed responses are ordinary responses -------------------------------------------------


@dataclass
class Recorded:
    """What the client received while recording: the JSON of a GET and the bytes of a stream."""

    interaction_id: str
    body: dict[str, Any]
    stream: bytes


def record_one(server: Emulator, library: str, cassette: Path) -> Recorded:
    server.advance(60)  # let the run complete before it is read, so every answer is final
    with plain_client(server.base_url, library, asynchronous=False) as http, use_cassette(cassette, "once"):
        created = http.post("/interactions", json={"model": MODEL, "input": QUESTION, "background": True})
        interaction_id = created.json()["id"]
        server.advance(60)
        body = http.get(f"/interactions/{interaction_id}", params={"stream": "false"}).json()
        with http.stream("GET", f"/interactions/{interaction_id}", params={"stream": "true"}) as streamed:
            stream = b"".join(streamed.iter_bytes())
    return Recorded(interaction_id, body, stream)


@pytest.mark.parametrize("library", ["httpx", "httpx2"])
def test_replayed_responses_read_like_live_ones(
    library: str, interactions_server: Emulator, tmp_path: Path
) -> None:
    cassette = tmp_path / "ordinary.yaml"
    live = record_one(interactions_server, library, cassette)
    assert live.body["status"] == "completed"
    assert live.stream.endswith(b"data: [DONE]\n\n")
    base_url = stop(interactions_server)
    module: Any = httpx if library == "httpx" else httpx2
    url = f"/interactions/{live.interaction_id}"

    with plain_client(base_url, library, asynchronous=False) as http, use_cassette(cassette, "none"):
        created = http.post("/interactions", json={"model": MODEL, "input": QUESTION, "background": True})
        answer = http.get(url, params={"stream": "false"})
        with http.stream("GET", url, params={"stream": "true"}) as by_bytes:
            chunks = list(by_bytes.iter_bytes())
        with http.stream("GET", url, params={"stream": "true"}) as by_line:
            lines = list(by_line.iter_lines())
        text = http.get(url, params={"stream": "true"}).text

    assert isinstance(answer, module.Response)
    assert created.status_code == answer.status_code == 200
    assert created.json()["id"] == live.interaction_id
    assert answer.json() == live.body
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.request.url.params["stream"] == "false"
    assert by_bytes.headers["content-type"].startswith("text/event-stream")
    assert len(chunks) > 1  # a stream replays piece by piece, not as one blob
    assert b"".join(chunks) == live.stream
    assert lines == live.stream.decode().splitlines()
    assert text == live.stream.decode()


@pytest.mark.parametrize("library", ["httpx", "httpx2"])
async def test_replayed_async_responses_read_like_live_ones(
    library: str, interactions_server: Emulator, tmp_path: Path
) -> None:
    cassette = tmp_path / "ordinary.yaml"
    live = record_one(interactions_server, library, cassette)
    base_url = stop(interactions_server)
    url = f"/interactions/{live.interaction_id}"

    async with plain_client(base_url, library, asynchronous=True) as http:
        with use_cassette(cassette, "none"):
            await http.post("/interactions", json={"model": MODEL, "input": QUESTION, "background": True})
            answer = await http.get(url, params={"stream": "false"})
            async with http.stream("GET", url, params={"stream": "true"}) as by_bytes:
                chunks = [chunk async for chunk in by_bytes.aiter_bytes()]
            async with http.stream("GET", url, params={"stream": "true"}) as by_line:
                lines = [line async for line in by_line.aiter_lines()]

    assert answer.json() == live.body
    assert b"".join(chunks) == live.stream
    assert lines == live.stream.decode().splitlines()
