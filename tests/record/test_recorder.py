"""Recording changes nothing the client sees.

Bytes reach the client as they arrive, a dropped connection raises the same exception at the same
point as without the recorder, and the cassette keeps what arrived plus a ``disconnect`` entry, so
that replay raises it again in the same place.
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from google import genai
from httpx_sse import aconnect_sse, connect_sse

from pytest_interactions.cassette import Disconnect, StreamEvent, event_to_bytes, load_cassette
from pytest_interactions.emulator import Emulator
from pytest_interactions.session import use_cassette

MODEL = "gemini-3.5-flash"
KEY = {"x-goog-api-key": "test-key"}
DROPPED = "peer closed connection without sending complete message body (incomplete chunked read)"
DROP_AFTER = 3


@dataclass(frozen=True)
class Seen:
    """What a client saw of one stream: its messages, then what it raised (if anything)."""

    messages: list[tuple[str, str]]
    error: type[BaseException] | None
    message: str | None
    cause: type[BaseException] | None = None


def client_for(library: str, base_url: str) -> Any:
    module: Any = httpx if library == "httpx" else httpx2
    return module.Client(base_url=base_url + "/v1beta", headers=KEY, timeout=10)


def async_client_for(library: str, base_url: str) -> Any:
    module: Any = httpx if library == "httpx" else httpx2
    return module.AsyncClient(base_url=base_url + "/v1beta", headers=KEY, timeout=10)


@contextmanager
def sse_events(http: Any, interaction_id: str) -> Iterator[Iterator[Any]]:
    """httpx-sse's ``connect_sse`` for httpx, ``client.sse()`` for httpx2."""
    url, params = f"/interactions/{interaction_id}", {"stream": "true"}
    if isinstance(http, httpx.Client):
        with connect_sse(http, "GET", url, params=params) as source:
            yield source.iter_sse()
    else:
        with http.sse(url, params=params) as source:
            yield iter(source)


def read_stream(http: Any, interaction_id: str) -> Seen:
    messages: list[tuple[str, str]] = []
    try:
        with sse_events(http, interaction_id) as events:
            for sse in events:
                messages.append((sse.event, sse.data))
    except Exception as exc:
        return Seen(messages, type(exc), str(exc))
    return Seen(messages, None, None)


async def aread_stream(http: Any, interaction_id: str) -> Seen:
    url, params = f"/interactions/{interaction_id}", {"stream": "true"}
    messages: list[tuple[str, str]] = []
    try:
        if isinstance(http, httpx.AsyncClient):
            async with aconnect_sse(http, "GET", url, params=params) as source:
                async for sse in source.aiter_sse():
                    messages.append((sse.event, sse.data))
        else:
            async with http.sse(url, params=params) as source:
                async for sse in source:
                    messages.append((sse.event, sse.data))
    except Exception as exc:
        return Seen(messages, type(exc), str(exc))
    return Seen(messages, None, None)


def create(http: Any, text: str = "Tell me about streams") -> str:
    answer = http.post("/interactions", json={"model": MODEL, "input": text, "background": True})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id"])


def the_stream(cassette: Path) -> list[StreamEvent | Disconnect]:
    """The events of the one stream the cassette recorded."""
    streams = [e.response for e in load_cassette(cassette).exchanges if e.response and e.response.is_stream]
    assert len(streams) == 1
    assert streams[0].events is not None
    return streams[0].events


# -- a dropped stream ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("library", "flavored"),
    [("httpx", httpx.RemoteProtocolError), ("httpx2", httpx2.RemoteProtocolError)],
)
def test_a_dropped_stream_is_recorded_and_raised_as_without_the_recorder(
    library: str, flavored: type[Exception], interactions_server: Emulator, tmp_path: Path
) -> None:
    cassette = tmp_path / "dropped.yaml"
    with client_for(library, interactions_server.base_url) as http:
        interaction_id = create(http)

        interactions_server.faults.drop_stream(DROP_AFTER)
        without_recorder = read_stream(http, interaction_id)

        interactions_server.faults.drop_stream(DROP_AFTER)
        with use_cassette(cassette, "once"):
            recorded = read_stream(http, interaction_id)

    # The real failure, as the client's library raises it on a real socket drop ...
    assert without_recorder.error is flavored
    assert without_recorder.message == DROPPED
    assert len(without_recorder.messages) == DROP_AFTER
    # ... reaches the client through the recorder unchanged, after the same events.
    assert recorded == without_recorder

    *events, disconnect = the_stream(cassette)
    assert [(e.event, e.data) for e in events if isinstance(e, StreamEvent)] == recorded.messages
    assert disconnect == Disconnect(disconnect.at, "RemoteProtocolError", DROPPED)
    assert disconnect.partial == b""
    text = cassette.read_text()
    assert "disconnect: RemoteProtocolError" in text
    assert f"message: {DROPPED}" in text

    base_url = interactions_server.base_url
    interactions_server.stop()
    with client_for(library, base_url) as http, use_cassette(cassette, "none"):
        replayed = read_stream(http, interaction_id)
    assert replayed == without_recorder  # flavored: httpx.RemoteProtocolError or httpx2's own


@pytest.mark.parametrize(
    ("library", "flavored"),
    [("httpx", httpx.RemoteProtocolError), ("httpx2", httpx2.RemoteProtocolError)],
)
async def test_an_async_dropped_stream_is_recorded_and_replayed(
    library: str, flavored: type[Exception], interactions_server: Emulator, tmp_path: Path
) -> None:
    cassette = tmp_path / "dropped.yaml"
    async with async_client_for(library, interactions_server.base_url) as http:
        answer = await http.post("/interactions", json={"model": MODEL, "input": "hi", "background": True})
        interaction_id = answer.json()["id"]
        interactions_server.faults.drop_stream(DROP_AFTER)
        without_recorder = await aread_stream(http, interaction_id)
        interactions_server.faults.drop_stream(DROP_AFTER)
        with use_cassette(cassette, "once"):
            recorded = await aread_stream(http, interaction_id)
    assert without_recorder.error is flavored
    assert recorded == without_recorder
    assert isinstance(the_stream(cassette)[-1], Disconnect)

    base_url = interactions_server.base_url
    interactions_server.stop()
    async with async_client_for(library, base_url) as http:
        with use_cassette(cassette, "none"):
            replayed = await aread_stream(http, interaction_id)
    assert replayed == without_recorder


@pytest.mark.parametrize(
    ("transport", "cause"),
    [("httpx2", httpx2.RemoteProtocolError), ("httpx", httpx.RemoteProtocolError)],
)
def test_the_sdk_sees_the_same_connection_error_recording_and_replaying(
    transport: str, cause: type[Exception], interactions_server: Emulator, tmp_path: Path
) -> None:
    from google.genai._interactions import APIConnectionError

    cassette = tmp_path / "sdk-dropped.yaml"

    def read(base_url: str, interaction_id: str) -> Seen:
        options: dict[str, Any] = {"base_url": base_url, "api_version": "v1beta"}
        if transport == "httpx":
            options["httpx_client"] = httpx.Client()
        client = genai.Client(api_key="k", http_options=options)
        ids: list[tuple[str, str]] = []
        try:
            with client.interactions.get(interaction_id, stream=True) as events:
                for event in events:
                    ids.append((event.event_type, event.event_id))
        except Exception as exc:
            return Seen(ids, type(exc), str(exc), type(exc.__cause__))
        finally:
            client.close()
        return Seen(ids, None, None)

    base_url = interactions_server.base_url
    with client_for("httpx", base_url) as http:
        interaction_id = create(http)
    interactions_server.faults.drop_stream(DROP_AFTER)
    without_recorder = read(base_url, interaction_id)
    interactions_server.faults.drop_stream(DROP_AFTER)
    with use_cassette(cassette, "once"):
        recorded = read(base_url, interaction_id)
    interactions_server.stop()
    with use_cassette(cassette, "none"):
        replayed = read(base_url, interaction_id)

    assert without_recorder == Seen(without_recorder.messages, APIConnectionError, DROPPED, cause)
    assert [event_id for _, event_id in without_recorder.messages] == [f"evt_00000{n}" for n in (1, 2, 3)]
    assert recorded == without_recorder
    assert replayed == without_recorder


def test_a_drop_inside_an_event_keeps_the_partial_bytes(
    interactions_server: Emulator, tmp_path: Path
) -> None:
    cassette = tmp_path / "mid-event.yaml"

    def read_bytes(http: httpx.Client, interaction_id: str) -> tuple[bytes, BaseException | None]:
        received = b""
        try:
            with http.stream("GET", f"/interactions/{interaction_id}", params={"stream": "true"}) as r:
                for chunk in r.iter_bytes():
                    received += chunk
        except httpx.TransportError as exc:
            return received, exc
        return received, None

    with client_for("httpx", interactions_server.base_url) as http:
        interaction_id = create(http)
        whole, _ = read_bytes(http, interaction_id)
        interactions_server.faults.drop_stream(2, mid_event=True)
        with use_cassette(cassette, "once"):
            received, error = read_bytes(http, interaction_id)

    assert isinstance(error, httpx.RemoteProtocolError)
    assert str(error) == DROPPED
    first, second, disconnect = the_stream(cassette)
    assert isinstance(first, StreamEvent)
    assert isinstance(second, StreamEvent)
    assert isinstance(disconnect, Disconnect)
    complete = event_to_bytes(first) + event_to_bytes(second)
    # What arrived of the third event is kept, and is the start of the real third event.
    assert disconnect.partial
    assert received == complete + disconnect.partial
    third = whole[len(complete) :].split(b"\n\n")[0] + b"\n\n"
    assert third.startswith(disconnect.partial)
    assert len(disconnect.partial) < len(third)
    assert "partial:" in cassette.read_text()

    base_url = interactions_server.base_url
    interactions_server.stop()
    with client_for("httpx", base_url) as http, use_cassette(cassette, "none"):
        replayed, replay_error = read_bytes(http, interaction_id)
    assert replayed == received
    assert type(replay_error) is httpx.RemoteProtocolError
    assert str(replay_error) == DROPPED


# -- bytes pass through as they arrive ------------------------------------------------------------


def produced(server: Emulator, interaction_id: str) -> int:
    """How many events of the interaction the emulator has made happen so far."""
    run = server.store.find(interaction_id)
    assert run is not None
    return int(run.visible_count(server.clock.now()))


def produce_next(server: Emulator, interaction_id: str) -> None:
    """Move the manual emulator's clock until the next event of the interaction happens."""
    before = produced(server, interaction_id)
    while produced(server, interaction_id) == before:
        assert server.step(), "no event is left to produce"


GAP = 0.02  # real seconds the test waits before producing each next event


def follow(server: Emulator, interaction_id: str, events: Iterator[Any]) -> list[str]:
    """Read events one by one; after each, check the server has produced no more, then produce one."""
    seen: list[str] = []
    for sse in events:
        seen.append(sse.data)
        if sse.data == "[DONE]":
            break
        # The client holds event n while the server has made only n: nothing was buffered.
        assert produced(server, interaction_id) == len(seen)
        time.sleep(GAP)
        if server.store.find(interaction_id).next_event_at(server.clock.now()) is not None:  # type: ignore[union-attr]
            produce_next(server, interaction_id)
    return seen


def recording_manual(library: str) -> AbstractContextManager[Any]:
    """A client whose reads time out: a recorder that buffered would fail here, not hang."""
    module: Any = httpx if library == "httpx" else httpx2
    return module.Client(headers=KEY, timeout=module.Timeout(10, read=3))  # type: ignore[no-any-return]


@pytest.mark.interactions_server(manual=True)
@pytest.mark.parametrize("library", ["httpx", "httpx2"])
def test_events_reach_the_client_while_the_server_is_still_producing(
    library: str, interactions_server: Emulator, tmp_path: Path
) -> None:
    cassette = tmp_path / "live.yaml"
    base = interactions_server.base_url + "/v1beta"
    with recording_manual(library) as http, use_cassette(cassette, "once"):
        answer = http.post(base + "/interactions", json={"model": MODEL, "input": "hi", "background": True})
        interaction_id = answer.json()["id"]
        assert produced(interactions_server, interaction_id) == 1  # interaction.created, at once
        url = f"{base}/interactions/{interaction_id}"
        if library == "httpx":
            with connect_sse(http, "GET", url, params={"stream": "true"}) as source:
                seen = follow(interactions_server, interaction_id, source.iter_sse())
        else:
            with http.sse(url, params={"stream": "true"}) as source:
                seen = follow(interactions_server, interaction_id, iter(source))

    assert seen[-1] == "[DONE]"
    events = the_stream(cassette)
    assert [e.data for e in events if isinstance(e, StreamEvent)] == seen
    # The recording keeps the time each event arrived, not the time the stream ended.
    times = [e.at for e in events][:-1]  # [DONE] follows the last event at once
    assert all(later - earlier >= GAP * 0.9 for earlier, later in itertools.pairwise(times))


@pytest.mark.interactions_server(manual=True)
async def test_async_events_reach_the_client_while_the_server_is_still_producing(
    interactions_server: Emulator, tmp_path: Path
) -> None:
    cassette = tmp_path / "live.yaml"
    base = interactions_server.base_url + "/v1beta"
    seen: list[str] = []
    async with httpx.AsyncClient(headers=KEY, timeout=httpx.Timeout(10, read=3)) as http:
        with use_cassette(cassette, "once"):
            answer = await http.post(
                base + "/interactions", json={"model": MODEL, "input": "hi", "background": True}
            )
            interaction_id = answer.json()["id"]
            async with aconnect_sse(http, "GET", f"{base}/interactions/{interaction_id}?stream=true") as src:
                async for sse in src.aiter_sse():
                    seen.append(sse.data)
                    if sse.data == "[DONE]":
                        break
                    assert produced(interactions_server, interaction_id) == len(seen)
                    run = interactions_server.store.find(interaction_id)
                    assert run is not None
                    if run.next_event_at(interactions_server.clock.now()) is not None:
                        produce_next(interactions_server, interaction_id)
    assert len(seen) > 5
    assert [e.data for e in the_stream(cassette) if isinstance(e, StreamEvent)] == seen


async def test_a_request_the_client_gives_up_on_is_left_out_of_the_cassette(
    interactions_server: Emulator, tmp_path: Path
) -> None:
    """A timeout cancels a request before any answer: the cassette keeps what was answered, and loads."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # accepts connections and never answers
    host, port = silent.getsockname()
    cassette = tmp_path / "abandoned.yaml"
    try:
        with use_cassette(cassette, "once") as session:
            async with httpx.AsyncClient(headers={"x-goog-api-key": "k"}) as client:
                answered = await client.get(interactions_server.url("/v1beta/interactions/none"))
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(client.get(f"http://{host}:{port}/never"), timeout=0.2)
    finally:
        silent.close()
    assert answered.status_code == 404
    assert len(session.exchanges) == 2  # the test saw both requests
    recorded = load_cassette(cassette).exchanges
    assert [e.request.url for e in recorded] == [interactions_server.url("/v1beta/interactions/none")]
