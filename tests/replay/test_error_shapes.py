"""Errors that replay makes up look like the API's own: code branching on them behaves alike.

Each test meets an error for real, against the emulator, and the same error made up by replay, and
compares them field by field through the exceptions the google-genai SDK raises.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from google import genai
from google.genai._interactions import APIStatusError, BadRequestError

from pytest_interactions.emulator import Emulator
from pytest_interactions.faults import FaultPlan
from pytest_interactions.replay import UnmatchedRequestError
from pytest_interactions.session import use_cassette

MODEL = "gemini-3.5-flash"


@pytest.fixture
def api() -> Iterator[Emulator]:
    """An emulator whose scenario time moves only when the test says: a run stays in progress."""
    with Emulator(manual=True) as emulator:
        yield emulator


def sdk(base_url: str) -> genai.Client:
    return genai.Client(api_key="k", http_options={"base_url": base_url, "api_version": "v1beta"})


def fields(error: APIStatusError, *ids: str) -> dict[str, Any]:
    """What code branching on an error reads: its class, HTTP status and body (ids made neutral)."""
    body = error.body if isinstance(error.body, dict) else {}
    message = str(body.get("error", {}).get("message", ""))
    for n, interaction_id in enumerate(ids):
        message = message.replace(interaction_id, f"<id{n}>")
    return {
        "class": type(error),
        "status_code": error.status_code,
        "code": body.get("error", {}).get("code"),
        "status": body.get("error", {}).get("status"),
        "message": message,
        "keys": sorted(body.get("error", {})),
    }


def chain(client: genai.Client, previous: str) -> Any:
    return client.interactions.create(
        model=MODEL, input="and then?", previous_interaction_id=previous, background=True
    )


def early_chain_error(client: genai.Client) -> tuple[BadRequestError, str]:
    first = client.interactions.create(model=MODEL, input="Hello", background=True)
    with pytest.raises(BadRequestError) as caught:
        chain(client, first.id)
    return caught.value, first.id


def test_an_early_chain_made_up_by_replay_is_the_apis_failed_precondition(
    api: Emulator, tmp_path: Path
) -> None:
    client = sdk(api.base_url)
    real, real_first = early_chain_error(client)  # the emulator's own answer

    cassette = tmp_path / "patient.yaml"
    with use_cassette(cassette, "once", recording_clock=api.clock.now):
        first = client.interactions.create(model=MODEL, input="Hello", background=True)
        api.advance(60)
        assert client.interactions.get(first.id).status == "completed"
        chain(client, first.id)  # recorded after the first run ended: accepted, no refusal on tape
    api.stop()

    with use_cassette(cassette, "none", checks=False):
        replayed, replayed_first = early_chain_error(client)  # this time the client does not wait
    assert fields(replayed, replayed_first) == fields(real, real_first)
    assert fields(replayed)["status"] == "FAILED_PRECONDITION"


def test_an_early_chain_recorded_is_answered_as_recorded(api: Emulator, tmp_path: Path) -> None:
    client = sdk(api.base_url)
    cassette = tmp_path / "hasty.yaml"
    with use_cassette(cassette, "once", recording_clock=api.clock.now):
        recorded, first = early_chain_error(client)
        api.advance(60)
        chain(client, first)
    api.stop()

    with use_cassette(cassette, "none", checks=False):
        replayed, _ = early_chain_error(client)
    assert fields(replayed) == fields(recorded)
    assert replayed.body == recorded.body


def test_an_unknown_last_event_id_is_the_apis_invalid_argument(api: Emulator, tmp_path: Path) -> None:
    client = sdk(api.base_url)
    cassette = tmp_path / "stream.yaml"
    with use_cassette(cassette, "once", recording_clock=api.clock.now):
        first = client.interactions.create(model=MODEL, input="Hello", background=True)
        api.advance(60)
        with client.interactions.get(first.id, stream=True) as stream:
            list(stream)
    with pytest.raises(BadRequestError) as real:
        client.interactions.get(first.id, stream=True, last_event_id="evt_999999")
    api.stop()

    named = pytest.raises(
        UnmatchedRequestError, match="from last_event_id=evt_999999, an event id the stream"
    )
    # The replay fails the session, naming the unknown id; the client meets the API's answer.
    with named, use_cassette(cassette, "none", checks=False), pytest.raises(BadRequestError) as replayed:
        client.interactions.get(first.id, stream=True, last_event_id="evt_999999")
    assert fields(replayed.value, first.id) == fields(real.value, first.id)


@pytest.mark.parametrize("status", [429, 503])
def test_an_injected_poll_error_is_the_apis_own(status: int, api: Emulator, tmp_path: Path) -> None:
    """Raw httpx sees the same status, body and Retry-After headers as from the emulator's faults."""
    http = httpx.Client(base_url=api.base_url + "/v1beta", headers={"x-goog-api-key": "k"})
    cassette = tmp_path / "poll.yaml"
    with use_cassette(cassette, "once", recording_clock=api.clock.now):
        first = http.post("/interactions", json={"model": MODEL, "input": "Hello", "background": True}).json()
        api.advance(60)
        http.get(f"/interactions/{first['id']}")
    api.faults.reject(status, retry_after=2, operation="get")
    real = http.get(f"/interactions/{first['id']}")
    api.stop()

    plan = FaultPlan().fail_polls(status, retry_after=2)
    with use_cassette(cassette, "none", faults=plan, checks=False) as session:
        http.post("/interactions", json={"model": MODEL, "input": "Hello", "background": True})
        replayed = http.get(f"/interactions/{first['id']}")
    injected = session.transcript.requests[-1]
    assert (injected.operation, injected.status, injected.note) == ("get", status, "injected")
    assert injected.interaction_id == first["id"]
    assert injected.retry_after == 2
    assert replayed.status_code == real.status_code == status
    assert replayed.json() == real.json()
    for header in ("retry-after", "retry-after-ms", "content-type"):
        assert replayed.headers[header] == real.headers[header]


@pytest.mark.parametrize("faults", ["polls", "reconnects"])
def test_an_injected_error_on_an_openai_response_takes_openais_shape(
    faults: str, api: Emulator, tmp_path: Path
) -> None:
    """The OpenAI SDK meets {"error": {"message", "type", "param", "code"}}, as from the live API."""
    client = openai.OpenAI(base_url=api.base_url + "/v1", api_key="k", max_retries=0)

    def first_event(read_on: bool = False) -> str:
        """The response's id; with ``read_on``, reading until the stream drops."""
        stream = client.responses.create(model="gpt-4o", input="Tides?", background=True, stream=True)
        found = ""
        with contextlib.suppress(openai.APIConnectionError, httpx.HTTPError):
            for event in stream:
                if event.type == "response.created":
                    found = event.response.id
                    if not read_on:
                        break
        stream.close()
        return found

    cassette = tmp_path / "openai.yaml"
    with use_cassette(cassette, "once", recording_clock=api.clock.now):
        response_id = first_event()
        api.advance(60)
        client.responses.retrieve(response_id)
    api.faults.reject(503, operation="get")
    with pytest.raises(openai.APIStatusError) as real:
        client.responses.retrieve(response_id)
    api.stop()

    if faults == "polls":
        plan = FaultPlan().fail_polls(503, retry_after=None)
    else:
        plan = FaultPlan().disconnect("after:1").fail_reconnects(503, retry_after=None)

    def next_request() -> object:
        if faults == "polls":
            return client.responses.retrieve(response_id)
        return list(client.responses.retrieve(response_id, stream=True, starting_after=0))

    with use_cassette(cassette, "none", faults=plan, checks=False):
        first_event(read_on=faults == "reconnects")
        with pytest.raises(openai.APIStatusError) as replayed:
            next_request()
    assert replayed.value.status_code == real.value.status_code == 503
    assert isinstance(replayed.value.body, dict)
    assert isinstance(real.value.body, dict)
    assert sorted(replayed.value.body) == sorted(real.value.body) == ["code", "message", "param", "type"]
