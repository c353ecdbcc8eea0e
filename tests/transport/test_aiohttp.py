"""aiohttp clients are recorded and replayed like httpx ones: streams event by event, drops, faults, time.

Recording goes to the emulator over real sockets; replay answers from the cassette with the
emulator stopped, so nothing but the cassette can answer.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path

import aiohttp
import pytest

from pytest_interactions.cassette import Disconnect, SecretPolicy, StreamEvent, load_cassette
from pytest_interactions.clock import real_monotonic
from pytest_interactions.emulator import Emulator, answer_for
from pytest_interactions.faults import FaultPlan
from pytest_interactions.replay import UnmatchedRequestError
from pytest_interactions.session import use_cassette
from tests.conftest import RawServer

HEADERS = {"x-goog-api-key": "k"}
MODEL = "gemini-3.5-flash"


async def create(base: str, text: str) -> str:
    async with (
        aiohttp.ClientSession(base, headers=HEADERS) as http,
        http.post("/v1beta/interactions", json={"model": MODEL, "input": text, "background": True}) as answer,
    ):
        answer.raise_for_status()
        return str((await answer.json())["id"])


async def read_lines(base: str, interaction_id: str) -> tuple[list[str], BaseException | None]:
    """The lines a client reads from a stream, and the error that ended it, if any."""
    lines: list[str] = []
    async with aiohttp.ClientSession(base, headers=HEADERS) as http:
        try:
            async with http.get(f"/v1beta/interactions/{interaction_id}", params={"stream": "true"}) as r:
                async for line in r.content:
                    lines.append(line.decode().rstrip("\n"))
        except aiohttp.ClientError as exc:
            return lines, exc
    return lines, None


def streamed_text(lines: list[str]) -> str:
    payloads = [json.loads(line[6:]) for line in lines if line.startswith("data: {")]
    return "".join(p["delta"]["text"] for p in payloads if p["event_type"] == "step.delta")


def finished(api: Emulator, text: str) -> str:
    interaction_id = asyncio.run(create(api.base_url, text))
    while api.interaction(interaction_id)["status"] != "completed":
        time.sleep(0.01)
    return interaction_id


def test_a_stream_read_through_aiohttp_is_recorded_event_by_event_and_replayed(
    interactions_server: Emulator, tmp_path: Path
) -> None:
    base = interactions_server.base_url
    cassette = tmp_path / "aiohttp.yaml"

    async def session() -> tuple[str, list[str]]:
        interaction_id = await create(base, "What is SSE?")
        lines, error = await read_lines(base, interaction_id)
        assert error is None
        return interaction_id, lines

    with use_cassette(cassette, "once"):
        recorded_id, recorded = asyncio.run(session())
    assert streamed_text(recorded) == answer_for("What is SSE?")
    stream = load_cassette(cassette).exchanges[-1].response
    assert stream is not None
    assert stream.events is not None
    kinds = [e.event for e in stream.events if isinstance(e, StreamEvent)]
    assert kinds[0] == "interaction.created"
    assert "step.delta" in kinds
    assert len(kinds) > 4
    interactions_server.stop()

    with use_cassette(cassette, "none") as replay:
        replayed_id, replayed = asyncio.run(session())
    assert (replayed_id, replayed) == (recorded_id, recorded)
    assert len(replay.exchanges) == 2


def test_an_injected_drop_raises_what_aiohttp_raises_on_a_real_drop(
    interactions_server: Emulator, tmp_path: Path
) -> None:
    base = interactions_server.base_url
    interaction_id = finished(interactions_server, "drops")

    interactions_server.faults.drop_stream(3)
    real_lines, real_error = asyncio.run(read_lines(base, interaction_id))  # a real socket drop
    assert isinstance(real_error, aiohttp.ClientPayloadError)

    cassette = tmp_path / "straight.yaml"
    with use_cassette(cassette, "once"):
        asyncio.run(read_lines(base, interaction_id))  # recorded without any drop
    interactions_server.stop()

    with use_cassette(cassette, "none", faults=FaultPlan().disconnect("after:3"), checks=False):
        injected_lines, injected_error = asyncio.run(read_lines(base, interaction_id))

    assert type(injected_error) is type(real_error)
    assert str(injected_error) == str(real_error)
    assert type(injected_error.__cause__) is type(real_error.__cause__)
    assert str(injected_error.__cause__) == str(real_error.__cause__)
    assert injected_lines == real_lines  # cut at the same point: after the third event


def test_a_drop_while_recording_is_recorded_and_replayed_as_the_same_error(
    interactions_server: Emulator, tmp_path: Path
) -> None:
    base = interactions_server.base_url
    interaction_id = finished(interactions_server, "drops while recording")
    interactions_server.faults.drop_stream(2, mid_event=True)
    cassette = tmp_path / "dropped.yaml"
    with use_cassette(cassette, "once"):
        recorded_lines, recorded_error = asyncio.run(read_lines(base, interaction_id))
    assert isinstance(recorded_error, aiohttp.ClientPayloadError)
    events = load_cassette(cassette).exchanges[-1].response.events  # type: ignore[union-attr]
    assert events is not None
    assert isinstance(events[-1], Disconnect)
    assert events[-1].error == "ClientPayloadError"
    assert events[-1].partial  # the half of the third event that arrived
    interactions_server.stop()

    with use_cassette(cassette, "none", replay="tape"):
        tape_lines, tape_error = asyncio.run(read_lines(base, interaction_id))
    with use_cassette(cassette, "none"):
        server_lines, server_error = asyncio.run(read_lines(base, interaction_id))
    for lines, error in ((tape_lines, tape_error), (server_lines, server_error)):
        assert lines == recorded_lines
        assert type(error) is type(recorded_error)
        assert str(error) == str(recorded_error)


def test_a_refused_reconnect_raises_aiohttps_connector_error(
    interactions_server: Emulator, tmp_path: Path
) -> None:
    base = interactions_server.base_url
    interaction_id = finished(interactions_server, "refused")
    cassette = tmp_path / "straight.yaml"
    with use_cassette(cassette, "once"):
        asyncio.run(read_lines(base, interaction_id))
    interactions_server.stop()

    async def refused() -> BaseException | None:
        async with aiohttp.ClientSession() as http:
            try:
                await http.get(base + "/v1beta/x")
            except aiohttp.ClientError as exc:
                return exc
        return None

    real = asyncio.run(refused())  # the emulator is stopped: its port refuses for real
    plan = FaultPlan().disconnect("after:2").refuse_reconnects(1)
    with use_cassette(cassette, "none", faults=plan, checks=False):
        _, first = asyncio.run(read_lines(base, interaction_id))
        _, second = asyncio.run(read_lines(base, interaction_id))
        _, third = asyncio.run(read_lines(base, interaction_id))
    assert isinstance(first, aiohttp.ClientPayloadError)
    assert type(second) is type(real) is aiohttp.ClientConnectorError
    assert str(second) == str(real)
    assert third is None


def test_replayed_polls_wait_on_virtual_time(interactions_server: Emulator, tmp_path: Path) -> None:
    base = interactions_server.base_url
    cassette = tmp_path / "polls.yaml"

    async def poll_every(seconds: float) -> list[str]:
        interaction_id = await create(base, "How long does it take?")
        statuses: list[str] = []
        async with aiohttp.ClientSession(base, headers=HEADERS) as http:
            while not statuses or statuses[-1] != "completed":
                await asyncio.sleep(seconds)
                async with http.get(f"/v1beta/interactions/{interaction_id}") as answer:
                    statuses.append((await answer.json())["status"])
        return statuses

    with use_cassette(cassette, "once"):
        recorded = asyncio.run(poll_every(0.005))
    interactions_server.stop()

    began = real_monotonic()
    with use_cassette(cassette, "none") as replay:
        replayed = asyncio.run(poll_every(60))  # an hour of waiting, if time were real
    assert real_monotonic() - began < 10
    assert replay.now() >= 60 * len(replayed)
    assert replayed[-1] == "completed"
    assert set(replayed) <= set(recorded)


def test_a_websocket_through_aiohttp_fails_loudly(tmp_path: Path) -> None:
    refused: list[str] = []

    async def connect() -> None:
        async with aiohttp.ClientSession() as http:
            try:
                await http.ws_connect("http://127.0.0.1:9/socket")
            except RuntimeError as exc:  # a client that swallows the error
                refused.append(str(exc))

    # The session fails as it ends, though the client went on.
    upgrade = (
        r"cannot record or replay the aiohttp upgrade \(WebSocket\) request GET http://127.0.0.1:9/socket"
    )
    with pytest.raises(UnmatchedRequestError, match=upgrade), use_cassette(tmp_path / "ws.yaml", "once"):
        asyncio.run(connect())
    assert len(refused) == 1
    assert re.search(upgrade, refused[0])


def test_cookies_an_answer_sets_reach_the_cookie_jar_in_replay(raw_server: RawServer, tmp_path: Path) -> None:
    raw_server.respond(
        "/login",
        b'{"ok": true}',
        headers=[("content-type", "application/json"), ("set-cookie", "session=abc123; Path=/")],
    )
    cassette = tmp_path / "cookies.yaml"
    # This cookie is no secret: keep it in the cassette (Set-Cookie is scrubbed by default).
    policy = SecretPolicy(headers=SecretPolicy().headers - {"set-cookie"})

    async def log_in() -> dict[str, str]:
        jar = aiohttp.CookieJar(unsafe=True)  # the server is an IP address
        url = f"{raw_server.base_url}/login"
        async with aiohttp.ClientSession(cookie_jar=jar) as http, http.get(url) as answer:
            assert (await answer.json()) == {"ok": True}
            return {cookie.key: cookie.value for cookie in http.cookie_jar}

    with use_cassette(cassette, "once", secrets=policy):
        assert asyncio.run(log_in()) == {"session": "abc123"}
    raw_server.httpd.shutdown()
    raw_server.httpd.server_close()
    with use_cassette(cassette, "none", secrets=policy):
        assert asyncio.run(log_in()) == {"session": "abc123"}
