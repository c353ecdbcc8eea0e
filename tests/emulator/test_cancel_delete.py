"""Cancel and delete as the emulator answers them, over plain httpx in manual time."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import httpx
import pytest

from pytest_interactions import protocol
from pytest_interactions.emulator import Emulator

MODEL = "gemini-3-flash-preview"
KEY = {"x-goog-api-key": "test-key"}

pytestmark = pytest.mark.interactions_server(manual=True, cancel_delay=2.0)


@pytest.fixture
def http(interactions_server: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=interactions_server.base_url + "/v1beta", headers=KEY, timeout=5) as client:
        yield client


def start(http: httpx.Client) -> str:
    created = http.post("/interactions", json={"model": MODEL, "input": "Hello", "background": True})
    return str(created.json()["id"])


@pytest.mark.parametrize("path", ["/interactions/{id}/cancel", "/interactions/{id}:cancel"])
def test_cancel_in_the_window_answers_cancelled_every_time(
    http: httpx.Client, interactions_server: Emulator, path: str
) -> None:
    interaction_id = start(http)

    first = http.post(path.format(id=interaction_id))
    second = http.post(path.format(id=interaction_id))

    assert first.json()["status"] == second.json()["status"] == protocol.CANCELLED
    assert http.get(f"/interactions/{interaction_id}").json()["status"] == protocol.IN_PROGRESS
    interactions_server.advance(2.0)
    assert http.get(f"/interactions/{interaction_id}").json()["status"] == protocol.CANCELLED
    assert not interactions_server.step()  # nothing of the run happens after the cancel


def test_a_stream_open_when_its_interaction_is_deleted_ends_without_done(
    http: httpx.Client, interactions_server: Emulator
) -> None:
    interaction_id = start(http)
    lines: list[str] = []
    opened = threading.Event()

    def read_stream() -> None:
        with http.stream("GET", f"/interactions/{interaction_id}", params={"stream": "true"}) as answer:
            for line in answer.iter_lines():
                lines.append(line)
                opened.set()

    reader = threading.Thread(target=read_stream)
    reader.start()
    assert opened.wait(5)
    with httpx.Client(base_url=http.base_url, headers=KEY, timeout=5) as other:
        assert other.delete(f"/interactions/{interaction_id}").json() == {}
    reader.join(5)

    assert not reader.is_alive(), "the stream stayed open after the delete"
    payloads = [json.loads(line[6:]) for line in lines if line.startswith("data: {")]
    assert [p["event_type"] for p in payloads] == [protocol.INTERACTION_CREATED]
    assert f"data: {protocol.DONE_DATA}" not in lines
