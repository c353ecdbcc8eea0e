"""OpenAI Responses background mode in replay: streams keyed by response id, resumed with
``starting_after``, polls, cancels and deletes answered as recorded, errors in OpenAI's shape."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import openai
import pytest
from openai.types import responses as types

from pytest_interactions.emulator import Emulator
from pytest_interactions.faults import FaultNotAppliedError, FaultPlan
from pytest_interactions.replay import UnmatchedRequestError
from pytest_interactions.session import ProtocolCheckError, use_cassette
from tests.contract.openai_recording import running

MODEL = "gpt-4o"
BASE = "http://127.0.0.1:9/v1"  # replay never connects
CREATE: dict[str, Any] = {"model": MODEL, "input": "Tides?", "background": True, "stream": True}


def client(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key="k", max_retries=0)


def read_three_then_resume(api: openai.OpenAI) -> tuple[str, list[int]]:
    """Read three events of a background stream, hang up, and resume after the third."""
    stream = api.responses.create(model=MODEL, input="Tides?", background=True, stream=True)
    seen: list[int] = []
    response_id = ""
    for event in stream:
        if event.type == "response.created":
            response_id = event.response.id
        seen.append(event.sequence_number)
        if len(seen) == 3:
            break
    stream.close()
    for event in api.responses.retrieve(response_id, stream=True, starting_after=seen[-1]):
        seen.append(event.sequence_number)
    return response_id, seen


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    cassette = tmp_path / "openai.yaml"
    with Emulator(manual=True) as api, use_cassette(cassette, "once"):
        sdk = client(api.base_url + "/v1")
        with running(api):
            response_id, seen = read_three_then_resume(sdk)
        assert seen == list(range(len(seen)))
        assert sdk.responses.retrieve(response_id).status == "completed"
        # No scenario time passes between create and cancel: the run is cancelled while queued.
        queued = sdk.responses.create(model=MODEL, input="Cancel me", background=True)
        assert sdk.responses.cancel(queued.id).status == "cancelled"
        sdk.responses.delete(queued.id)
    return cassette


def test_a_background_stream_resumes_after_any_sequence_number(recorded: Path) -> None:
    with use_cassette(recorded, "none") as replay:
        sdk = client(BASE)
        response_id, seen = read_three_then_resume(sdk)
        assert sdk.responses.retrieve(response_id).status == "completed"
        queued = sdk.responses.create(model=MODEL, input="Cancel me", background=True)
        assert sdk.responses.cancel(queued.id).status == "cancelled"
        sdk.responses.delete(queued.id)
    assert seen == list(range(len(seen)))
    first, second = replay.transcript.connections
    assert (first.interaction_id, second.interaction_id) == (response_id, response_id)
    assert second.resume_param == "starting_after"
    assert second.resume_from == "2"
    assert second.reached_end
    assert replay.violations() == []
    polled = [s.status for s in replay.transcript.statuses_of(queued.id)]
    assert polled[-1] == "cancelled"


def resume_past_the_end() -> tuple[str, Any]:
    """Open a background stream, hang up after its first event, and resume after event 99."""
    sdk = client(BASE)
    stream = sdk.responses.create(model=MODEL, input="Tides?", background=True, stream=True)
    response_id = next(iter(stream)).response.id  # type: ignore[union-attr]
    stream.close()
    try:
        sdk.responses.retrieve(response_id, stream=True, starting_after=99)
    except openai.BadRequestError as refused:
        return response_id, refused.body
    raise AssertionError("the resume was answered")


def test_a_resume_from_a_position_the_stream_never_had_is_refused_in_openais_shape(recorded: Path) -> None:
    answers: list[tuple[str, Any]] = []
    refused = pytest.raises(
        UnmatchedRequestError, match="starting_after=99, an event id the stream never had"
    )
    with refused, use_cassette(recorded, "none"):
        answers.append(resume_past_the_end())
    ((response_id, body),) = answers
    assert body == {
        "message": f"Unknown starting_after '99' for interaction '{response_id}'.",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_argument",
    }


def test_an_injected_failure_ends_the_stream_with_response_failed(recorded: Path) -> None:
    faults = FaultPlan().inject("failure", after_events=6, message="Injected outage.")
    with use_cassette(recorded, "none", faults=faults) as replay:
        sdk = client(BASE)
        stream = sdk.responses.create(model=MODEL, input="Tides?", background=True, stream=True)
        events = list(stream)
    assert [e.sequence_number for e in events] == list(range(7))
    assert type(events[-1]) is types.ResponseFailedEvent
    assert events[-1].response.status == "failed"
    assert events[-1].response.error is not None
    assert events[-1].response.error.message == "Injected outage."
    streamed = [
        s.status for s in replay.transcript.statuses_of(events[0].response.id) if s.source == "stream"
    ]
    assert streamed == ["queued", "queued", "in_progress", "failed"]


def test_an_injected_failure_shows_in_later_polls_with_its_error(recorded: Path) -> None:
    faults = FaultPlan().inject("failure", after_events=6, message="Injected outage.")
    with use_cassette(recorded, "none", faults=faults) as replay:
        sdk = client(BASE)
        events = list(sdk.responses.create(model=MODEL, input="Tides?", background=True, stream=True))
        polled = sdk.responses.retrieve(events[0].response.id)
    assert polled.status == "failed"
    assert polled.error is not None
    assert (polled.error.code, polled.error.message) == ("server_error", "Injected outage.")
    assert replay.violations() == []


def read_then_poll(sdk: openai.OpenAI) -> tuple[list[Any], types.Response]:
    """Read a background stream to its end; poll the response when no ending event came."""
    events = list(sdk.responses.create(model=MODEL, input="Tides?", background=True, stream=True))
    return events, sdk.responses.retrieve(events[0].response.id)


def test_an_injected_cancellation_ends_the_stream_and_polls_show_cancelled(recorded: Path) -> None:
    faults = FaultPlan().inject("cancellation", after_events=6)
    with use_cassette(recorded, "none", faults=faults) as replay:
        events, polled = read_then_poll(client(BASE))
    # As the API does: a cancelled response's stream just ends, with no event for the cancel.
    assert [e.sequence_number for e in events] == list(range(6))
    assert all(e.type not in ("response.completed", "response.failed") for e in events)
    assert polled.status == "cancelled"
    assert polled.error is None
    assert replay.transcript.connections[0].reached_end
    assert replay.violations() == []


def test_a_cancelled_stream_taken_for_a_finished_response_is_named(recorded: Path) -> None:
    faults = FaultPlan().inject("cancellation", after_events=6)
    mistake = pytest.raises(
        FaultNotAppliedError,
        match=r"inject=cancellation:6: the stream of resp_\w+ ended after event 6 with no event that ends "
        r"a run \(the openai API tells a cancelled run so\), and the client never asked how the run ended",
    )
    with mistake, use_cassette(recorded, "none", faults=faults):
        stream = client(BASE).responses.create(model=MODEL, input="Tides?", background=True, stream=True)
        text = "".join(e.delta for e in stream if e.type == "response.output_text.delta")
        assert text  # the partial text, taken for the answer


def test_a_fault_the_api_has_no_form_for_fails_at_setup_saying_why(recorded: Path) -> None:
    faults = FaultPlan().inject("requires_action", after_events=6)
    cannot = (
        r"inject='requires_action:6' cannot apply: the openai API has no requires_action: a response "
        r"that calls a function completes with the function_call item in its output"
    )
    with pytest.raises(FaultNotAppliedError, match=cannot), use_cassette(recorded, "none", faults=faults):
        pass
    polls_only = FaultPlan().inject("requires_action", after_events=1, on="polls")
    refused = pytest.raises(FaultNotAppliedError, match=cannot.replace("6", "poll:1"))
    with refused, use_cassette(recorded, "none", faults=polls_only):
        pass


def stop_after_five() -> str:
    """A client that reads five events of a background stream and walks away."""
    stream = client(BASE).responses.create(model=MODEL, input="Tides?", background=True, stream=True)
    events = [event for _, event in zip(range(5), stream, strict=False)]
    stream.close()
    return str(events[0].response.id)  # type: ignore[union-attr]


def test_a_client_that_stops_before_the_ending_event_is_named(recorded: Path) -> None:
    with pytest.raises(ProtocolCheckError) as failed, use_cassette(recorded, "none", checks=True):
        stop_after_five()
    named = re.search(
        r"\[complete\] the client stopped reading the stream of resp_\w+ after (\d+) \((\d+) of 14 events "
        r"received(?:; (\d+)(?:\.\.(\d+))? arrived with \1 in one chunk and may have been read too)?\)",
        str(failed.value),
    )
    assert named is not None, str(failed.value)
    surely, count, *tail = named.groups()
    assert int(count) == int(surely) + 1  # sequence numbers count from 0
    # It read events 0..4: the last it surely read is 4, or one before 4 that arrived in a chunk
    # reaching as far as 4 (how close the events were recorded decides their chunks).
    last = int(tail[1] or tail[0]) if tail[0] else int(surely)
    assert int(surely) <= 4 <= last
    assert int(surely) == 4 or tail[0] is not None


def test_reading_to_response_completed_is_reading_it_all(recorded: Path) -> None:
    """The stream ends at ``response.completed``; a cut placed after it is never reached."""

    def read() -> list[str]:
        stream = client(BASE).responses.create(model=MODEL, input="Tides?", background=True, stream=True)
        kinds = []
        for event in stream:
            kinds.append(event.type)
            if event.type == "response.completed":
                break
        return kinds

    with use_cassette(recorded, "none"):
        events = len(read())
    with use_cassette(recorded, "none", faults=FaultPlan().disconnect(f"after:{events}")) as replay:
        kinds = read()
    assert kinds[-1] == "response.completed"
    assert len(replay.transcript.connections) == 1
    assert replay.transcript.connections[0].read_terminal
    assert replay.violations() == []


def test_a_poll_the_recording_never_made_is_answered_from_the_stream(tmp_path: Path) -> None:
    cassette = tmp_path / "stream-only.yaml"
    with Emulator(speed=50) as api, use_cassette(cassette, "once"):
        events = list(client(api.base_url + "/v1").responses.create(**CREATE))
    with use_cassette(cassette, "none"):
        sdk = client(BASE)
        first = sdk.responses.retrieve(events[0].response.id)  # as of the start of the recording
        replayed = list(sdk.responses.create(**CREATE))  # the stream moves the clock to its end
        polled = sdk.responses.retrieve(events[0].response.id)
    assert first.status == "queued"
    assert first.output == []
    assert len(replayed) == len(events)
    assert isinstance(polled, types.Response)
    assert polled.status == "completed"
    assert polled.output_text == events[-1].response.output_text


def stream_delete_poll(sdk: openai.OpenAI) -> tuple[str, str]:
    """Read a background stream, delete the response, and poll it: the poll is refused."""
    response_id = next(iter(sdk.responses.create(**CREATE))).response.id  # type: ignore[union-attr]
    sdk.responses.delete(response_id)
    try:
        sdk.responses.retrieve(response_id)
    except openai.NotFoundError as gone:
        return response_id, gone.message
    raise AssertionError("a deleted response was answered")


def test_a_deleted_response_is_gone_in_replay_as_it_was_when_recorded(tmp_path: Path) -> None:
    cassette = tmp_path / "deleted.yaml"
    with Emulator(speed=50) as api, use_cassette(cassette, "once"):
        recorded_id, recorded_message = stream_delete_poll(client(api.base_url + "/v1"))
    with use_cassette(cassette, "none") as replay:
        replayed_id, replayed_message = stream_delete_poll(client(BASE))
    assert replayed_id == recorded_id
    assert (
        replayed_message
        == recorded_message
        == f"Error code: 404 - Response with id '{recorded_id}' not found."
    )
    assert [r.status for r in replay.transcript.requests][-2:] == [200, 404]


def patient_read(sdk: openai.OpenAI) -> list[int]:
    """A reconnect loop that also survives refused and failed reconnects and a stalled stream."""
    received: list[int] = []
    response_id, delay = "", 0.5
    while True:
        try:
            if response_id:
                stream = sdk.responses.retrieve(response_id, stream=True, starting_after=received[-1])
            else:
                stream = sdk.responses.create(**CREATE)
            for event in stream:
                response_id = response_id or event.response.id  # type: ignore[union-attr]
                received.append(event.sequence_number)
                if event.type == "response.completed":
                    return received
        except (openai.APIConnectionError, openai.InternalServerError):
            time.sleep(delay)  # backs off (virtual time in replay), as a client of a struggling server must
            delay *= 2


@pytest.mark.parametrize(
    ("faults", "connections", "refused"),
    [
        (FaultPlan().disconnect("after:5").refuse_reconnects(2), 4, 2),
        (FaultPlan().disconnect("after:5").fail_reconnects(503, times=2, retry_after=None), 4, 2),
        (FaultPlan().disconnect("stall:5"), 2, 0),
        (FaultPlan().disconnect("end:5"), 2, 0),
        (FaultPlan().disconnect("after:5").disconnect("after:9"), 3, 0),
    ],
    ids=["refused", "503", "stall", "end", "two-cuts"],
)
def test_every_stream_fault_applies_to_a_background_stream(
    recorded: Path, faults: FaultPlan, connections: int, refused: int
) -> None:
    with use_cassette(recorded, "none", faults=faults) as replay:
        sdk = openai.OpenAI(base_url=BASE, api_key="k", max_retries=0, timeout=openai.Timeout(30, read=5))
        received = patient_read(sdk)
    assert received == list(range(len(received)))
    assert len(replay.transcript.connections) == connections
    assert sum(1 for c in replay.transcript.connections if c.refused) == refused
    assert replay.violations() == []


WEATHER = {
    "type": "function",
    "name": "get_weather",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}}},
}


def call_then_answer(sdk: openai.OpenAI) -> tuple[list[Any], list[Any]]:
    """Stream a response that calls a function, then answer the call in a response continuing it."""
    question = "What is the weather in Paris?"
    first = list(
        sdk.responses.create(model=MODEL, input=question, tools=[WEATHER], background=True, stream=True)
    )
    call = first[-1].response.output[0]
    answer = [{"type": "function_call_output", "call_id": call.call_id, "output": '{"temp_c": 21}'}]
    second = sdk.responses.create(
        model=MODEL,
        previous_response_id=first[-1].response.id,
        input=answer,
        background=True,
        stream=True,
    )
    return first, list(second)


def test_a_function_call_and_its_answer_replay_as_recorded(tmp_path: Path) -> None:
    cassette = tmp_path / "function-call.yaml"
    with Emulator(speed=50) as api, use_cassette(cassette, "once"):
        recorded_first, recorded_second = call_then_answer(client(api.base_url + "/v1"))
    with use_cassette(cassette, "none") as replay:
        sdk = client(BASE)
        first, second = call_then_answer(sdk)
        resumed = list(sdk.responses.retrieve(first[0].response.id, stream=True, starting_after=4))
    assert [e.model_dump() for e in first] == [e.model_dump() for e in recorded_first]
    assert [e.model_dump() for e in second] == [e.model_dump() for e in recorded_second]
    assert [e.model_dump() for e in resumed] == [e.model_dump() for e in first[5:]]
    assert any(type(e) is types.ResponseFunctionCallArgumentsDeltaEvent for e in first)
    assert first[-1].response.status == "completed"
    assert second[-1].response.output_text == 'Based on the results: get_weather returned {"temp_c": 21}.'
    assert replay.violations() == []
