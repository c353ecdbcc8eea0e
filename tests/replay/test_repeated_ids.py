"""A repeated ``id:`` is legal SSE: replay keeps such events; only a resumed connection's repeats go."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from pytest_interactions.cassette import (
    Cassette,
    Disconnect,
    Exchange,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
)
from pytest_interactions.replay import compile_histories
from pytest_interactions.session import use_cassette

REPEATING = b"id: 1\ndata: a\n\nid: 1\ndata: b\n\nid: 2\ndata: c\n\n"
URL = "http://127.0.0.1:9/events"


def test_events_sharing_an_id_in_one_connection_all_replay(raw_server: Any, tmp_path: Path) -> None:
    url = raw_server.respond("/events", REPEATING)
    cassette = tmp_path / "repeating.yaml"
    with use_cassette(cassette, "once"), httpx.Client() as http:
        assert http.get(url).content == REPEATING
    raw_server.httpd.shutdown()
    with use_cassette(cassette, "none"), httpx.Client() as http:
        assert http.get(url).content == REPEATING


def connection(at: float, *events: tuple[str, str], cut: bool) -> Exchange:
    items: list[StreamEvent | Disconnect] = [StreamEvent(0.01, id=i, data=d) for i, d in events]
    if cut:
        items.append(Disconnect(0.02, "RemoteProtocolError", "peer closed connection"))
    response = RecordedResponse(200, [("content-type", "text/event-stream")], events=items)
    return Exchange(at, RecordedRequest("GET", URL), response)


def replayed(*connections: Exchange) -> list[tuple[str | None, str | None]]:
    (history,) = compile_histories(Cassette(list(connections))).values()
    return [(e.event_id, e.record.data) for e in history.events]


def test_a_resumed_connection_that_repeats_delivered_events_adds_only_the_new_ones() -> None:
    first = connection(0.0, ("1", "a"), ("1", "b"), cut=True)
    again = connection(1.0, ("1", "a"), ("1", "b"), ("2", "c"), cut=False)
    assert replayed(first, again) == [("1", "a"), ("1", "b"), ("2", "c")]


def test_a_dialect_whose_ids_repeat_loses_no_event_across_connections() -> None:
    # Ids that count per connection: the second connection's "1" is a new event, not a repeat.
    first = connection(0.0, ("1", "tick a"), ("2", "tick b"), cut=True)
    second = connection(1.0, ("1", "tick c"), ("2", "tick d"), cut=False)
    assert replayed(first, second) == [("1", "tick a"), ("2", "tick b"), ("1", "tick c"), ("2", "tick d")]
