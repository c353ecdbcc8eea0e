"""Chaining rules over plain httpx: early chains, managed agents, function results.

Each refusal is checked for its exact error answer, the one ``pytest_interactions.protocol``
defines, so that code branching on ``error.status`` behaves as it would against the API.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pytest_interactions import protocol
from pytest_interactions.emulator import Emulator

MODEL = "gemini-3-flash-preview"
MANAGED_AGENT = "antigravity-preview-05-2026"
KEY = {"x-goog-api-key": "test-key"}
WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "parameters": {"type": "object", "properties": {"location": {"type": "string"}}},
}


@pytest.fixture
def http(interactions_server: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=interactions_server.base_url + "/v1beta", headers=KEY, timeout=5) as client:
        yield client


def assert_error_kind(response: httpx.Response, kind: protocol.ErrorKind) -> str:
    """The answer is exactly the API's error of this kind; returns its message."""
    assert response.status_code == kind.code, response.text
    body = response.json()
    assert body == kind.body(body["error"]["message"])
    assert kind.matches(response.status_code, body)
    return str(body["error"]["message"])


def finish_all(server: Emulator) -> None:
    """Let every pending event of every interaction happen (manual mode)."""
    while server.step():
        pass


def create(http: httpx.Client, **body: Any) -> httpx.Response:
    """POST a create; in manual mode, accepted ones must be ``background`` (else they wait for time)."""
    return http.post("/interactions", json={"input": "Hello", **body})


# -- chaining onto a running interaction ---------------------------------------------------------


@pytest.mark.interactions_server(manual=True)
def test_an_early_chain_is_failed_precondition(http: httpx.Client, interactions_server: Emulator) -> None:
    first = create(http, model=MODEL, background=True).json()

    early = create(http, model=MODEL, previous_interaction_id=first["id"])

    message = assert_error_kind(early, protocol.EARLY_CHAIN)
    assert early.json()["error"]["status"] == "FAILED_PRECONDITION"
    assert first["id"] in message
    assert "in_progress" in message
    finish_all(interactions_server)
    assert create(http, model=MODEL, previous_interaction_id=first["id"], background=True).status_code == 200


@pytest.mark.interactions_server(manual=True, cancel_delay=2.0)
def test_a_chain_in_the_cancel_window_is_still_early(
    http: httpx.Client, interactions_server: Emulator
) -> None:
    """After a cancel, GET reads in_progress for ``cancel_delay``: a chain then is early too."""
    first = create(http, model=MODEL, background=True).json()
    assert http.post(f"/interactions/{first['id']}/cancel").json()["status"] == "cancelled"

    assert_error_kind(create(http, model=MODEL, previous_interaction_id=first["id"]), protocol.EARLY_CHAIN)
    interactions_server.advance(2.0)
    assert create(http, model=MODEL, previous_interaction_id=first["id"], background=True).status_code == 200


# -- managed agents, named in `agent` or in `model` ------------------------------------------------


@pytest.mark.parametrize("field", ["agent", "model"])
@pytest.mark.interactions_server(manual=True)
def test_a_managed_agent_chained_without_environment_is_400(
    http: httpx.Client, interactions_server: Emulator, field: str
) -> None:
    first = create(http, **{field: MANAGED_AGENT}, background=True).json()
    finish_all(interactions_server)

    refused = create(http, **{field: MANAGED_AGENT}, previous_interaction_id=first["id"])

    message = assert_error_kind(refused, protocol.INVALID_ARGUMENT)
    assert MANAGED_AGENT in message
    assert "'environment'" in message
    assert interactions_server.store.find(first["id"]) is not None
    assert len(interactions_server.store.runs()) == 1  # the refused create made nothing


@pytest.mark.parametrize("field", ["agent", "model"])
@pytest.mark.parametrize("environment", ["env_123", {"sources": []}])
@pytest.mark.interactions_server(manual=True)
def test_a_managed_agent_chained_with_environment_is_accepted(
    http: httpx.Client, interactions_server: Emulator, field: str, environment: Any
) -> None:
    first = create(http, **{field: MANAGED_AGENT}, background=True).json()
    finish_all(interactions_server)

    chained = create(
        http,
        **{field: MANAGED_AGENT},
        previous_interaction_id=first["id"],
        environment=environment,
        background=True,
    )

    assert chained.status_code == 200, chained.text
    assert chained.json()["previous_interaction_id"] == first["id"]
    assert chained.json()[field] == MANAGED_AGENT


@pytest.mark.parametrize("field", ["agent", "model"])
def test_a_managed_agent_needs_no_environment_when_not_chained(http: httpx.Client, field: str) -> None:
    assert create(http, **{field: MANAGED_AGENT}).status_code == 200


@pytest.mark.interactions_server(manual=True)
def test_an_ordinary_model_chains_without_environment(
    http: httpx.Client, interactions_server: Emulator
) -> None:
    first = create(http, model=MODEL, background=True).json()
    finish_all(interactions_server)
    assert create(http, model=MODEL, previous_interaction_id=first["id"], background=True).status_code == 200


# -- function results answer a call of the interaction they continue -----------------------------


def ask_for_weather(http: httpx.Client) -> tuple[str, str]:
    """A create that ends in requires_action; its id and the function call's id."""
    asked = create(http, model=MODEL, input="What is the weather in Paris right now?", tools=[WEATHER_TOOL])
    body = asked.json()
    assert body["status"] == "requires_action", body
    call = body["steps"][-1]
    assert call["type"] == "function_call"
    return body["id"], call["id"]


def function_result(call_id: str) -> dict[str, Any]:
    return {"type": "function_result", "call_id": call_id, "name": "get_weather", "result": {"temp_c": 21}}


def test_a_matching_call_id_continues_the_run(http: httpx.Client) -> None:
    asked_id, call_id = ask_for_weather(http)

    answered = create(http, model=MODEL, previous_interaction_id=asked_id, input=[function_result(call_id)])

    assert answered.status_code == 200, answered.text
    body = answered.json()
    assert body["status"] == "completed"
    assert body["previous_interaction_id"] == asked_id
    assert '{"temp_c": 21}' in body["steps"][-1]["content"][0]["text"]


def test_a_wrong_call_id_is_400_naming_it(http: httpx.Client, interactions_server: Emulator) -> None:
    asked_id, call_id = ask_for_weather(http)

    refused = create(
        http, model=MODEL, previous_interaction_id=asked_id, input=[function_result("call_wrong")]
    )

    message = assert_error_kind(refused, protocol.INVALID_ARGUMENT)
    assert "'call_wrong'" in message
    assert asked_id in message
    assert repr(call_id) in message  # the call it could have answered
    assert len(interactions_server.store.runs()) == 1


def test_one_wrong_call_id_among_several_results_is_refused(http: httpx.Client) -> None:
    asked_id, call_id = ask_for_weather(http)

    refused = create(
        http,
        model=MODEL,
        previous_interaction_id=asked_id,
        input=[function_result(call_id), function_result("call_other")],
    )

    assert "'call_other' (input[1])" in assert_error_kind(refused, protocol.INVALID_ARGUMENT)


@pytest.mark.interactions_server(manual=True)
def test_a_function_result_onto_an_interaction_without_calls_is_400(
    http: httpx.Client, interactions_server: Emulator
) -> None:
    first = create(http, model=MODEL, background=True).json()
    finish_all(interactions_server)

    refused = create(
        http, model=MODEL, previous_interaction_id=first["id"], input=[function_result("call_1")]
    )

    assert "function calls: none" in assert_error_kind(refused, protocol.INVALID_ARGUMENT)


def test_a_result_for_a_call_sent_in_the_same_input_is_accepted(http: httpx.Client) -> None:
    """A client that sends the history itself (no previous interaction) may answer its own calls."""
    call = {"type": "function_call", "id": "call_7", "name": "get_weather", "arguments": {"location": "Oslo"}}

    accepted = create(http, model=MODEL, input=[call, function_result("call_7")])
    refused = create(http, model=MODEL, input=[call, function_result("call_8")])

    assert accepted.status_code == 200, accepted.text
    assert "'call_8'" in assert_error_kind(refused, protocol.INVALID_ARGUMENT)
