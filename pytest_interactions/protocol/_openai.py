"""OpenAI Responses in background mode: routes, statuses, stream events, Response objects, errors.

Statuses, event types and object fields follow the official ``openai`` SDK's types
(``openai.types.responses``); the SDK parses every event this module describes as a typed event.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pytest_interactions.protocol._faults import FaultWithoutForm
from pytest_interactions.protocol._routes import Operation, Route

QUEUED = "queued"
IN_PROGRESS = "in_progress"
COMPLETED = "completed"
FAILED = "failed"
CANCELLED = "cancelled"
INCOMPLETE = "incomplete"

#: Statuses after which a response never changes again.
TERMINAL: frozenset[str] = frozenset({COMPLETED, FAILED, CANCELLED, INCOMPLETE})

#: Legal next statuses for each status (staying in the same status is always legal).
TRANSITIONS: dict[str, frozenset[str]] = {
    QUEUED: frozenset({IN_PROGRESS}) | TERMINAL,
    IN_PROGRESS: TERMINAL,
    **{status: frozenset() for status in TERMINAL},
}

CREATED = "response.created"
QUEUED_EVENT = "response.queued"
IN_PROGRESS_EVENT = "response.in_progress"
OUTPUT_ITEM_ADDED = "response.output_item.added"
CONTENT_PART_ADDED = "response.content_part.added"
TEXT_DELTA = "response.output_text.delta"
TEXT_DONE = "response.output_text.done"
CONTENT_PART_DONE = "response.content_part.done"
OUTPUT_ITEM_DONE = "response.output_item.done"
COMPLETED_EVENT = "response.completed"
FAILED_EVENT = "response.failed"
INCOMPLETE_EVENT = "response.incomplete"
ERROR = "error"
ARGUMENTS_DELTA = "response.function_call_arguments.delta"
ARGUMENTS_DONE = "response.function_call_arguments.done"
SUMMARY_PART_ADDED = "response.reasoning_summary_part.added"
SUMMARY_TEXT_DELTA = "response.reasoning_summary_text.delta"
SUMMARY_TEXT_DONE = "response.reasoning_summary_text.done"
SUMMARY_PART_DONE = "response.reasoning_summary_part.done"
SEARCH_IN_PROGRESS = "response.web_search_call.in_progress"
SEARCH_SEARCHING = "response.web_search_call.searching"
SEARCH_COMPLETED = "response.web_search_call.completed"
CODE_IN_PROGRESS = "response.code_interpreter_call.in_progress"
CODE_DELTA = "response.code_interpreter_call_code.delta"
CODE_DONE = "response.code_interpreter_call_code.done"
CODE_INTERPRETING = "response.code_interpreter_call.interpreting"
CODE_COMPLETED = "response.code_interpreter_call.completed"
IMAGE_IN_PROGRESS = "response.image_generation_call.in_progress"
IMAGE_GENERATING = "response.image_generation_call.generating"
IMAGE_COMPLETED = "response.image_generation_call.completed"

#: The ``include`` value that asks for reasoning items' ``encrypted_content``.
ENCRYPTED_REASONING = "reasoning.encrypted_content"

#: The lifecycle event that announces each status; the terminal ones end a stream.
LIFECYCLE: dict[str, str] = {
    CREATED: QUEUED,
    QUEUED_EVENT: QUEUED,
    IN_PROGRESS_EVENT: IN_PROGRESS,
    COMPLETED_EVENT: COMPLETED,
    FAILED_EVENT: FAILED,
    INCOMPLETE_EVENT: INCOMPLETE,
}
ENDING_EVENTS: frozenset[str] = frozenset({COMPLETED_EVENT, FAILED_EVENT, INCOMPLETE_EVENT})

_PATH = re.compile(r"^/(?P<version>v\d+)/responses(?:/(?P<id>[^/]+)(?:/(?P<action>cancel))?)?/?$")


def parse_route(method: str, path: str) -> Route | None:
    """Map a method and path to a Responses operation; ``None`` when the path is not one."""
    match = _PATH.match(path)
    if match is None:
        return None
    method = method.upper()
    version, response_id = match["version"], match["id"]
    if response_id is None:
        return Route(Operation.CREATE, version, None, method == "POST", ("POST",))
    if match["action"] == "cancel":
        return Route(Operation.CANCEL, version, response_id, method == "POST", ("POST",))
    allowed = ("GET", "DELETE")
    operation = Operation.DELETE if method == "DELETE" else Operation.GET
    return Route(operation, version, response_id, method in allowed, allowed)


def event_type_of(payload: Mapping[str, Any]) -> str | None:
    """The ``type`` an event payload names."""
    value = payload.get("type")
    return value if isinstance(value, str) else None


def status_carried(payload: Mapping[str, Any]) -> str | None:
    """The response status a lifecycle event carries (in ``response.status``)."""
    if event_type_of(payload) not in LIFECYCLE:
        return None
    response = payload.get("response")
    if isinstance(response, Mapping) and isinstance(response.get("status"), str):
        return str(response["status"])
    return None


def ends_stream(payload: Mapping[str, Any]) -> bool:
    """``response.completed``, ``response.failed`` and ``response.incomplete`` end a stream."""
    return event_type_of(payload) in ENDING_EVENTS


def resource_of(payload: Mapping[str, Any]) -> str | None:
    """The response id a lifecycle event names."""
    response = payload.get("response")
    if isinstance(response, Mapping) and isinstance(response.get("id"), str):
        return str(response["id"])
    return None


def recognises(payloads: Iterable[Mapping[str, Any]]) -> bool:
    """A stream of this API: JSON events with a ``response.*`` ``type`` (and, from the real
    API, an integer ``sequence_number``: some servers leave it out)."""
    return any(
        isinstance(kind := p.get("type"), str)
        and "event_id" not in p
        and (isinstance(p.get("sequence_number"), int) or kind.startswith("response."))
        for p in payloads
    )


_ERROR_TYPES = {400: "invalid_request_error", 401: "invalid_request_error", 404: "invalid_request_error"}


def error_body(code: int, message: str, status: str | None = None) -> dict[str, Any]:
    """OpenAI's error body: ``{"error": {"message", "type", "param", "code"}}``."""
    kind = _ERROR_TYPES.get(code, "server_error" if code >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": kind, "param": None, "code": status and status.lower()}}


def fold(payloads: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The Response object a stream describes: the last one a lifecycle event carried, with the
    output items finished so far."""
    response: dict[str, Any] = {}
    items: dict[int, Any] = {}
    for payload in payloads:
        kind = event_type_of(payload)
        if kind in LIFECYCLE and isinstance(payload.get("response"), Mapping):
            response = copy.deepcopy(dict(payload["response"]))
        elif kind == OUTPUT_ITEM_DONE and isinstance(payload.get("item"), Mapping):
            items[int(payload.get("output_index", len(items)))] = copy.deepcopy(payload["item"])
    if items and not response.get("output"):
        response["output"] = [items[i] for i in sorted(items)]
    return response


def output_text(response: Mapping[str, Any]) -> str:
    """The text of a Response's message items, as the SDK's ``output_text`` joins it."""
    output = response.get("output")
    items = output if isinstance(output, list) else []
    return "".join(
        str(part.get("text", ""))
        for item in items
        if isinstance(item, Mapping) and item.get("type") == "message"
        for part in item.get("content") or []
        if isinstance(part, Mapping) and part.get("type") == "output_text"
    )


def fault_events(kind: str, resource_id: str, message: str) -> list[dict[str, Any]]:
    """The events a run that turns ``kind`` ends with, without their sequence numbers.

    A failure ends with ``response.failed``; a cancelled response's stream just ends (the SDK's
    types have no event for it; a poll shows ``cancelled``).
    """
    if kind == "failure":
        response = {"id": resource_id, "object": "response", **fault_state(kind, message)}
        return [{"type": FAILED_EVENT, "response": response}]
    fault_state(kind, message)  # refuses a fault that means nothing here
    return []


def fault_state(kind: str, message: str) -> dict[str, Any]:
    """The fields of the Response a poll shows once a run turned ``kind``."""
    if kind == "failure":
        return {"status": FAILED, "error": {"code": "server_error", "message": message}}
    if kind == "cancellation":
        return {"status": CANCELLED}
    if kind == "requires_action":
        raise FaultWithoutForm(
            "the openai API has no requires_action: a response that calls a function completes "
            "with the function_call item in its output, and the client answers in a new response "
            "(previous_response_id, function_call_output); no stream event or status pauses a run, "
            "so inject 'failure' or 'cancellation' here"
        )
    raise FaultWithoutForm(f"the openai API has no form for a {kind!r} fault")
