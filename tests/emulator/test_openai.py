"""The emulator's OpenAI Responses endpoints, driven by the official ``openai`` SDK.

Every stream event must parse as the SDK's typed event for its ``type`` (none as an unknown
type), carry ``sequence_number`` 0, 1, 2, ..., and the ``event:`` line must equal ``type``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from openai.types import responses as types

from pytest_interactions.emulator import Emulator

MODEL = "gpt-4o"
CORPUS = Path(__file__).parents[1] / "corpus"
#: The streams the live API answered to a create (tests/corpus/README.md), foreground and background.
LIVE_CREATES = [
    s
    for s in json.loads((CORPUS / "index.json").read_text())
    if s["api"] == "openai" and s["request"]["method"] == "POST" and s["request"]["body"].get("stream")
]
LIFECYCLE = ("response.created", "response.queued", "response.in_progress")

#: The SDK's typed event for each event type the emulator sends.
TYPED: dict[str, type[Any]] = {
    "response.created": types.ResponseCreatedEvent,
    "response.queued": types.ResponseQueuedEvent,
    "response.in_progress": types.ResponseInProgressEvent,
    "response.output_item.added": types.ResponseOutputItemAddedEvent,
    "response.content_part.added": types.ResponseContentPartAddedEvent,
    "response.output_text.delta": types.ResponseTextDeltaEvent,
    "response.output_text.done": types.ResponseTextDoneEvent,
    "response.content_part.done": types.ResponseContentPartDoneEvent,
    "response.output_item.done": types.ResponseOutputItemDoneEvent,
    "response.completed": types.ResponseCompletedEvent,
    "response.failed": types.ResponseFailedEvent,
    "error": types.ResponseErrorEvent,
}


@pytest.fixture
def api() -> Iterator[Emulator]:
    with Emulator(speed=50) as emulator:
        yield emulator


@pytest.fixture
def sdk(api: Emulator) -> openai.OpenAI:
    return openai.OpenAI(base_url=api.base_url + "/v1", api_key="k", max_retries=0)


def typed(events: Any) -> list[Any]:
    """The events of an SDK stream, each checked to be the SDK's typed event for its type."""
    found = list(events)
    for event in found:
        assert type(event) is TYPED[event.type], (event.type, type(event))
        assert event.model_extra in ({}, None), event.model_extra  # no field the SDK does not know
    return found


def test_a_background_stream_parses_as_the_sdks_typed_events(sdk: openai.OpenAI) -> None:
    events = typed(sdk.responses.create(model=MODEL, input="Tides?", background=True, stream=True))
    assert [e.sequence_number for e in events] == list(range(len(events)))
    kinds = [e.type for e in events]
    assert kinds[:5] == [
        "response.created",
        "response.queued",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert kinds[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    created, completed = events[0].response, events[-1].response
    assert isinstance(completed, types.Response)
    assert completed.id == created.id
    assert created.id.startswith("resp_")
    assert created.status == "queued"
    assert created.background
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert completed.status == "completed"
    assert completed.output_text == text
    assert text.startswith("You asked: Tides?")
    assert completed.usage is not None
    assert completed.usage.output_tokens == len(text.split())


def opening(payloads: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The lifecycle events a stream opens with, as (type, the response's status)."""
    found = []
    for payload in payloads:
        if payload["type"] not in LIFECYCLE:
            break
        found.append((payload["type"], payload["response"]["status"]))
    return found


def test_a_foreground_stream_starts_in_progress_and_is_never_queued(sdk: openai.OpenAI) -> None:
    events = typed(sdk.responses.create(model=MODEL, input="Tides?", stream=True))
    assert [e.sequence_number for e in events] == list(range(len(events)))
    kinds = [e.type for e in events]
    assert kinds[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert "response.queued" not in kinds
    assert kinds.count("response.in_progress") == 1
    statuses = [e.response.status for e in events if hasattr(e, "response")]
    assert statuses == ["in_progress", "in_progress", "completed"]
    created, completed = events[0].response, events[-1].response
    assert created.background is False
    assert created.output == []
    assert completed.id == created.id
    assert completed.output_text.startswith("You asked: Tides?")


@pytest.mark.parametrize("sample", LIVE_CREATES, ids=lambda s: str(s["file"]))
def test_a_stream_opens_as_the_live_api_opened_the_same_kind_of_create(
    sdk: openai.OpenAI, sample: dict[str, Any]
) -> None:
    live = [
        json.loads(line[6:])
        for line in (CORPUS / sample["file"]).read_text().splitlines()
        if line.startswith("data: ")
    ]
    background = bool(sample["request"]["body"].get("background"))
    emulated = sdk.responses.create(model=MODEL, input="Tides?", background=background, stream=True)
    assert opening([e.model_dump(mode="json") for e in emulated]) == opening(live)
    assert opening(live) == (
        [
            ("response.created", "queued"),
            ("response.queued", "queued"),
            ("response.in_progress", "in_progress"),
        ]
        if background
        else [("response.created", "in_progress"), ("response.in_progress", "in_progress")]
    )


@pytest.mark.parametrize(("background", "status"), [(False, "in_progress"), (True, "queued")])
def test_a_poll_before_the_first_step_shows_in_progress_unless_background(
    background: bool, status: str
) -> None:
    with Emulator(manual=True) as api:
        sdk = openai.OpenAI(base_url=api.base_url + "/v1", api_key="k", max_retries=0)
        stream = iter(sdk.responses.create(model=MODEL, input="Tides?", background=background, stream=True))
        created = next(stream)
        assert created.type == "response.created"
        assert created.response.status == status
        polled = sdk.responses.retrieve(created.response.id)
        assert (polled.status, polled.background, polled.output) == (status, background, [])
        while api.step():
            pass
        assert [e.type for e in stream][-1] == "response.completed"
        assert sdk.responses.retrieve(created.response.id).status == "completed"


def test_a_foreground_create_without_stream_answers_the_finished_response(sdk: openai.OpenAI) -> None:
    answered = sdk.responses.create(model=MODEL, input="Tides?")
    assert (answered.status, answered.background) == ("completed", False)
    assert answered.output_text.startswith("You asked: Tides?")
    assert sdk.responses.retrieve(answered.id).model_dump() == answered.model_dump()


def test_the_event_line_names_the_type(api: Emulator) -> None:
    body = {"model": MODEL, "input": "Tides?", "background": True, "stream": True}
    headers = {"authorization": "Bearer k"}
    answer = httpx.post(api.base_url + "/v1/responses", json=body, headers=headers, timeout=10)
    blocks = [b for b in answer.text.split("\n\n") if b]
    for n, block in enumerate(blocks):
        event_line, data_line = block.split("\n")
        assert event_line.startswith("event: ")
        assert data_line.startswith("data: ")
        assert f'"type":"{event_line[7:]}"' in data_line
        assert f'"sequence_number":{n}' in data_line
    assert "[DONE]" not in answer.text


def test_a_stream_resumes_after_any_sequence_number(sdk: openai.OpenAI) -> None:
    events = typed(sdk.responses.create(model=MODEL, input="Tides?", background=True, stream=True))
    response_id = events[0].response.id
    for after in (0, 5, len(events) - 2):
        resumed = typed(sdk.responses.retrieve(response_id, stream=True, starting_after=after))
        assert [e.sequence_number for e in resumed] == list(range(after + 1, len(events)))
        assert [e.model_dump() for e in resumed] == [e.model_dump() for e in events[after + 1 :]]
    again = typed(sdk.responses.retrieve(response_id, stream=True))
    assert [e.model_dump() for e in again] == [e.model_dump() for e in events]


def test_a_resume_past_what_was_sent_is_a_400_naming_starting_after(sdk: openai.OpenAI) -> None:
    events = typed(sdk.responses.create(model=MODEL, input="Tides?", background=True, stream=True))
    with pytest.raises(openai.BadRequestError, match="Invalid 'starting_after': '99'") as refused:
        sdk.responses.retrieve(events[0].response.id, stream=True, starting_after=99)
    assert refused.value.body["type"] == "invalid_request_error"  # type: ignore[index]


def test_a_failed_run_ends_with_an_error_event_and_response_failed(sdk: openai.OpenAI) -> None:
    stream = sdk.responses.create(
        model=MODEL,
        input="Tides?",
        background=True,
        stream=True,
        extra_headers={"x-emulator-scenario": "failure"},
    )
    events = typed(stream)
    assert [e.type for e in events[-2:]] == ["error", "response.failed"]
    failed = events[-1].response
    assert failed.status == "failed"
    assert failed.error is not None
    assert failed.error.message == events[-2].message


def test_polling_a_background_response_walks_queued_in_progress_completed() -> None:
    with Emulator(manual=True) as api:
        sdk = openai.OpenAI(base_url=api.base_url + "/v1", api_key="k", max_retries=0)
        response = sdk.responses.create(model=MODEL, input="Tides?", background=True)
        statuses = [response.status]
        while response.status in ("queued", "in_progress"):
            api.advance(0.1)
            response = sdk.responses.retrieve(response.id)
            statuses.append(response.status)
    assert isinstance(response, types.Response)
    assert statuses[0] == "queued"
    assert statuses[-1] == "completed"
    assert set(statuses) == {"queued", "in_progress", "completed"}
    assert statuses.index("completed") > statuses.index("in_progress")
    assert response.output_text.startswith("You asked: Tides?")


def test_cancel_then_delete(sdk: openai.OpenAI) -> None:
    created = sdk.responses.create(model=MODEL, input="Write at length", background=True)
    cancelled = sdk.responses.cancel(created.id)
    assert cancelled.status == "cancelled"
    assert cancelled.id == created.id
    sdk.responses.delete(created.id)
    with pytest.raises(openai.NotFoundError, match=f"Response with id '{created.id}' not found"):
        sdk.responses.retrieve(created.id)


def test_a_request_without_a_bearer_key_is_refused_in_openais_shape(api: Emulator) -> None:
    answer = httpx.post(api.base_url + "/v1/responses", json={"model": MODEL, "input": "x"}, timeout=10)
    assert answer.status_code == 401
    assert answer.json()["error"]["type"] == "invalid_request_error"
    assert "Authorization: Bearer" in answer.json()["error"]["message"]


def test_the_bearer_key_is_checked_when_the_emulator_has_keys() -> None:
    with Emulator(api_keys=["right"]) as api:
        with pytest.raises(openai.AuthenticationError, match="Incorrect API key"):
            openai.OpenAI(base_url=api.base_url + "/v1", api_key="wrong", max_retries=0).responses.create(
                model=MODEL, input="x", background=True
            )
        right = openai.OpenAI(base_url=api.base_url + "/v1", api_key="right", max_retries=0)
        assert right.responses.create(model=MODEL, input="x", background=True).status == "queued"


def test_a_dropped_stream_is_resumed_with_starting_after(api: Emulator, sdk: openai.OpenAI) -> None:
    api.faults.drop_stream(after_events=5)
    received: list[Any] = []
    with pytest.raises(openai.APIConnectionError):
        received.extend(sdk.responses.create(model=MODEL, input="Tides?", background=True, stream=True))
    assert [e.sequence_number for e in received] == [0, 1, 2, 3, 4]
    rest = typed(sdk.responses.retrieve(received[0].response.id, stream=True, starting_after=4))
    assert rest[0].sequence_number == 5
    assert rest[-1].type == "response.completed"


def test_a_rejection_answers_in_openais_shape_with_retry_after(api: Emulator, sdk: openai.OpenAI) -> None:
    api.faults.reject(429, retry_after=2, operation="create")
    with pytest.raises(openai.RateLimitError) as refused:
        sdk.responses.create(model=MODEL, input="Tides?", background=True)
    assert refused.value.response.headers["retry-after-ms"] == "40"  # 2 scenario seconds at speed 50
    assert refused.value.body["message"] == "Resource has been exhausted (e.g. check quota)."  # type: ignore[index]
