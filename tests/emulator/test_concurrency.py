"""Many clients at once: streams do not mix, the stream limit answers 503, stop() ends everything."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from typing import Any

import httpx
import pytest
from httpx_sse import aconnect_sse

from pytest_interactions import protocol
from pytest_interactions.emulator import Emulator, answer_for

MODEL = "gemini-3.5-flash"
KEY = {"x-goog-api-key": "test-key"}
STREAMS = 50


async def read_stream(
    client: httpx.AsyncClient, interaction_id: str, opened: asyncio.Event | None = None
) -> list[dict[str, Any]]:
    """The payloads of one stream; sets ``opened`` once the first event arrived."""
    payloads = []
    async with aconnect_sse(
        client, "GET", f"/interactions/{interaction_id}", params={"stream": "true"}
    ) as src:
        async for sse in src.aiter_sse():
            if sse.data == protocol.DONE_DATA:
                break
            payload = json.loads(sse.data)
            assert sse.event == payload["event_type"]
            payloads.append(payload)
            if opened is not None:
                opened.set()
    return payloads


async def wait_until(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.005)


@pytest.mark.interactions_server(manual=True)
async def test_fifty_concurrent_streams_each_get_their_own_complete_sequence(
    interactions_server: Emulator,
) -> None:
    inputs = [f"Question number {n}: what is {n} squared?" for n in range(STREAMS)]
    limits = httpx.Limits(max_connections=STREAMS + 10)
    async with httpx.AsyncClient(
        base_url=interactions_server.base_url + "/v1beta", headers=KEY, timeout=10, limits=limits
    ) as client:
        created = await asyncio.gather(
            *(
                client.post("/interactions", json={"model": MODEL, "input": text, "background": True})
                for text in inputs
            )
        )
        ids = [answer.json()["id"] for answer in created]
        assert len(set(ids)) == STREAMS

        opened = [asyncio.Event() for _ in ids]
        streams = [asyncio.create_task(read_stream(client, i, o)) for i, o in zip(ids, opened, strict=True)]
        # Every stream is open and waiting: time has not moved, so only interaction.created was sent.
        await asyncio.wait_for(asyncio.gather(*(o.wait() for o in opened)), 10)
        assert interactions_server.open_streams == STREAMS

        # Let the runs progress a little at a time, so that all streams interleave.
        while not all(s.done() for s in streams):
            await asyncio.to_thread(interactions_server.advance, 0.1)
            await asyncio.sleep(0.005)
        results = await asyncio.gather(*streams)

    for interaction_id, text, payloads in zip(ids, inputs, results, strict=True):
        kinds = [p["event_type"] for p in payloads]
        assert kinds[0] == protocol.INTERACTION_CREATED
        assert kinds[-1] == protocol.INTERACTION_COMPLETED
        assert payloads[0]["interaction"]["id"] == interaction_id
        assert payloads[-1]["interaction"]["id"] == interaction_id
        assert payloads[-1]["interaction"]["status"] == protocol.COMPLETED
        event_ids = [p["event_id"] for p in payloads]
        assert len(set(event_ids)) == len(event_ids)
        folded = protocol.InteractionFold().extend(payloads).snapshot()
        assert protocol.output_text(folded) == answer_for(text)
        assert folded["id"] == interaction_id
    # Different inputs, different answers: a mixed-up stream could not pass the checks above.
    assert len({answer_for(text) for text in inputs}) == STREAMS
    # The server counts a stream closed once it has written the end, just after the client saw it.
    await wait_until(lambda: interactions_server.open_streams == 0)


@pytest.mark.interactions_server(manual=True, max_streams=2)
async def test_a_stream_beyond_max_streams_gets_503_with_retry_after(interactions_server: Emulator) -> None:
    async with httpx.AsyncClient(
        base_url=interactions_server.base_url + "/v1beta", headers=KEY, timeout=10
    ) as client:
        ids = [
            (
                await client.post(
                    "/interactions", json={"model": MODEL, "input": f"q{n}", "background": True}
                )
            ).json()["id"]
            for n in range(3)
        ]
        opened = [asyncio.Event(), asyncio.Event()]
        held = [asyncio.create_task(read_stream(client, i, o)) for i, o in zip(ids[:2], opened, strict=True)]
        await asyncio.wait_for(asyncio.gather(*(o.wait() for o in opened)), 10)

        refused = await client.get(f"/interactions/{ids[2]}", params={"stream": "true"})
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "1"
        error = refused.json()["error"]
        assert error["code"] == 503
        assert error["status"] == "UNAVAILABLE"
        assert "2 streams" in error["message"]
        # Plain requests are still served while the streams are busy.
        assert (await client.get(f"/interactions/{ids[2]}")).status_code == 200

        interactions_server.advance(60)
        await asyncio.wait_for(asyncio.gather(*held), 10)
        # Once the streams ended (their clients read the end), a new one is served at once.
        again = await asyncio.wait_for(read_stream(client, ids[2]), 10)
        assert again[-1]["event_type"] == protocol.INTERACTION_COMPLETED


async def read_until_completed(
    client: httpx.AsyncClient, interaction_id: str, server: Emulator
) -> tuple[str, int]:
    """As the guide's reconnect loop does: return on ``interaction.completed``, before ``[DONE]``;
    with the status it carries and how many streams the server holds open at that moment."""
    async with aconnect_sse(
        client, "GET", f"/interactions/{interaction_id}", params={"stream": "true"}
    ) as src:
        src.response.raise_for_status()
        async for sse in src.aiter_sse():
            payload = json.loads(sse.data)
            if payload["event_type"] == protocol.INTERACTION_COMPLETED:
                return str(payload["interaction"]["status"]), server.open_streams
    raise AssertionError("the stream ended without interaction.completed")


@pytest.mark.interactions_server(max_streams=1, speed=1000.0)
async def test_a_client_may_open_its_next_stream_as_soon_as_it_read_the_last_one(
    interactions_server: Emulator,
) -> None:
    """A stream's slot is free by the time its client reads the end: no 503 for a correct client."""
    async with httpx.AsyncClient(
        base_url=interactions_server.base_url + "/v1beta", headers=KEY, timeout=10
    ) as client:
        for n in range(10):
            body = {"model": MODEL, "input": f"turn {n}", "background": True}
            interaction_id = (await client.post("/interactions", json=body)).json()["id"]
            status, still_open = await read_until_completed(client, interaction_id, interactions_server)
            assert status == protocol.COMPLETED
            assert still_open == 0, "the stream's slot was still held after its client read the end"


@pytest.mark.interactions_server(manual=True)
async def test_stop_with_open_streams_returns_promptly_and_clients_see_a_transport_error(
    interactions_server: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    base_url = interactions_server.base_url
    async with httpx.AsyncClient(
        base_url=interactions_server.base_url + "/v1beta", headers=KEY, timeout=10
    ) as client:
        ids = [
            (
                await client.post(
                    "/interactions", json={"model": MODEL, "input": f"q{n}", "background": True}
                )
            ).json()["id"]
            for n in range(5)
        ]
        opened = [asyncio.Event() for _ in ids]
        streams = [asyncio.create_task(read_stream(client, i, o)) for i, o in zip(ids, opened, strict=True)]
        await asyncio.wait_for(asyncio.gather(*(o.wait() for o in opened)), 10)

        stopper = threading.Thread(target=interactions_server.stop)
        started = time.monotonic()
        stopper.start()
        await asyncio.to_thread(stopper.join, 5.0)
        assert not stopper.is_alive(), "stop() did not return"
        assert time.monotonic() - started < 5.0

        outcomes = await asyncio.wait_for(asyncio.gather(*streams, return_exceptions=True), 5)
    for outcome in outcomes:
        assert isinstance(outcome, httpx.TransportError), outcome
    # The server shut down quietly: no "Task was destroyed" or aclose() errors from its loop.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []

    with pytest.raises(httpx.ConnectError):  # nothing listens any more
        httpx.get(f"{base_url}/v1beta/interactions/{ids[0]}", headers=KEY, timeout=2)


def test_stop_ends_a_connection_that_let_its_first_cancel_pass() -> None:
    """Python 3.11's ``wait_for`` can swallow a cancel that arrives with the data it waited for,
    leaving a connection waiting for its next request; stop() cancels until every one has ended."""
    started = threading.Event()

    async def stubborn() -> None:
        started.set()
        with contextlib.suppress(asyncio.CancelledError):  # the swallowed cancel
            await asyncio.sleep(3600)
        await asyncio.sleep(3600)  # waiting for a next request that never comes

    emulator = Emulator().start()
    loop, thread, tasks = emulator._loop, emulator._thread, emulator._server._tasks
    assert loop is not None
    assert thread is not None
    loop.call_soon_threadsafe(lambda: tasks.add(loop.create_task(stubborn())))
    assert started.wait(5)
    emulator.stop()
    assert not thread.is_alive(), "the emulator's thread still runs after stop()"
    assert all(task.done() for task in tasks)


@pytest.mark.interactions_server(speed=5000)
def test_blocking_creates_never_hang_however_fast_time_runs(interactions_server: Emulator) -> None:
    """A non-background create answers once its run ended, even when the end falls due mid-check.

    At high speed the last event used to fall due between two clock readings of the wait loop,
    which then waited without a timeout: about one create in ten hung.
    """
    with httpx.Client(base_url=interactions_server.base_url + "/v1beta", headers=KEY, timeout=2) as client:
        for n in range(60):
            answer = client.post("/interactions", json={"model": MODEL, "input": f"question {n}"})
            assert answer.json()["status"] == protocol.COMPLETED
            assert protocol.output_text(answer.json()) == answer_for(f"question {n}")
