"""The README's examples, replayed from cassettes committed under cassettes/ (recorded on the emulator).

Re-record them with ``pytest tests/examples --interactions-record-mode=all``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from google import genai
from google.genai import _interactions

from pytest_interactions import Interactions


@pytest.fixture
def client(interactions: Interactions) -> Iterator[genai.Client]:
    with genai.Client(
        api_key=interactions.api_key,
        http_options={"base_url": interactions.base_url, "api_version": "v1beta"},
    ) as client:
        yield client


@pytest.mark.interactions
def test_report_finishes(client: genai.Client, interactions: Interactions) -> None:
    it = client.interactions.create(model="gemini-3.5-flash", input="Why is the sky blue?", background=True)
    while it.status == "in_progress":
        time.sleep(5)  # virtual time: returns at once, recording on the emulator as in replay
        it = client.interactions.get(it.id)
    assert it.status == "completed"
    assert "Why is the sky blue?" in it.output_text


def stream_with_reconnect(client: genai.Client, interaction_id: str) -> str:
    """A reconnect loop as the API guide writes it: resume after the last event received."""
    text, last_event_id = [], None
    for _ in range(10):
        try:
            stream = client.interactions.get(interaction_id, stream=True, last_event_id=last_event_id)
            with stream:
                for event in stream:
                    last_event_id = event.event_id or last_event_id
                    if event.event_type == "step.delta" and event.delta.type == "text":
                        text.append(event.delta.text)
            return "".join(text)
        except _interactions.APIConnectionError:
            continue
    raise AssertionError("gave up reconnecting")


@pytest.mark.interactions(cassette="examples/reconnect.yaml", disconnect="each-event")
def test_reconnect_loop_resumes(client: genai.Client, interactions: Interactions) -> None:
    it = client.interactions.create(model="gemini-3.5-flash", input="Stream me a story", background=True)
    while it.status == "in_progress":
        time.sleep(1)
        it = client.interactions.get(it.id)
    text = stream_with_reconnect(client, it.id)
    assert text == interactions.recorded_text(it.id)  # and the toolkit checked every resume
