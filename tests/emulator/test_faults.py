"""Fault injection: real disconnects, stalls, refusals and error answers, as clients really see them."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from httpx_sse import connect_sse

from pytest_interactions import protocol
from pytest_interactions.emulator import Emulator
from pytest_interactions.sse import SSEDecoder

MODEL = "gemini-3.5-flash"
KEY = {"x-goog-api-key": "test-key"}
DROPPED = "peer closed connection without sending complete message body (incomplete chunked read)"


@pytest.fixture
def http(interactions_server: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=interactions_server.base_url + "/v1beta", headers=KEY, timeout=10) as client:
        yield client


def create(http: httpx.Client, text: str = "Tell me about tides") -> str:
    """A completed interaction's id (its stream replays every event at once)."""
    answer = http.post("/interactions", json={"model": MODEL, "input": text})
    assert answer.status_code == 200
    return str(answer.json()["id"])


def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.005)


def stream_events(
    http: httpx.Client,
    interaction_id: str,
    into: list[dict[str, Any]] | None = None,
    timeout: httpx.Timeout | None = None,
    **params: str,
) -> list[dict[str, Any]]:
    """The payloads of one stream connection, also appended to ``into`` as they arrive.

    A dropped connection raises out of here; ``into`` then holds what came before the drop.
    """
    payloads: list[dict[str, Any]] = [] if into is None else into
    query = {"stream": "true", **params}
    extra = {} if timeout is None else {"timeout": timeout}
    with connect_sse(http, "GET", f"/interactions/{interaction_id}", params=query, **extra) as source:
        for sse in source.iter_sse():
            if sse.data == protocol.DONE_DATA:
                break
            payload = json.loads(sse.data)
            assert sse.event == payload["event_type"]
            payloads.append(payload)
    return payloads


def kinds(payloads: list[dict[str, Any]]) -> list[str]:
    return [p["event_type"] for p in payloads]


# -- drops -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("after", [0, 1, 4])
def test_drop_after_n_events(interactions_server: Emulator, http: httpx.Client, after: int) -> None:
    interaction_id = create(http)
    complete = stream_events(http, interaction_id)

    interactions_server.faults.drop_stream(after)
    received: list[dict[str, Any]] = []
    with pytest.raises(httpx.RemoteProtocolError) as dropped:
        stream_events(http, interaction_id, into=received)
    assert str(dropped.value) == DROPPED
    assert received == complete[:after]  # what was sent before the drop was delivered, in order
    # The server logs a stream when it ends, which may be just after the client saw the drop.
    wait_for(lambda: [e.outcome for e in interactions_server.exchanges if e.streamed] == ["ok", "dropped"])

    # The fault was used up: the next stream is whole.
    assert stream_events(http, interaction_id) == complete


def test_a_drop_after_more_events_than_the_stream_has_never_fires(
    interactions_server: Emulator, http: httpx.Client
) -> None:
    interaction_id = create(http)
    interactions_server.faults.drop_stream(1000)
    assert stream_events(http, interaction_id)[-1]["event_type"] == protocol.INTERACTION_COMPLETED


def test_a_mid_event_drop_delivers_a_partial_event_that_is_not_dispatched(
    interactions_server: Emulator, http: httpx.Client
) -> None:
    interaction_id = create(http)
    interactions_server.faults.drop_stream(2, mid_event=True)

    raw = bytearray()

    def read_bytes() -> None:
        with http.stream("GET", f"/interactions/{interaction_id}", params={"stream": "true"}) as response:
            for chunk in response.iter_raw():
                raw.extend(chunk)

    with pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"):
        read_bytes()

    decoder = SSEDecoder()
    events = decoder.feed(bytes(raw))
    assert [e.event for e in events] == [protocol.INTERACTION_CREATED, protocol.STEP_START]
    assert decoder.pending.startswith(b"event: step.delta\n")  # half of the third event arrived
    assert not decoder.pending.endswith(b"\n\n")

    # httpx-sse, like any SSE parser, does not dispatch the half event either.
    interactions_server.faults.drop_stream(2, mid_event=True)
    seen: list[dict[str, Any]] = []
    with pytest.raises(httpx.RemoteProtocolError):
        stream_events(http, interaction_id, into=seen)
    assert kinds(seen) == [protocol.INTERACTION_CREATED, protocol.STEP_START]


def test_times_drops_several_streams_in_a_row(interactions_server: Emulator, http: httpx.Client) -> None:
    interaction_id = create(http)
    interactions_server.faults.drop_stream(3, times=2)
    collected: list[dict[str, Any]] = []
    drops = 0
    while True:
        params = {"last_event_id": collected[-1]["event_id"]} if collected else {}
        try:
            stream_events(http, interaction_id, into=collected, **params)
            break
        except httpx.RemoteProtocolError:
            drops += 1
            assert drops <= 2
    assert drops == 2
    assert len(collected) > 6
    assert collected == stream_events(http, interaction_id)  # each event exactly once, in order


def test_interaction_id_targets_one_interaction(interactions_server: Emulator, http: httpx.Client) -> None:
    spared, target = create(http, "first"), create(http, "second")
    interactions_server.faults.drop_stream(2, interaction_id=target)

    assert stream_events(http, spared)[-1]["event_type"] == protocol.INTERACTION_COMPLETED
    with pytest.raises(httpx.RemoteProtocolError):
        stream_events(http, target)
    assert stream_events(http, target)[-1]["event_type"] == protocol.INTERACTION_COMPLETED


def test_bad_fault_arguments(interactions_server: Emulator) -> None:
    with pytest.raises(ValueError, match="after_events"):
        interactions_server.faults.drop_stream(-1)
    with pytest.raises(ValueError, match="times"):
        interactions_server.faults.stall_stream(1.0, times=0)


# -- stalls ------------------------------------------------------------------------------------------


def test_a_stall_longer_than_the_read_timeout_is_a_read_timeout(
    interactions_server: Emulator, http: httpx.Client
) -> None:
    interaction_id = create(http)
    interactions_server.faults.stall_stream(2.0, after_events=2)
    received: list[dict[str, Any]] = []
    with pytest.raises(httpx.ReadTimeout):
        stream_events(http, interaction_id, into=received, timeout=httpx.Timeout(10, read=0.2))
    assert kinds(received) == [protocol.INTERACTION_CREATED, protocol.STEP_START]


def test_a_short_stall_only_delays_the_stream(interactions_server: Emulator, http: httpx.Client) -> None:
    interaction_id = create(http)
    complete = stream_events(http, interaction_id)
    interactions_server.faults.stall_stream(0.1, after_events=1)
    assert stream_events(http, interaction_id) == complete


# -- refusals ------------------------------------------------------------------------------------------


def test_refused_connections_fail_then_the_next_one_succeeds(interactions_server: Emulator) -> None:
    url = interactions_server.url("/v1beta/interactions")
    body = {"model": MODEL, "input": "hi", "background": True}
    interactions_server.faults.refuse_connections(2)
    for _ in range(2):
        with pytest.raises(httpx.TransportError):  # a reset: ReadError / RemoteProtocolError
            httpx.post(url, json=body, headers=KEY)  # a new client: a new connection each time
    assert httpx.post(url, json=body, headers=KEY).status_code == 200
    assert len(interactions_server.requests) == 1  # the refused connections never made a request


# -- rejections -----------------------------------------------------------------------------------------


@pytest.mark.interactions_server(speed=1.0)
def test_reject_with_retry_after(interactions_server: Emulator, http: httpx.Client) -> None:
    interactions_server.faults.reject(429, retry_after=2.5)
    answer = http.post("/interactions", json={"model": MODEL, "input": "hi", "background": True})
    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "3"  # whole seconds, rounded up
    assert answer.headers["retry-after-ms"] == "2500"
    assert answer.json()["error"] == {
        "code": 429,
        "message": "Resource has been exhausted (e.g. check quota).",
        "status": "RESOURCE_EXHAUSTED",
    }
    assert (
        http.post("/interactions", json={"model": MODEL, "input": "hi", "background": True}).status_code
        == 200
    )


@pytest.mark.interactions_server(speed=100.0)
def test_retry_after_is_real_time_at_the_emulator_speed(
    interactions_server: Emulator, http: httpx.Client
) -> None:
    interactions_server.faults.reject(503, retry_after=50)  # 50 scenario seconds: 0.5 s at speed 100
    answer = http.post("/interactions", json={"model": MODEL, "input": "hi"})
    assert answer.status_code == 503
    assert answer.headers["retry-after-ms"] == "500"
    assert answer.headers["retry-after"] == "1"


def test_reject_without_retry_after_has_no_retry_headers(
    interactions_server: Emulator, http: httpx.Client
) -> None:
    interactions_server.faults.reject(500, message="boom")
    answer = http.post("/interactions", json={"model": MODEL, "input": "hi"})
    assert answer.json()["error"] == {"code": 500, "message": "boom", "status": "INTERNAL"}
    assert "retry-after" not in answer.headers


def test_reject_times_and_operation(interactions_server: Emulator, http: httpx.Client) -> None:
    interaction_id = create(http)
    interactions_server.faults.reject(503, times=2, operation="get")

    # Other operations pass untouched.
    assert (
        http.post("/interactions", json={"model": MODEL, "input": "hi", "background": True}).status_code
        == 200
    )
    assert http.get(f"/interactions/{interaction_id}").status_code == 503
    assert http.get(f"/interactions/{interaction_id}", params={"stream": "true"}).status_code == 503
    assert http.get(f"/interactions/{interaction_id}").status_code == 200


def test_reject_on_cancel_and_delete(interactions_server: Emulator, http: httpx.Client) -> None:
    interaction_id = create(http)
    interactions_server.faults.reject(409, operation="delete")
    interactions_server.faults.reject(503, operation="cancel")
    assert http.post(f"/interactions/{interaction_id}/cancel").status_code == 503
    assert http.delete(f"/interactions/{interaction_id}").status_code == 409
    assert http.delete(f"/interactions/{interaction_id}").status_code == 200


def test_rejections_apply_after_authentication(interactions_server: Emulator) -> None:
    interactions_server.faults.reject(429)
    url = interactions_server.url("/v1beta/interactions")
    assert httpx.post(url, json={"model": MODEL, "input": "hi"}).status_code == 403
    assert httpx.post(url, json={"model": MODEL, "input": "hi"}, headers=KEY).status_code == 429


def test_clear_forgets_every_fault(interactions_server: Emulator, http: httpx.Client) -> None:
    interaction_id = create(http)
    interactions_server.faults.reject(429, times=5)
    interactions_server.faults.drop_stream(1)
    interactions_server.faults.refuse_connections(3)
    interactions_server.faults.clear()
    assert http.get(f"/interactions/{interaction_id}").status_code == 200
    assert stream_events(http, interaction_id)[-1]["event_type"] == protocol.INTERACTION_COMPLETED
    assert (
        httpx.get(interactions_server.url(f"/v1beta/interactions/{interaction_id}"), headers=KEY).status_code
        == 200
    )
