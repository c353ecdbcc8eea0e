"""The API definitions behind one interface: routes, statuses, event grammar, resume, errors."""

from __future__ import annotations

import json

import pytest

from pytest_interactions import protocol
from pytest_interactions.protocol import (
    GEMINI_INTERACTIONS,
    MCP_STREAMABLE_HTTP,
    OPENAI_RESPONSES,
    FaultWithoutForm,
    Operation,
    api_of_stream,
    resource_of_event,
    route_of,
)


@pytest.mark.parametrize(
    ("method", "path", "api", "operation", "resource"),
    [
        ("POST", "/v1beta/interactions", GEMINI_INTERACTIONS, Operation.CREATE, None),
        ("GET", "/v1beta/interactions/v1_abc", GEMINI_INTERACTIONS, Operation.GET, "v1_abc"),
        ("POST", "/v1/responses", OPENAI_RESPONSES, Operation.CREATE, None),
        ("GET", "/v1/responses/resp_1", OPENAI_RESPONSES, Operation.GET, "resp_1"),
        ("POST", "/v1/responses/resp_1/cancel", OPENAI_RESPONSES, Operation.CANCEL, "resp_1"),
        ("DELETE", "/v1/responses/resp_1", OPENAI_RESPONSES, Operation.DELETE, "resp_1"),
        ("POST", "/mcp", MCP_STREAMABLE_HTTP, Operation.CREATE, None),
        ("GET", "/mcp", MCP_STREAMABLE_HTTP, Operation.GET, None),
    ],
)
def test_each_path_is_routed_to_its_api(
    method: str, path: str, api: protocol.ApiDefinition, operation: Operation, resource: str | None
) -> None:
    found = route_of(method, path)
    assert found is not None
    assert found[0] is api
    assert (found[1].operation, found[1].interaction_id, found[1].method_ok) == (operation, resource, True)


def test_a_path_no_api_knows_has_no_route() -> None:
    assert route_of("GET", "/v1/responses/resp_1/input_items") is None
    assert route_of("GET", "/v1/chat/completions") is None


def test_a_wrong_method_is_named_with_the_allowed_ones() -> None:
    found = route_of("PUT", "/v1/responses/resp_1")
    assert found is not None
    assert not found[1].method_ok
    assert found[1].allowed == ("GET", "DELETE")


def openai_event(kind: str, n: int, status: str | None = None) -> dict[str, object]:
    event: dict[str, object] = {"type": kind, "sequence_number": n}
    if status is not None:
        event["response"] = {"id": "resp_1", "object": "response", "status": status}
    return event


def test_the_openai_grammar_reads_status_end_and_id_from_lifecycle_events() -> None:
    api = OPENAI_RESPONSES
    created = openai_event("response.created", 0, "queued")
    delta = {**openai_event("response.output_text.delta", 5), "delta": "Hi"}
    completed = openai_event("response.completed", 9, "completed")
    assert [api.status_carried(e) for e in (created, delta, completed)] == ["queued", None, "completed"]
    assert [api.ends_stream(e) for e in (created, delta, completed)] == [False, False, True]
    assert api.ends_stream(openai_event("response.failed", 3, "failed"))
    assert api.ends_stream(openai_event("response.incomplete", 3, "incomplete"))
    assert api.resource_of(created) == "resp_1"
    assert resource_of_event(created) == "resp_1"
    assert api.event_id(json.dumps(delta), None) == "5"
    assert api.event_type(delta) == "response.output_text.delta"


def test_each_dialect_reads_the_resume_position_where_it_lives() -> None:
    assert OPENAI_RESPONSES.resume_from("stream=true&starting_after=4", {}) == "4"
    assert OPENAI_RESPONSES.resume_from("stream=true", {"Last-Event-ID": "4"}) is None
    assert OPENAI_RESPONSES.resume_param == "starting_after"
    assert GEMINI_INTERACTIONS.resume_from("stream=true&last_event_id=evt_3", {}) == "evt_3"
    assert MCP_STREAMABLE_HTTP.resume_from("", {"last-event-id": "7"}) == "7"
    assert MCP_STREAMABLE_HTTP.resume_param == "Last-Event-ID"
    assert MCP_STREAMABLE_HTTP.event_id('{"jsonrpc": "2.0"}', "7") == "7"


def test_a_recorded_stream_is_told_apart_by_its_events() -> None:
    gemini = [{"event_type": "interaction.created", "event_id": "evt_1"}]
    openai = [openai_event("response.created", 0, "queued")]
    mcp = [{"jsonrpc": "2.0", "method": "notifications/progress"}]
    assert api_of_stream(gemini, False) is GEMINI_INTERACTIONS
    assert api_of_stream(openai, False) is OPENAI_RESPONSES
    assert api_of_stream(mcp, True) is MCP_STREAMABLE_HTTP
    assert api_of_stream([], False) is GEMINI_INTERACTIONS


def test_openai_statuses_have_their_own_transitions() -> None:
    api = OPENAI_RESPONSES
    assert api.first_illegal_transition(["queued", "in_progress", "completed"]) is None
    assert api.first_illegal_transition(["queued", "cancelled"]) is None
    illegal = api.first_illegal_transition(["queued", "in_progress", "queued"])
    assert illegal is not None
    assert str(illegal) == (
        "status 'queued' observed after 'in_progress' (observation #3); after 'in_progress' the "
        "protocol allows: cancelled, completed, failed, incomplete"
    )
    # A Gemini-only status is no status of this API: the SDK tolerates it, and so do the checks.
    assert api.can_follow("completed", "requires_action")
    assert not GEMINI_INTERACTIONS.can_follow("completed", "in_progress")
    assert api.terminal == frozenset({"completed", "failed", "cancelled", "incomplete"})


def test_each_api_builds_errors_in_its_own_shape() -> None:
    assert GEMINI_INTERACTIONS.error_body(404, "gone", None) == {
        "error": {"code": 404, "message": "gone", "status": "NOT_FOUND"}
    }
    assert OPENAI_RESPONSES.error_body(404, "gone", "NOT_FOUND") == {
        "error": {"message": "gone", "type": "invalid_request_error", "param": None, "code": "not_found"}
    }
    assert OPENAI_RESPONSES.error_body(503, "busy", None)["error"]["type"] == "server_error"
    assert MCP_STREAMABLE_HTTP.error_body(400, "bad", None)["error"]["message"] == "bad"


def test_a_failure_is_told_in_each_apis_grammar() -> None:
    gemini = GEMINI_INTERACTIONS.fault_events("failure", "v1_a", "boom")
    assert [e["event_type"] for e in gemini] == ["error", "interaction.status_update"]
    (failed,) = OPENAI_RESPONSES.fault_events("failure", "resp_1", "boom")
    assert OPENAI_RESPONSES.status_carried(failed) == "failed"
    assert OPENAI_RESPONSES.ends_stream(failed)
    assert OPENAI_RESPONSES.fault_state("failure", "boom") == {
        "status": "failed",
        "error": {"code": "server_error", "message": "boom"},
    }


def test_a_cancelled_openai_stream_just_ends_and_polls_show_cancelled() -> None:
    assert OPENAI_RESPONSES.fault_events("cancellation", "resp_1", "") == []
    assert OPENAI_RESPONSES.fault_state("cancellation", "") == {"status": "cancelled"}
    assert GEMINI_INTERACTIONS.fault_state("cancellation", "") == {"status": "cancelled"}


def test_a_fault_that_means_nothing_in_an_api_is_refused_naming_why() -> None:
    why = "the openai API has no requires_action: a response that calls a function completes"
    with pytest.raises(FaultWithoutForm, match=why):
        OPENAI_RESPONSES.fault_events("requires_action", "resp_1", "")
    with pytest.raises(FaultWithoutForm, match="the mcp API has no runs with a status"):
        MCP_STREAMABLE_HTTP.fault_events("failure", "", "")
    assert GEMINI_INTERACTIONS.fault_state("requires_action", "") == {"status": "requires_action"}


def test_the_fold_of_an_openai_stream_is_its_last_response() -> None:
    item = {"id": "msg_1", "type": "message", "role": "assistant", "status": "completed", "content": []}
    events = [
        openai_event("response.created", 0, "queued"),
        openai_event("response.in_progress", 1, "in_progress"),
        {**openai_event("response.output_item.done", 2), "output_index": 0, "item": item},
    ]
    folded = OPENAI_RESPONSES.fold(events)
    assert folded["status"] == "in_progress"
    assert folded["output"] == [item]
