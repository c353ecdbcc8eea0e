"""``store: false``: the live API answers without an id, streams without event ids, and keeps
nothing to get, resume or chain; a recording of it validates clean."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from httpx_sse import connect_sse

from pytest_interactions.cassette import StreamEvent, load_cassette, save_cassette
from pytest_interactions.contract import validate_cassette
from pytest_interactions.emulator import Emulator
from pytest_interactions.session import use_cassette

MODEL = "gemini-3-flash-preview"
KEY = {"x-goog-api-key": "test-key"}


@pytest.fixture
def http(interactions_server: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=interactions_server.base_url + "/v1beta", headers=KEY, timeout=10) as client:
        yield client


def test_an_unstored_interaction_has_no_id_and_cannot_be_fetched(http: httpx.Client) -> None:
    answer = http.post("/interactions", json={"model": MODEL, "input": "Hello", "store": False}).json()
    assert "id" not in answer
    assert answer["status"] == "completed"


def test_an_unstored_stream_has_no_event_ids_and_nothing_to_resume(http: httpx.Client) -> None:
    body = {"model": MODEL, "input": "Hello", "store": False, "stream": True}
    with connect_sse(http, "POST", "/interactions", json=body) as source:
        events = list(source.iter_sse())
    payloads = [json.loads(e.data) for e in events if e.data != "[DONE]"]
    assert payloads[0]["event_type"] == "interaction.created"
    assert all("event_id" not in p for p in payloads)
    assert (events[-1].event, events[-1].data) == ("done", "[DONE]")
    interaction_id = payloads[0]["interaction"]["id"]
    assert http.get(f"/interactions/{interaction_id}").status_code == 404
    resumed = http.get(f"/interactions/{interaction_id}", params={"stream": "true", "last_event_id": "evt_1"})
    assert resumed.status_code == 404
    chained = http.post(
        "/interactions", json={"model": MODEL, "input": "And?", "previous_interaction_id": interaction_id}
    )
    assert chained.status_code == 404


def test_background_work_needs_a_stored_interaction(http: httpx.Client) -> None:
    answer = http.post(
        "/interactions", json={"model": MODEL, "input": "Hi", "background": True, "store": False}
    )
    assert answer.status_code == 400
    assert "store" in answer.json()["error"]["message"]


def test_a_recording_of_unstored_interactions_validates_clean(
    http: httpx.Client, interactions_server: Emulator, tmp_path: Path
) -> None:
    cassette = tmp_path / "unstored.yaml"
    with use_cassette(cassette, "once", checks=False):
        http.post("/interactions", json={"model": MODEL, "input": "Hello", "store": False})
        body = {"model": MODEL, "input": "Hello", "store": False, "stream": True}
        with connect_sse(http, "POST", "/interactions", json=body) as source:
            list(source.iter_sse())
    assert validate_cassette(cassette).problems == []


def test_a_stored_stream_without_event_ids_is_named(tmp_path: Path, http: httpx.Client) -> None:
    """Where a client can resume (a stored background run's stream), deltas must carry event ids."""
    cassette = tmp_path / "stored.yaml"
    with use_cassette(cassette, "once", checks=False):
        created = http.post(
            "/interactions", json={"model": MODEL, "input": "Hello", "background": True}
        ).json()
        with connect_sse(http, "GET", f"/interactions/{created['id']}", params={"stream": "true"}) as source:
            list(source.iter_sse())
    recorded = load_cassette(cassette)
    stripped = 0
    for exchange in recorded.exchanges:
        for item in (exchange.response.events or []) if exchange.response else []:
            if isinstance(item, StreamEvent) and item.data and item.data.startswith("{"):
                payload = json.loads(item.data)
                if payload.pop("event_id", None) is not None:
                    item.data = json.dumps(payload, separators=(",", ":"))
                    item.raw = None
                    stripped += 1
    assert stripped
    save_cassette(cassette, recorded)
    assert '"event_id"' not in cassette.read_text()
    messages = [p.message for p in validate_cassette(cassette).problems]
    assert messages
    assert all("lacks 'event_id' (a client resumes this stored stream from it)" in m for m in messages)
