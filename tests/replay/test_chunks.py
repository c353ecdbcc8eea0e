"""Events recorded close together reach the client in one chunk, as a network read would bring them.

The recording (``bursts.yaml``) has three bursts: ``evt_2``..``evt_5`` within a millisecond, ``evt_6`` and
``evt_7`` a second later, then the end. ``interaction.created`` carries a status, so it closes
its chunk; so does any position a fault cuts at.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from httpx_sse import aconnect_sse, connect_sse

from pytest_interactions.faults import FaultPlan
from pytest_interactions.session import ProtocolCheckError, use_cassette

BASE = "http://127.0.0.1:1/v1beta"
CASSETTE = Path(__file__).with_name("bursts.yaml")


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    path = tmp_path / "bursts.yaml"
    path.write_bytes(CASSETTE.read_bytes())
    return path


def event_id(data: str) -> str:
    return "[DONE]" if data == "[DONE]" else str(json.loads(data)["event_id"])


def chunk_ids(http: httpx.Client, url: str) -> list[list[str]]:
    """The event ids in each chunk the client is handed."""
    with http.stream("GET", url) as response:
        return [
            [line.split('"event_id":"')[1].split('"')[0] for line in chunk.split("\n") if "event_id" in line]
            for chunk in response.iter_text()
        ]


def test_events_recorded_within_a_millisecond_arrive_in_one_chunk(recorded: Path) -> None:
    with use_cassette(recorded, "none"), httpx.Client(base_url=BASE) as http:
        http.post("/interactions", json={"model": "m", "input": "hi", "background": True})
        chunks = chunk_ids(http, "/interactions/v1_a?stream=true")
    assert chunks == [["evt_1"], ["evt_2", "evt_3", "evt_4", "evt_5"], ["evt_6", "evt_7"], ["evt_8"], []]


def test_a_chunk_arrives_at_the_moment_of_its_last_event(recorded: Path) -> None:
    with use_cassette(recorded, "none") as session, httpx.Client(base_url=BASE) as http:
        http.post("/interactions", json={"model": "m", "input": "hi", "background": True})
        with connect_sse(http, "GET", "/interactions/v1_a?stream=true") as source:
            seen = [(event_id(event.data), round(session.now(), 4)) for event in source.iter_sse()]
    times = dict(seen)
    assert times["evt_2"] == times["evt_5"] == pytest.approx(0.1108, abs=1e-4)
    assert times["evt_6"] == times["evt_7"] == pytest.approx(1.1105, abs=1e-4)
    (connection,) = session.transcript.connections
    assert [d.event_id for d in connection.deliveries] == [f"evt_{n}" for n in range(1, 9)]
    assert connection.reached_end


def test_a_cut_splits_a_burst_where_it_falls(recorded: Path) -> None:
    faults = FaultPlan().disconnect("after:3")
    with use_cassette(recorded, "none", faults=faults), httpx.Client(base_url=BASE) as http:
        http.post("/interactions", json={"model": "m", "input": "hi", "background": True})
        with http.stream("GET", "/interactions/v1_a?stream=true") as response:
            chunks: list[int] = []
            with pytest.raises(httpx.RemoteProtocolError):
                chunks.extend(chunk.count(b"event_id") for chunk in response.iter_raw())
        assert chunks == [1, 2]  # evt_1, then evt_2 and evt_3: the cut falls after evt_3
        with http.stream("GET", "/interactions/v1_a?stream=true&last_event_id=evt_3") as response:
            assert [chunk.count(b"event_id") for chunk in response.iter_raw()] == [2, 2, 1, 0]


def read_then_close(http: httpx.Client, url: str, count: int) -> list[str]:
    """Read ``count`` events of a stream, then close it (what a client that gives up does)."""
    with connect_sse(http, "GET", url) as source:
        ids = []
        for event in source.iter_sse():
            if event.data == "[DONE]":
                continue
            ids.append(event_id(event.data))
            if len(ids) == count:
                break
    return ids


def test_a_client_that_closes_inside_a_chunk_may_resume_from_what_it_read(recorded: Path) -> None:
    # The client read evt_1..evt_3 of evt_2..evt_5's chunk and closed: resuming from evt_3 is right.
    with use_cassette(recorded, "none", checks=True) as session, httpx.Client(base_url=BASE) as http:
        http.post("/interactions", json={"model": "m", "input": "hi", "background": True})
        read = read_then_close(http, "/interactions/v1_a?stream=true", 3)
        assert read == ["evt_1", "evt_2", "evt_3"]
        rest = read_then_close(http, "/interactions/v1_a?stream=true&last_event_id=evt_3", 99)
        assert rest == ["evt_4", "evt_5", "evt_6", "evt_7", "evt_8"]
    first, second = session.transcript.connections
    assert first.received == ["evt_1", "evt_2", "evt_3"]
    assert second.received == ["evt_4", "evt_5", "evt_6", "evt_7", "evt_8"]


def test_resuming_from_inside_a_chunk_the_client_finished_is_named(recorded: Path) -> None:
    # A cut after evt_5: the client had the whole chunk evt_2..evt_5 and asked for more.
    faults = FaultPlan().disconnect("after:5")
    mistake = pytest.raises(
        ProtocolCheckError,
        match=r"\[resume\] reconnect #2 to v1_a at t=[\d.]+s carried last_event_id=evt_3, an earlier event "
        r"than the last one fully received \(the events after it would arrive twice\); expected "
        r"last_event_id=evt_5",
    )
    session = use_cassette(recorded, "none", faults=faults, checks=True)
    with mistake, session, httpx.Client(base_url=BASE) as http:
        http.post("/interactions", json={"model": "m", "input": "hi", "background": True})
        with pytest.raises(httpx.RemoteProtocolError):
            read_then_close(http, "/interactions/v1_a?stream=true", 99)
        read_then_close(http, "/interactions/v1_a?stream=true&last_event_id=evt_3", 99)


def test_a_client_that_stops_inside_a_chunk_is_told_what_may_have_reached_it(recorded: Path) -> None:
    incomplete = pytest.raises(
        ProtocolCheckError,
        # It read evt_3, but all the transport can tell is that the chunk evt_2..evt_5 reached it.
        match=r"\[complete\] the client stopped reading the stream of v1_a after evt_2 \(2 of 8 events "
        r"received; evt_3\.\.evt_5 arrived with evt_2 in one chunk and may have been read too\)",
    )
    with incomplete, use_cassette(recorded, "none", checks=True), httpx.Client(base_url=BASE) as http:
        http.post("/interactions", json={"model": "m", "input": "hi", "background": True})
        read_then_close(http, "/interactions/v1_a?stream=true", 3)


def test_the_session_logs_every_event_served_with_its_time(recorded: Path) -> None:
    with use_cassette(recorded, "none") as session, httpx.Client(base_url=BASE) as http:
        http.post("/interactions", json={"model": "m", "input": "hi", "background": True})
        read_then_close(http, "/interactions/v1_a?stream=true", 99)
    served = session.exchanges[-1].response
    assert served is not None
    assert served.events is not None
    # Times count from the connection (opened at 0: the recording's stream began 0.1 s in).
    assert [(round(e.at, 4), e.event) for e in served.events] == [
        (0.11, "interaction.created"),
        (0.1108, "step.start"),
        *[(0.1108, "step.delta")] * 3,
        (1.1105, "step.delta"),
        (1.1105, "step.stop"),
        (2.1, "interaction.completed"),
        (2.1, "done"),
    ]


async def aread_then_close(http: httpx.AsyncClient, url: str, count: int) -> list[str]:
    """``read_then_close`` for an async client: leaving the loop closes the stream."""
    async with aconnect_sse(http, "GET", url) as source:
        ids = []
        async for event in source.aiter_sse():
            if event.data != "[DONE]":
                ids.append(event_id(event.data))
            if len(ids) == count:
                break
    return ids


async def test_an_async_client_that_closes_inside_a_chunk_may_resume_from_what_it_read(
    recorded: Path,
) -> None:
    with use_cassette(recorded, "none", checks=True) as session:
        async with httpx.AsyncClient(base_url=BASE) as http:
            await http.post("/interactions", json={"model": "m", "input": "hi", "background": True})
            assert await aread_then_close(http, "/interactions/v1_a?stream=true", 3) == [
                "evt_1",
                "evt_2",
                "evt_3",
            ]
            rest = await aread_then_close(http, "/interactions/v1_a?stream=true&last_event_id=evt_3", 99)
            assert rest == ["evt_4", "evt_5", "evt_6", "evt_7", "evt_8"]
    first, second = session.transcript.connections
    assert first.closed_early
    assert (first.received, second.resume_from) == (["evt_1", "evt_2", "evt_3"], "evt_3")


def test_what_was_served_can_be_read_while_the_stream_goes_on(recorded: Path) -> None:
    with use_cassette(recorded, "none") as session, httpx.Client(base_url=BASE) as http:
        http.post("/interactions", json={"model": "m", "input": "hi", "background": True})
        with connect_sse(http, "GET", "/interactions/v1_a?stream=true") as source:
            events = source.iter_sse()
            next(events), next(events)  # evt_1, then evt_2 of the chunk evt_2..evt_5
            (connection,) = session.transcript.connections
            served = session.exchanges[-1].response
            assert served is not None
            assert [d.event_id for d in connection.deliveries] == [
                "evt_1",
                "evt_2",
                "evt_3",
                "evt_4",
                "evt_5",
            ]
            assert len(served.events or []) == 5
            rest = [event.data for event in events]
    assert len(rest) == 7  # evt_3..evt_8 and [DONE]
    assert [d.event_id for d in connection.deliveries] == [f"evt_{n}" for n in range(1, 9)]
    assert connection.received == [f"evt_{n}" for n in range(1, 9)]
    assert [e.event for e in served.events or []][-3:] == ["step.stop", "interaction.completed", "done"]
    assert len(served.events or []) == 9
