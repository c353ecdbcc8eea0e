"""The emulator through the official google-genai SDK, over real loopback sockets.

Every test runs twice: with the SDK's default HTTP client (httpx2) and with an injected
``httpx`` client, because the two raise different exception classes on a dropped stream and
users run both. The tests double as examples of driving the emulator from a test suite.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import httpx2
import httpx_sse
import pytest
from google import genai
from google.genai import types
from google.genai._interactions import (
    APIConnectionError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
)
from google.genai.interactions import (
    ErrorEvent,
    FunctionCallStep,
    Interaction,
    InteractionCompletedEvent,
    InteractionCreatedEvent,
    InteractionSSEEvent,
    InteractionStatusUpdate,
    StepDelta,
    StepStart,
    StepStop,
    TextDelta,
    ThoughtSummaryDelta,
)
from pydantic import TypeAdapter

from pytest_interactions import protocol
from pytest_interactions.emulator import Emulator, answer_for

MODEL = "gemini-3-flash-preview"
DEEP_RESEARCH = "deep-research-pro-preview-12-2025"
MANAGED_AGENT = "antigravity-preview-05-2026"
API_KEY = "test-key"
POLL = 0.01
POLL_LIMIT = 10.0  # real seconds: a hung emulator fails the test instead of hanging it

#: What each transport raises (as the SDK error's ``__cause__``) when the server drops a stream.
REMOTE_PROTOCOL_ERROR: dict[str, type[Exception]] = {
    "httpx2": httpx2.RemoteProtocolError,
    "httpx": httpx.RemoteProtocolError,
}

#: Retries fast enough for tests; the emulator's ``Retry-After`` is scaled by its speed too.
FAST_RETRIES = types.HttpRetryOptions(attempts=4, initial_delay=0.01, max_delay=0.02, jitter=0)

EVENT_CLASSES: dict[str, type[Any]] = {
    protocol.INTERACTION_CREATED: InteractionCreatedEvent,
    protocol.STATUS_UPDATE: InteractionStatusUpdate,
    protocol.STEP_START: StepStart,
    protocol.STEP_DELTA: StepDelta,
    protocol.STEP_STOP: StepStop,
    protocol.INTERACTION_COMPLETED: InteractionCompletedEvent,
    protocol.ERROR: ErrorEvent,
}


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture(params=["httpx2", "httpx"])
def transport(request: pytest.FixtureRequest) -> str:
    """The HTTP client under the SDK: its default (httpx2), or an injected httpx client."""
    return str(request.param)


def _http_options(server: Emulator, **options: Any) -> dict[str, Any]:
    # Retries are off unless a test turns them on, so that an unexpected error fails at once.
    return {
        "base_url": server.base_url,
        "api_version": "v1beta",
        "retry_options": types.HttpRetryOptions(attempts=1),
        **options,
    }


@pytest.fixture
def make_client(interactions_server: Emulator, transport: str) -> Iterator[Callable[..., genai.Client]]:
    """Build SDK clients pointed at the emulator; keeps a reference to each until teardown.

    (A temporary ``genai.Client`` closes its HTTP client when it is garbage collected.)
    """
    made: list[tuple[genai.Client, httpx.Client | None]] = []

    def make(**options: Any) -> genai.Client:
        injected = httpx.Client() if transport == "httpx" else None
        if injected is not None:
            options["httpx_client"] = injected
        client = genai.Client(api_key=API_KEY, http_options=_http_options(interactions_server, **options))
        made.append((client, injected))
        return client

    yield make
    for client, injected in made:
        client.close()
        if injected is not None:
            injected.close()


@pytest.fixture
def client(make_client: Callable[..., genai.Client]) -> genai.Client:
    """A synchronous SDK client on the emulator."""
    return make_client()


@pytest.fixture
async def async_client(interactions_server: Emulator, transport: str) -> AsyncIterator[genai.Client]:
    """An SDK client whose ``.aio`` side talks to the emulator, closed in the test's event loop."""
    injected = httpx.AsyncClient() if transport == "httpx" else None
    options = {"httpx_async_client": injected} if injected is not None else {}
    client = genai.Client(api_key=API_KEY, http_options=_http_options(interactions_server, **options))
    yield client
    await client.aio.aclose()
    if injected is not None:
        await injected.aclose()


# -- helpers -------------------------------------------------------------------------------


def wait_until_done(client: genai.Client, interaction_id: str) -> Interaction:
    """Poll ``get`` until the interaction stops being ``in_progress``."""
    deadline = time.monotonic() + POLL_LIMIT
    interaction = client.interactions.get(interaction_id)
    while interaction.status == protocol.IN_PROGRESS:
        assert time.monotonic() < deadline, f"still in_progress after {POLL_LIMIT} s"
        time.sleep(POLL)
        interaction = client.interactions.get(interaction_id)
    return interaction


def read_until_dropped(stream: Any) -> tuple[list[Any], APIConnectionError | None]:
    """Every event a stream delivers, and the connection error that ended it (if any)."""
    events: list[Any] = []
    try:
        with stream:
            for event in stream:
                events.append(event)
    except APIConnectionError as exc:
        return events, exc
    return events, None


def stream_with_resume(
    client: genai.Client, interaction_id: str, *, max_drops: int = 5
) -> tuple[list[Any], list[APIConnectionError]]:
    """The reconnect loop a client writes: on a drop, resume after the last event id received."""
    events: list[Any] = []
    drops: list[APIConnectionError] = []
    last_event_id: str | None = None
    while True:
        stream = client.interactions.get(interaction_id, stream=True, last_event_id=last_event_id)
        received, dropped = read_until_dropped(stream)
        events += received
        if received:
            last_event_id = received[-1].event_id
        if dropped is None:
            return events, drops
        drops.append(dropped)
        if len(drops) > max_drops:
            raise dropped


def event_ids(events: list[Any]) -> list[str]:
    return [event.event_id for event in events]


def text_of(events: list[Any]) -> str:
    """The text the ``text`` deltas of a stream spell out."""
    return "".join(
        event.delta.text
        for event in events
        if isinstance(event, StepDelta) and isinstance(event.delta, TextDelta)
    )


def assert_known(model: Any) -> None:
    """Fail when the SDK parsed something into one of its ``Unknown*`` fallback models."""
    assert not isinstance(model, str), f"not parsed at all: {model!r}"
    assert getattr(model, "is_unknown", False) is not True, f"parsed as unknown: {model!r}"


def assert_step_known(step: Any) -> None:
    assert_known(step)
    for item in getattr(step, "content", None) or []:
        assert_known(item)
    for item in getattr(step, "summary", None) or []:
        assert_known(item)


def assert_event_typed(event: Any) -> None:
    """The event, and everything it carries, parsed into the SDK's own typed models."""
    assert_known(event)
    assert isinstance(event, EVENT_CLASSES[event.event_type]), event
    assert event.event_id, event
    if isinstance(event, StepStart):
        assert_step_known(event.step)
    elif isinstance(event, StepDelta):
        assert_known(event.delta)
        if isinstance(event.delta, ThoughtSummaryDelta):
            assert_known(event.delta.content)
    elif isinstance(event, ErrorEvent):
        # A payload without ``event_type`` is misparsed as an ErrorEvent with no ``error``.
        assert event.error is not None
        assert not event.model_extra


def raw_payloads(server: Emulator, interaction_id: str) -> list[dict[str, Any]]:
    """The JSON payloads of an interaction's stream, read with plain httpx and httpx-sse."""
    payloads = []
    with (
        httpx.Client(base_url=server.base_url, headers={"x-goog-api-key": API_KEY}) as http,
        httpx_sse.connect_sse(
            http, "GET", f"/v1beta/interactions/{interaction_id}", params={"stream": "true"}
        ) as source,
    ):
        for sse in source.iter_sse():
            if sse.data == protocol.DONE_DATA:
                break
            payload = json.loads(sse.data)
            assert sse.event == payload["event_type"]
            payloads.append(payload)
    return payloads


def raw_interaction(server: Emulator, interaction_id: str) -> dict[str, Any]:
    response = httpx.get(
        server.url(f"/v1beta/interactions/{interaction_id}"), headers={"x-goog-api-key": API_KEY}
    )
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def create_bodies(server: Emulator) -> list[dict[str, Any]]:
    """The JSON bodies of every create request the emulator received."""
    return [
        json.loads(r.body) for r in server.requests if r.method == "POST" and r.path.endswith("/interactions")
    ]


# -- 1. background execution ---------------------------------------------------------------


def test_background_create_then_poll_until_completed(client: genai.Client) -> None:
    """``background=True`` answers at once with in_progress; polling ``get`` sees it complete."""
    prompt = "Why is the sky blue?"
    created = client.interactions.create(model=MODEL, input=prompt, background=True)
    assert created.status == "in_progress"
    assert created.id.startswith("v1_")

    done = wait_until_done(client, created.id)

    assert done.status == "completed"
    assert done.id == created.id
    assert done.output_text == answer_for(prompt)
    assert done.usage is not None
    assert done.usage.total_tokens


# -- 2. dropped streams, resumed with last_event_id ----------------------------------------


def test_dropped_stream_resumes_after_last_event_id(
    client: genai.Client, interactions_server: Emulator, transport: str
) -> None:
    """A stream cut after N events raises; resuming after the last id yields each event once."""
    created = client.interactions.create(model=MODEL, input="Tell me about tides.", background=True)
    interactions_server.faults.drop_stream(4)

    events, drops = stream_with_resume(client, created.id)

    assert len(drops) == 1
    assert isinstance(drops[0].__cause__, REMOTE_PROTOCOL_ERROR[transport])
    ids = event_ids(events)
    assert len(ids) == len(set(ids))
    assert ids == sorted(ids)
    resumed = [r for r in interactions_server.requests if r.param("last_event_id")]
    assert [r.param("last_event_id") for r in resumed] == [ids[3]]
    # The same events, in the same order, as an undisturbed stream of the same interaction.
    with client.interactions.get(created.id, stream=True) as stream:
        undisturbed = list(stream)
    assert ids == event_ids(undisturbed)
    assert [e.event_type for e in events] == [e.event_type for e in undisturbed]
    assert text_of(events) == answer_for("Tell me about tides.")


def test_stream_dropped_inside_an_event_never_delivers_the_half_event(
    client: genai.Client, interactions_server: Emulator, transport: str
) -> None:
    """With ``mid_event=True`` the connection dies half-way through event N+1: it is not yielded."""
    created = client.interactions.create(model=MODEL, input="Explain eclipses.", background=True)
    wait_until_done(client, created.id)
    with client.interactions.get(created.id, stream=True) as stream:
        undisturbed = event_ids(list(stream))
    interactions_server.faults.drop_stream(3, mid_event=True)

    first, dropped = read_until_dropped(client.interactions.get(created.id, stream=True))

    assert dropped is not None
    assert isinstance(dropped.__cause__, REMOTE_PROTOCOL_ERROR[transport])
    assert event_ids(first) == undisturbed[:3]
    rest, _ = read_until_dropped(
        client.interactions.get(created.id, stream=True, last_event_id=first[-1].event_id)
    )
    assert event_ids(first + rest) == undisturbed


def test_repeated_drops_are_each_resumed(client: genai.Client, interactions_server: Emulator) -> None:
    """Three drops in a row, two events apart: the reconnect loop still gets every event once."""
    created = client.interactions.create(model=MODEL, input="Summarise photosynthesis.", background=True)
    interactions_server.faults.drop_stream(2, times=3)

    events, drops = stream_with_resume(client, created.id)

    assert len(drops) == 3
    ids = event_ids(events)
    assert len(ids) == len(set(ids))
    assert events[-1].event_type == protocol.INTERACTION_COMPLETED
    assert text_of(events) == answer_for("Summarise photosynthesis.")


# -- 3. function calling -------------------------------------------------------------------

WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "The current weather in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


def test_function_call_then_function_result(client: genai.Client) -> None:
    """A declared function is called (requires_action); the result is sent in a chained create."""
    asked = client.interactions.create(
        model=MODEL, input="What is the weather in Paris", tools=[WEATHER_TOOL]
    )

    assert asked.status == "requires_action"
    call = asked.steps[-1]
    assert isinstance(call, FunctionCallStep)
    assert call.name == "get_weather"
    assert call.arguments == {"city": "Paris"}
    assert call.id

    answered = client.interactions.create(
        model=MODEL,
        previous_interaction_id=asked.id,
        input=[{"type": "function_result", "call_id": call.id, "name": call.name, "result": {"temp_c": 21}}],
    )

    assert answered.status == "completed"
    assert answered.previous_interaction_id == asked.id
    assert "get_weather" in answered.output_text
    assert '{"temp_c": 21}' in answered.output_text


# -- 4. cancel -----------------------------------------------------------------------------


def test_cancel_running_interaction(client: genai.Client) -> None:
    """Cancel answers ``cancelled``; GET catches up after the emulator's clean-up delay."""
    created = client.interactions.create(agent=DEEP_RESEARCH, input="Survey fusion energy.", background=True)

    cancelled = client.interactions.cancel(created.id)

    assert cancelled.status == "cancelled"
    seen = [client.interactions.get(created.id).status]
    while seen[-1] != "cancelled" and len(seen) < POLL_LIMIT / POLL:
        time.sleep(POLL)
        seen.append(client.interactions.get(created.id).status)
    assert set(seen) <= {"in_progress", "cancelled"}
    # Terminal: cancelling again changes nothing.
    assert client.interactions.cancel(created.id).status == "cancelled"
    assert client.interactions.get(created.id).status == "cancelled"


# -- 5. delete -----------------------------------------------------------------------------


def test_deleted_interaction_is_gone_for_every_operation(client: genai.Client) -> None:
    """After ``delete``, get, stream, cancel and delete all answer 404."""
    created = client.interactions.create(model=MODEL, input="Hello")
    assert client.interactions.delete(created.id) is None

    with pytest.raises(NotFoundError) as get_error:
        client.interactions.get(created.id)
    assert get_error.value.status_code == 404
    with pytest.raises(NotFoundError):
        client.interactions.get(created.id, stream=True)
    with pytest.raises(NotFoundError):
        client.interactions.cancel(created.id)
    with pytest.raises(NotFoundError):
        client.interactions.delete(created.id)


# -- 6. chaining rules ---------------------------------------------------------------------


@pytest.mark.interactions_server(manual=True)
def test_chaining_onto_running_interaction_is_rejected(
    client: genai.Client, interactions_server: Emulator
) -> None:
    """``previous_interaction_id`` of an in_progress interaction is a 400 until it finishes."""
    first = client.interactions.create(model=MODEL, input="First question", background=True)

    with pytest.raises(BadRequestError) as rejected:
        client.interactions.create(model=MODEL, input="Follow-up", previous_interaction_id=first.id)
    assert rejected.value.status_code == 400
    assert "in_progress" in str(rejected.value)

    while interactions_server.step():
        pass
    follow_up = client.interactions.create(
        model=MODEL, input="Follow-up", previous_interaction_id=first.id, background=True
    )
    assert follow_up.previous_interaction_id == first.id


@pytest.mark.parametrize("field", ["agent", "model"])
def test_managed_agent_chaining_needs_environment(client: genai.Client, field: str) -> None:
    """A managed agent's chained request must name its ``environment`` as well, however it is named.

    The API guide's own chaining example names the agent in ``model``; the rule is the same.
    """
    named = {field: MANAGED_AGENT}
    first = client.interactions.create(**named, input="Set up the project.", background=True)
    assert wait_until_done(client, first.id).status == "completed"

    with pytest.raises(BadRequestError) as rejected:
        client.interactions.create(
            **named, input="Now add tests.", previous_interaction_id=first.id, background=True
        )
    assert rejected.value.status_code == 400
    assert rejected.value.body == protocol.INVALID_ARGUMENT.body(
        f"Agent '{MANAGED_AGENT}' needs 'environment' together with 'previous_interaction_id'."
    )

    chained = client.interactions.create(
        **named,
        input="Now add tests.",
        previous_interaction_id=first.id,
        environment="env_123",
        background=True,
    )
    assert chained.status == "in_progress"
    assert chained.previous_interaction_id == first.id
    assert wait_until_done(client, chained.id).output_text == answer_for("Now add tests.")


@pytest.mark.interactions_server(manual=True)
def test_early_chain_error_is_failed_precondition_in_the_sdk_exception(
    client: genai.Client, interactions_server: Emulator
) -> None:
    """Code that branches on the error's ``status`` string sees ``FAILED_PRECONDITION``."""
    first = client.interactions.create(model=MODEL, input="First question", background=True)

    with pytest.raises(BadRequestError) as rejected:
        client.interactions.create(model=MODEL, input="Follow-up", previous_interaction_id=first.id)

    error = rejected.value.body["error"]
    assert error["status"] == "FAILED_PRECONDITION"
    assert protocol.EARLY_CHAIN.matches(rejected.value.status_code, rejected.value.body)


def test_function_result_with_a_wrong_call_id_raises_bad_request(client: genai.Client) -> None:
    """A result that answers no call of the interaction it continues is refused, naming the call id."""
    asked = client.interactions.create(
        model=MODEL, input="What is the weather in Paris right now?", tools=[WEATHER_TOOL]
    )
    call = asked.steps[-1]
    assert isinstance(call, FunctionCallStep)

    def answer(call_id: str) -> Interaction:
        return client.interactions.create(
            model=MODEL,
            previous_interaction_id=asked.id,
            input=[{"type": "function_result", "call_id": call_id, "name": call.name, "result": "sunny"}],
        )

    with pytest.raises(BadRequestError) as rejected:
        answer("call_made_up")
    assert rejected.value.status_code == 400
    assert rejected.value.body["error"]["status"] == "INVALID_ARGUMENT"
    assert "'call_made_up'" in rejected.value.body["error"]["message"]
    # The right id still goes through afterwards: the refusal changed nothing.
    answered = answer(call.id)
    assert answered.status == "completed"
    assert "sunny" in answered.output_text


async def test_async_function_result_with_a_wrong_call_id_raises_bad_request(
    async_client: genai.Client,
) -> None:
    interactions = async_client.aio.interactions
    asked = await interactions.create(model=MODEL, input="Weather for Lisbon today?", tools=[WEATHER_TOOL])
    assert asked.status == "requires_action"

    with pytest.raises(BadRequestError) as rejected:
        await interactions.create(
            model=MODEL,
            previous_interaction_id=asked.id,
            input=[
                {"type": "function_result", "call_id": "call_nope", "name": "get_weather", "result": "20 C"}
            ],
        )
    assert "'call_nope'" in rejected.value.body["error"]["message"]


# -- 7. everything parses into the SDK's typed models -------------------------------------

#: Each built-in scenario: how to ask for it, and the step and delta types its stream must show.
SCENARIOS: dict[str, tuple[dict[str, Any], set[str], set[str]]] = {
    "text": ({"model": MODEL}, {"model_output"}, {"text"}),
    "thinking": (
        {"model": "gemini-3-pro-preview"},
        {"thought", "model_output"},
        {"thought_summary", "thought_signature", "text"},
    ),
    "function_call": ({"model": MODEL, "tools": [WEATHER_TOOL]}, {"function_call"}, {"arguments_delta"}),
    "google_search": (
        {"model": MODEL, "tools": [{"type": "google_search"}]},
        {"google_search_call", "google_search_result", "model_output"},
        {"text"},
    ),
    "deep_research": (
        {"agent": DEEP_RESEARCH, "background": True},
        {"thought", "model_output"},
        {"thought_summary", "text"},
    ),
    "failure": ({"model": "gemini-fail-preview"}, {"model_output"}, {"text"}),
    "continuation": ({"model": "gemini-continuation-preview"}, {"model_output"}, {"text"}),
}

#: Fields the emulator sends that the SDK's models do not declare (kept in ``model_extra``).
UNDECLARED_OK = {"Interaction.object", "InteractionSseEventInteraction.previous_interaction_id"}


def undeclared_fields(model: Any) -> set[str]:
    """``Class.field`` for every field, at any depth, that the SDK model does not declare."""
    found = {f"{type(model).__name__}.{name}" for name in model.model_extra or {}}
    for name in type(model).model_fields:
        value = model.__dict__.get(name)
        for item in value if isinstance(value, list) else [value]:
            if hasattr(item, "model_extra"):
                found |= undeclared_fields(item)
    return found


@pytest.mark.interactions_server(speed=5000)
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_event_and_object_parses_into_typed_models(
    client: genai.Client, interactions_server: Emulator, scenario: str
) -> None:
    """No event, step, delta or content item of a scenario falls back to ``Unknown*`` models."""
    options, step_types, delta_types = SCENARIOS[scenario]
    with client.interactions.create(input="What is the weather in Paris", stream=True, **options) as stream:
        events = list(stream)

    for event in events:
        assert_event_typed(event)
    assert {e.step.type for e in events if isinstance(e, StepStart)} == step_types
    assert {e.delta.type for e in events if isinstance(e, StepDelta)} == delta_types
    assert not set().union(*map(undeclared_fields, events)) - UNDECLARED_OK

    # The same streams and objects, validated from the raw JSON: a malformed known event fails
    # here even where the SDK's lenient parsing would quietly build a wrong model.
    adapter = TypeAdapter(InteractionSSEEvent)
    hop_ids = [e.interaction.id for e in events if isinstance(e, InteractionCreatedEvent)]
    assert hop_ids
    for hop_id in hop_ids:
        for payload in raw_payloads(interactions_server, hop_id):
            assert_known(adapter.validate_python(payload))
        interaction = Interaction.model_validate(raw_interaction(interactions_server, hop_id))
        got = client.interactions.get(hop_id)
        assert got.status == interaction.status
        for step in [*(interaction.steps or []), *(got.steps or [])]:
            assert_step_known(step)
        assert not undeclared_fields(got) - UNDECLARED_OK


# -- 8. errors and retries -----------------------------------------------------------------


def test_failure_scenario_streams_error_event_and_fails(client: genai.Client) -> None:
    """The failure scenario yields an ``error`` event (not an exception) and ends ``failed``."""
    with client.interactions.create(model="gemini-fail-preview", input="Do it.", stream=True) as stream:
        events = list(stream)

    errors = [e for e in events if isinstance(e, ErrorEvent)]
    assert len(errors) == 1
    assert errors[0].error is not None
    assert errors[0].error.code == "gateway_timeout"
    assert errors[0].error.message == "Deadline expired before operation could complete."
    final = events[-1]
    assert isinstance(final, InteractionStatusUpdate)
    assert final.status == "failed"
    assert client.interactions.get(final.interaction_id).status == "failed"


@pytest.mark.parametrize(
    ("model", "statuses"),
    [("gemini-rate-limit-preview", [429, 429, 200]), ("gemini-unavailable-preview", [503, 200])],
)
def test_sdk_retries_through_rate_limits_and_unavailability(
    make_client: Callable[..., genai.Client],
    interactions_server: Emulator,
    model: str,
    statuses: list[int],
) -> None:
    """429 and 503 answers (with ``Retry-After``) are retried by the SDK itself until it succeeds."""
    client = make_client(retry_options=FAST_RETRIES)

    done = client.interactions.create(model=model, input="Hello again")

    assert done.status == "completed"
    assert done.output_text == answer_for("Hello again")
    assert [e.status for e in interactions_server.exchanges] == statuses
    bodies = create_bodies(interactions_server)
    assert len(bodies) == len(statuses)
    assert all(body == bodies[0] for body in bodies)  # the same request, retried


def test_missing_api_key_is_permission_denied(client: genai.Client) -> None:
    """A request without an API key answers 403 (the SDK itself refuses to build a keyless client)."""
    with pytest.raises(PermissionDeniedError) as denied:
        client.interactions.create(model=MODEL, input="Hi", extra_headers={"x-goog-api-key": ""})
    assert denied.value.status_code == 403


# -- 9. continuation -----------------------------------------------------------------------

CONTINUATION_MODEL = "gemini-continuation-preview"


def long_answer(topic: str) -> str:
    return "".join(f"Part {n} of the long answer about {topic}. " for n in range(1, 6))


def test_unary_create_follows_continuation_hops(client: genai.Client, interactions_server: Emulator) -> None:
    """A unary create that ends ``requires_continuation`` is continued by the SDK, hop by hop."""
    result = client.interactions.create(model=CONTINUATION_MODEL, input="rivers")

    assert result.status == "completed"
    assert result.output_text == long_answer("rivers")
    hops = result.continuation_ids
    assert hops is not None
    assert len(hops) == 3
    assert result.id == hops[-1]
    first, *continued = create_bodies(interactions_server)
    assert first["input"] == "rivers"
    assert [b["previous_interaction_id"] for b in continued] == hops[:-1]
    assert all(b["continuation_token"] and "input" not in b for b in continued)


def test_streamed_create_reconnects_through_continuation(
    client: genai.Client, interactions_server: Emulator
) -> None:
    """A drop right after a checkpoint is healed by the SDK with a continuation POST, silently."""
    # Hop 1: created, start, delta, stop, status_update(checkpoint token) <- drop here.
    interactions_server.faults.drop_stream(5)

    with client.interactions.create(model=CONTINUATION_MODEL, input="mountains", stream=True) as stream:
        events = list(stream)

    assert text_of(events) == long_answer("mountains")
    checkpoint = events[4]
    assert isinstance(checkpoint, InteractionStatusUpdate)
    assert checkpoint.continuation_token
    bodies = create_bodies(interactions_server)
    reconnect = bodies[1]
    assert reconnect["continuation_token"] == checkpoint.continuation_token
    assert reconnect["previous_interaction_id"] == checkpoint.interaction_id
    assert reconnect["stream"] is True
    assert "input" not in reconnect
    assert [e.outcome for e in interactions_server.exchanges].count("dropped") == 1


# -- 10. async API -------------------------------------------------------------------------


async def test_async_background_create_then_poll(async_client: genai.Client) -> None:
    """``client.aio.interactions``: background create, then poll with ``await get``."""
    interactions = async_client.aio.interactions
    created = await interactions.create(model=MODEL, input="Async hello", background=True)
    assert created.status == "in_progress"

    deadline = time.monotonic() + POLL_LIMIT
    interaction = await interactions.get(created.id)
    while interaction.status == "in_progress":
        assert time.monotonic() < deadline, f"still in_progress after {POLL_LIMIT} s"
        await asyncio.sleep(POLL)
        interaction = await interactions.get(created.id)

    assert interaction.status == "completed"
    assert interaction.output_text == answer_for("Async hello")


async def test_async_dropped_stream_resumes(
    async_client: genai.Client, interactions_server: Emulator, transport: str
) -> None:
    """The async reconnect loop: catch the drop, resume with ``last_event_id``."""
    interactions = async_client.aio.interactions
    created = await interactions.create(model=MODEL, input="Async tides", background=True)
    interactions_server.faults.drop_stream(3)

    events: list[Any] = []
    drops: list[APIConnectionError] = []
    done = False
    while not done:
        last_event_id = events[-1].event_id if events else None
        stream = await interactions.get(created.id, stream=True, last_event_id=last_event_id)
        try:
            async with stream:
                async for event in stream:
                    events.append(event)
            done = True
        except APIConnectionError as exc:
            drops.append(exc)
            assert len(drops) <= 5, "the stream keeps dropping"

    assert len(drops) == 1
    assert isinstance(drops[0].__cause__, REMOTE_PROTOCOL_ERROR[transport])
    ids = event_ids(events)
    assert len(ids) == len(set(ids))
    assert ids == sorted(ids)
    assert events[-1].event_type == protocol.INTERACTION_COMPLETED
    assert text_of(events) == answer_for("Async tides")


# -- 11. manual time -----------------------------------------------------------------------


@pytest.mark.interactions_server(manual=True)
def test_manual_mode_progresses_only_when_stepped(
    client: genai.Client, interactions_server: Emulator
) -> None:
    """In manual mode nothing happens until the test calls ``step()`` / ``advance()``."""
    prompt = "Count to three."
    created = client.interactions.create(model=MODEL, input=prompt, background=True)
    time.sleep(POLL)
    assert client.interactions.get(created.id).status == "in_progress"
    assert client.interactions.get(created.id).steps == []

    # Each step() lets exactly one more event happen: start, deltas, stop, completed.
    interactions_server.step()
    started = client.interactions.get(created.id)
    assert started.status == "in_progress"
    assert len(started.steps or []) == 1
    assert started.output_text == ""

    interactions_server.step()
    partial = client.interactions.get(created.id).output_text
    assert partial
    assert answer_for(prompt).startswith(partial)
    assert partial != answer_for(prompt)

    steps_taken = 2
    while interactions_server.step():
        steps_taken += 1
    done = client.interactions.get(created.id)
    assert done.status == "completed"
    assert done.output_text == answer_for(prompt)
    with client.interactions.get(created.id, stream=True) as stream:
        assert steps_taken == len(list(stream)) - 1  # interaction.created happens at once


@pytest.mark.interactions_server(manual=True, cancel_delay=2.0)
def test_manual_mode_shows_the_cancel_delay(client: genai.Client, interactions_server: Emulator) -> None:
    """After a cancel, GET reads ``in_progress`` until ``cancel_delay`` scenario seconds pass."""
    created = client.interactions.create(model=MODEL, input="Long task", background=True)

    assert client.interactions.cancel(created.id).status == "cancelled"
    assert client.interactions.get(created.id).status == "in_progress"
    interactions_server.advance(1.0)
    assert client.interactions.get(created.id).status == "in_progress"
    interactions_server.advance(1.0)
    assert client.interactions.get(created.id).status == "cancelled"
    assert not interactions_server.step()


# -- 12. deep research at test speed -------------------------------------------------------


def test_deep_research_completes_at_default_fixture_speed(client: genai.Client) -> None:
    """A minute-long deep research run finishes fast, because the emulator runs scenario time faster."""
    created = client.interactions.create(agent=DEEP_RESEARCH, input="History of tea", background=True)

    done = wait_until_done(client, created.id)

    assert done.status == "completed"
    assert done.agent == DEEP_RESEARCH
    assert done.output_text.startswith("Section 1: findings about History of tea")
    thought = done.steps[0] if done.steps else None
    assert thought is not None
    assert thought.type == "thought"
    assert len(thought.summary or []) >= 1
