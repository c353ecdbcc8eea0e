"""The emulator through plain HTTP clients: httpx + httpx-sse, and httpx2's native ``client.sse()``.

These tests read as a recipe for a client that does not use the SDK: create in the background,
poll, stream, and resume a dropped stream with ``?last_event_id=``, the way the guide's own
reconnect loop does.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import httpx2
import pytest
from httpx_sse import connect_sse

from pytest_interactions import protocol
from pytest_interactions.emulator import Emulator, answer_for

MODEL = "gemini-3.5-flash"
DEEP_RESEARCH = "deep-research-pro-preview-12-2025"
KEY = {"x-goog-api-key": "test-key"}
DROP_AFTER = 5


def assert_error(response: httpx.Response | httpx2.Response, status: int) -> dict[str, Any]:
    """The response is the API's JSON error: ``{"error": {code, message, status}}``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["error"]
    error = body["error"]
    assert error["code"] == status
    assert isinstance(error["message"], str)
    assert error["message"]
    assert error["status"] == protocol.STATUS_NAMES[status]
    assert "Traceback" not in response.text
    return dict(error)


# -- two clients, one session -----------------------------------------------------------------


@dataclass
class Flavour:
    """How one HTTP library opens an SSE stream, and what it raises on a dropped connection."""

    name: str
    client: Callable[[str], AbstractContextManager[Any]]
    sse: Callable[[Any, str, dict[str, str]], AbstractContextManager[Iterator[Any]]]
    dropped: type[Exception]


@contextmanager
def _httpx_sse(client: httpx.Client, url: str, params: dict[str, str]) -> Iterator[Iterator[Any]]:
    with connect_sse(client, "GET", url, params=params) as source:
        assert source.response.status_code == 200
        yield source.iter_sse()


@contextmanager
def _httpx2_sse(client: httpx2.Client, url: str, params: dict[str, str]) -> Iterator[Iterator[Any]]:
    with client.sse(url, params=params) as source:
        assert source.response.status_code == 200
        yield iter(source)


FLAVOURS = [
    Flavour(
        "httpx+httpx-sse",
        lambda base: httpx.Client(base_url=base, headers=KEY, timeout=10),
        _httpx_sse,
        httpx.RemoteProtocolError,
    ),
    Flavour(
        "httpx2",
        lambda base: httpx2.Client(base_url=base, headers=KEY, timeout=10),
        _httpx2_sse,
        httpx2.RemoteProtocolError,
    ),
]


@pytest.fixture(params=FLAVOURS, ids=lambda f: f.name)
def flavour(request: pytest.FixtureRequest) -> Flavour:
    return request.param  # type: ignore[no-any-return]


@dataclass
class Message:
    """One SSE message as a client saw it: the ``event:`` field and the parsed ``data:``."""

    event: str
    data: str

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.data)  # type: ignore[no-any-return]


def read(
    flavour: Flavour,
    client: Any,
    interaction_id: str,
    last_event_id: str | None = None,
    into: list[Message] | None = None,
) -> list[Message]:
    """Every message of one stream connection, up to and including the ``[DONE]`` sentinel.

    Messages are also appended to ``into`` as they arrive, so that a caller still has them
    when the connection drops and this raises.
    """
    params = {"stream": "true"}
    if last_event_id is not None:
        params["last_event_id"] = last_event_id
    messages = [] if into is None else into
    with flavour.sse(client, f"/interactions/{interaction_id}", params) as events:
        for sse in events:
            messages.append(Message(sse.event, sse.data))
            if sse.data == protocol.DONE_DATA:
                break
    return messages


def poll_until_terminal(client: Any, interaction_id: str, timeout: float = 10.0) -> list[dict[str, Any]]:
    """GET the interaction until its status is terminal; returns every answer seen."""
    seen = []
    deadline = time.monotonic() + timeout
    while True:
        answer = client.get(f"/interactions/{interaction_id}", params={"stream": "false"})
        assert answer.status_code == 200
        seen.append(answer.json())
        if protocol.is_terminal(seen[-1]["status"]):
            return seen
        assert time.monotonic() < deadline, f"still {seen[-1]['status']} after {timeout} s"
        time.sleep(0.01)


def assert_wire_format(messages: list[Message]) -> None:
    """Each message names its type twice (``event:`` and ``event_type``); ids are unique, increasing."""
    *events, done = messages
    assert (done.event, done.data) == (protocol.DONE_EVENT, protocol.DONE_DATA)
    ids = []
    for message in events:
        payload = message.payload
        assert message.event == payload["event_type"]
        ids.append(payload["event_id"])
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)


def test_background_session_with_a_dropped_and_resumed_stream(
    interactions_server: Emulator, flavour: Flavour
) -> None:
    with flavour.client(interactions_server.base_url + "/v1beta") as client:
        created = client.post(
            "/interactions",
            json={"agent": DEEP_RESEARCH, "input": "History of the transistor", "background": True},
        )
        assert created.status_code == 200
        interaction = created.json()
        assert interaction["status"] == protocol.IN_PROGRESS
        assert interaction["id"].startswith("v1_")
        assert interaction["agent"] == DEEP_RESEARCH

        polls = poll_until_terminal(client, interaction["id"])
        statuses = [interaction["status"], *(p["status"] for p in polls)]
        assert statuses[-1] == protocol.COMPLETED
        assert protocol.first_illegal_transition(statuses) is None
        final = polls[-1]

        complete = read(flavour, client, interaction["id"])  # a clean stream, for reference
        assert_wire_format(complete)

        interactions_server.faults.drop_stream(DROP_AFTER, interaction_id=interaction["id"])
        received: list[Message] = []
        with pytest.raises(flavour.dropped) as dropped:
            read(flavour, client, interaction["id"], into=received)
        assert "incomplete chunked read" in str(dropped.value)
        assert len(received) == DROP_AFTER  # every event sent before the drop was delivered

        resumed = read(flavour, client, interaction["id"], last_event_id=received[-1].payload["event_id"])
        assert_wire_format(resumed)

    whole = received + resumed
    assert [m.data for m in whole] == [m.data for m in complete]
    ids = [m.payload["event_id"] for m in whole[:-1]]
    assert len(ids) == len(set(ids)), "an event came twice"
    assert [m.event for m in whole].count(protocol.INTERACTION_CREATED) == 1
    streamed = protocol.InteractionFold().extend(m.payload for m in whole[:-1]).snapshot()
    assert protocol.output_text(streamed) == protocol.output_text(final)
    assert protocol.output_text(final).startswith("Section 1:")


@pytest.mark.interactions_server(manual=True)
def test_resume_a_live_stream_while_the_interaction_runs(interactions_server: Emulator) -> None:
    """A stream dropped mid-run resumes mid-run: the client sees every event exactly once."""
    with httpx.Client(base_url=interactions_server.base_url + "/v1", headers=KEY, timeout=10) as client:
        interaction = client.post(
            "/interactions", json={"model": MODEL, "input": "Why is the sky blue?", "background": True}
        ).json()
        interactions_server.advance(0.3)  # created, step.start, two deltas have happened
        interactions_server.faults.drop_stream(3)
        first: list[Message] = []
        with pytest.raises(httpx.RemoteProtocolError):
            read(FLAVOURS[0], client, interaction["id"], into=first)
        assert len(first) == 3
        assert client.get(f"/interactions/{interaction['id']}").json()["status"] == protocol.IN_PROGRESS

        interactions_server.advance(60)
        rest = read(FLAVOURS[0], client, interaction["id"], last_event_id=first[-1].payload["event_id"])

    text = "".join(m.payload["delta"]["text"] for m in first + rest[:-1] if m.event == protocol.STEP_DELTA)
    assert text == answer_for("Why is the sky blue?")
    assert_wire_format(first + rest)


# -- the wire itself --------------------------------------------------------------------------------


@pytest.fixture
def http(interactions_server: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=interactions_server.base_url + "/v1beta", headers=KEY, timeout=10) as client:
        yield client


@pytest.fixture
def finished(http: httpx.Client) -> dict[str, Any]:
    """A completed interaction (a non-background create waits for the end)."""
    answer = http.post("/interactions", json={"model": MODEL, "input": "Tell me about tides"})
    assert answer.status_code == 200
    assert answer.json()["status"] == protocol.COMPLETED
    return answer.json()  # type: ignore[no-any-return]


def blocks(body: bytes) -> list[list[str]]:
    """The lines of each SSE message, read straight from the bytes (no SSE library involved)."""
    text = body.decode("utf-8")
    assert text.endswith("\n\n")
    return [block.split("\n") for block in text[:-2].split("\n\n")]


def test_every_message_has_an_event_line_matching_event_type(
    http: httpx.Client, finished: dict[str, Any]
) -> None:
    answer = http.get(f"/interactions/{finished['id']}", params={"stream": "true"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/event-stream"
    *messages, done = blocks(answer.content)
    assert done == ["event: done", "data: [DONE]"]
    ids = []
    for lines in messages:
        assert len(lines) == 2, lines
        event_line, data_line = lines
        assert event_line.startswith("event: ")
        assert data_line.startswith("data: ")
        payload = json.loads(data_line.removeprefix("data: "))
        assert event_line.removeprefix("event: ") == payload["event_type"]
        ids.append(payload["event_id"])
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    kinds = [json.loads(lines[1][6:])["event_type"] for lines in messages]
    assert kinds[0] == protocol.INTERACTION_CREATED
    assert kinds[-1] == protocol.INTERACTION_COMPLETED
    assert protocol.STEP_DELTA in kinds


def test_include_input_adds_the_user_input_step(http: httpx.Client, finished: dict[str, Any]) -> None:
    plain = http.get(f"/interactions/{finished['id']}", params={"stream": "false"}).json()
    full = http.get(
        f"/interactions/{finished['id']}", params={"stream": "false", "include_input": "true"}
    ).json()
    assert full["steps"] == [
        {"type": "user_input", "content": [{"type": "text", "text": "Tell me about tides"}]},
        *plain["steps"],
    ]


def test_a_streaming_create_answers_with_the_event_stream(http: httpx.Client) -> None:
    with connect_sse(
        http, "POST", "/interactions", json={"model": MODEL, "input": "hi", "stream": True}
    ) as src:
        assert src.response.headers["content-type"] == "text/event-stream"
        messages = [Message(sse.event, sse.data) for sse in src.iter_sse()]
    assert_wire_format(messages)
    assert messages[0].event == protocol.INTERACTION_CREATED
    assert messages[-2].payload["interaction"]["status"] == protocol.COMPLETED


def test_a_resumed_stream_starts_right_after_the_given_id(
    http: httpx.Client, finished: dict[str, Any]
) -> None:
    complete = read(FLAVOURS[0], http, finished["id"])
    ids = [m.payload["event_id"] for m in complete[:-1]]
    for k in (0, 2, len(ids) - 2):
        resumed = read(FLAVOURS[0], http, finished["id"], last_event_id=ids[k])
        assert [m.payload["event_id"] for m in resumed[:-1]] == ids[k + 1 :]
        assert protocol.INTERACTION_CREATED not in [m.event for m in resumed]
        assert resumed[-1].data == protocol.DONE_DATA


def test_resuming_after_the_last_event_gives_only_the_sentinel(
    http: httpx.Client, finished: dict[str, Any]
) -> None:
    last = read(FLAVOURS[0], http, finished["id"])[-2].payload["event_id"]
    resumed = read(FLAVOURS[0], http, finished["id"], last_event_id=last)
    assert [(m.event, m.data) for m in resumed] == [("done", "[DONE]")]


@pytest.mark.parametrize("last_event_id", ["evt_999999", "nonsense", ""])
def test_an_unknown_last_event_id_is_a_400(
    http: httpx.Client, finished: dict[str, Any], last_event_id: str
) -> None:
    answer = http.get(
        f"/interactions/{finished['id']}", params={"stream": "true", "last_event_id": last_event_id}
    )
    error = assert_error(answer, 400)
    assert last_event_id in error["message"]


@pytest.mark.interactions_server(manual=True)
def test_an_event_id_that_has_not_happened_yet_is_a_400(
    interactions_server: Emulator, http: httpx.Client
) -> None:
    interaction = http.post("/interactions", json={"model": MODEL, "input": "x", "background": True}).json()
    answer = http.get(
        f"/interactions/{interaction['id']}", params={"stream": "true", "last_event_id": "evt_000003"}
    )
    assert_error(answer, 400)
    interactions_server.advance(60)
    answer = http.get(
        f"/interactions/{interaction['id']}", params={"stream": "true", "last_event_id": "evt_000003"}
    )
    assert answer.status_code == 200


# -- paths and auth -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "auth"),
    [
        ("/v1", {"x-goog-api-key": "k"}),
        ("/v1beta", {"x-goog-api-key": "k"}),
        ("/v1alpha", {"x-goog-api-key": "k"}),
        ("/v1/projects/p/locations/l", {"authorization": "Bearer token"}),
        ("/v1beta1/projects/my-project/locations/us-central1", {"authorization": "Bearer token"}),
    ],
)
def test_every_api_version_and_vertex_paths(
    interactions_server: Emulator, prefix: str, auth: dict[str, str]
) -> None:
    with httpx.Client(base_url=interactions_server.base_url + prefix, headers=auth, timeout=10) as client:
        created = client.post("/interactions", json={"model": MODEL, "input": "hello", "background": True})
        assert created.status_code == 200
        interaction_id = created.json()["id"]
        assert client.get(f"/interactions/{interaction_id}", params={"stream": "false"}).status_code == 200
        stream = client.get(f"/interactions/{interaction_id}", params={"stream": "true"})
        assert stream.status_code == 200
        assert stream.text.endswith("event: done\ndata: [DONE]\n\n")
        assert client.post(f"/interactions/{interaction_id}/cancel").status_code == 200
        assert client.delete(f"/interactions/{interaction_id}").status_code == 200
        assert_error(client.get(f"/interactions/{interaction_id}"), 404)


@pytest.mark.parametrize(
    ("headers", "params"),
    [
        ({"x-goog-api-key": "k"}, {}),
        ({}, {"key": "k"}),
        ({"authorization": "Bearer ya29.token"}, {}),
        ({"Authorization": "bearer ya29.token"}, {}),
    ],
    ids=["x-goog-api-key", "query-key", "bearer", "bearer-lowercase"],
)
def test_accepted_credentials(
    interactions_server: Emulator, headers: dict[str, str], params: dict[str, str]
) -> None:
    answer = httpx.post(
        interactions_server.url("/v1beta/interactions"),
        json={"model": MODEL, "input": "hi", "background": True},
        headers=headers,
        params=params,
    )
    assert answer.status_code == 200


@pytest.mark.parametrize(
    "headers",
    [{}, {"authorization": "Basic dXNlcjpwYXNz"}, {"x-goog-api-key": ""}],
    ids=["none", "basic-auth", "empty-key"],
)
def test_no_credentials_is_a_403(interactions_server: Emulator, headers: dict[str, str]) -> None:
    answer = httpx.post(
        interactions_server.url("/v1beta/interactions"), json={"model": MODEL, "input": "hi"}, headers=headers
    )
    assert "API Key" in assert_error(answer, 403)["message"]
    assert interactions_server.store.runs() == []  # nothing was created


@pytest.mark.interactions_server(api_keys={"good-key"})
def test_a_key_outside_the_configured_set_is_rejected(interactions_server: Emulator) -> None:
    url = interactions_server.url("/v1beta/interactions")
    body = {"model": MODEL, "input": "hi", "background": True}
    assert httpx.post(url, json=body, headers={"x-goog-api-key": "good-key"}).status_code == 200
    assert (
        "API key not valid" in assert_error(httpx.post(url, json=body, params={"key": "bad"}), 400)["message"]
    )
