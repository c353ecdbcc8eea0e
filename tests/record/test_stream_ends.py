"""Stream ends are recorded: an event ended by ``\\r\\r`` or an unterminated tail replay byte-exact."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_sse import connect_sse
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_interactions.cassette import (
    Cassette,
    Exchange,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
    dump,
    event_to_bytes,
    load,
    load_cassette,
)
from pytest_interactions.record._tee import Tee
from pytest_interactions.session import use_cassette
from pytest_interactions.sse import SSEDecoder

ENDINGS = {
    "event ended by CR CR": b"data: first\n\ndata: a\r\r",
    "unterminated tail": b"data: first\n\ndata: never dispatched",
    "tail after CRLF event": b"id: 1\r\ndata: x\r\n\r\nevent: half",
    "lone trailing CR": b"data: first\n\n\r",
}


def read(url: str) -> tuple[bytes, list[str]]:
    """The bytes of the stream, and the data of the events a client dispatches from them."""
    with httpx.Client(timeout=10) as http, connect_sse(http, "GET", url) as source:
        body = b"".join(source.response.iter_raw())
    decoder = SSEDecoder()
    dispatched = [event.data for event in decoder.feed(body, final=True) if event.data is not None]
    return body, dispatched


@pytest.mark.parametrize("case", list(ENDINGS))
def test_the_last_bytes_of_a_stream_are_recorded_and_replayed(
    raw_server: Any, tmp_path: Path, case: str
) -> None:
    sent = ENDINGS[case]
    url = raw_server.respond("/events", sent)
    cassette = tmp_path / "ends.yaml"
    with use_cassette(cassette, "once"):
        received, dispatched = read(url)
    assert received == sent
    assert dispatched[0] in ("first", "x")
    for exchange in load_cassette(cassette).exchanges:
        assert exchange.response is not None
        events = exchange.response.events or []
        assert b"".join(event_to_bytes(e) for e in events if isinstance(e, StreamEvent)) == sent
    raw_server.httpd.shutdown()
    with use_cassette(cassette, "none"):
        assert read(url) == (sent, dispatched)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from([b"data: a", b"id: 1", b"event: x", b":c", b"\r", b"\n", b"\r\n", b"\xe2\x82"])
    ).map(b"".join),
    st.data(),
)
def test_any_stream_in_any_chunks_is_recorded_byte_exact_through_the_cassette(
    stream: bytes, data: st.DataObject
) -> None:
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    response = RecordedResponse(200, [("content-type", "text/event-stream")])
    tee = Tee(response, 0.0, lambda: 0.0)
    for start, end in itertools.pairwise([0, *cuts, len(stream)]):
        tee.feed(stream[start:end])
    tee.finish(early=False)
    cassette = Cassette([Exchange(0.0, RecordedRequest("GET", "http://127.0.0.1:9/events"), response)])
    (exchange,) = load(dump(cassette), Path("property.yaml")).exchanges
    assert exchange.response is not None
    events = exchange.response.events or []
    assert b"".join(event_to_bytes(e) for e in events if isinstance(e, StreamEvent)) == stream
