"""The APIs the toolkit knows, each one definition behind one interface.

Replay, the checks and the emulator ask a definition for what differs between APIs (routes,
statuses, the event grammar, the resume dialect, the error shape) instead of branching per API.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_interactions.protocol import _events, _openai, _status
from pytest_interactions.protocol._chains import ChainRule
from pytest_interactions.protocol._errors import EARLY_CHAIN
from pytest_interactions.protocol._errors import error_body as _google_error_body
from pytest_interactions.protocol._faults import FaultWithoutForm
from pytest_interactions.protocol._grammar import GEMINI_GRAMMAR
from pytest_interactions.protocol._grammars import Grammar
from pytest_interactions.protocol._mcp_grammar import MCP_GRAMMAR
from pytest_interactions.protocol._openai_grammar import OPENAI_GRAMMAR
from pytest_interactions.protocol._resume import GEMINI, OPENAI, WHATWG, ResumeDialect
from pytest_interactions.protocol._routes import Operation, Route, parse_route

Payload = Mapping[str, Any]


@dataclass(frozen=True)
class ApiDefinition:
    """What the toolkit must know of one API to record, replay, check and emulate it."""

    name: str
    parse_route: Callable[[str, str], Route | None]
    """A method and path as an operation on a resource (``None``: not this API's path)."""
    resume: ResumeDialect
    """Where an event's id lives and how a reconnect names the position it resumes after."""
    terminal: frozenset[str]
    transitions: Mapping[str, frozenset[str]]
    """Legal next statuses of each status (staying in a status is always legal)."""
    event_type: Callable[[Payload], str | None]
    status_carried: Callable[[Payload], str | None]
    ends_stream: Callable[[Payload], bool]
    """True for the event after which a run's stream has nothing more to tell."""
    resource_of: Callable[[Payload], str | None]
    """The resource id an event names, where it names one."""
    recognises: Callable[[Sequence[Payload], bool], bool]
    """Whether a recorded stream is this API's: its JSON payloads, and whether events had SSE ids."""
    error_body: Callable[[int, str, str | None], dict[str, Any]]
    fold: Callable[[Iterable[Payload]], dict[str, Any]]
    """The resource a stream's events describe, as a poll would answer it."""
    fault_events: Callable[[str, str, str], list[dict[str, Any]]]
    """The events (without ids) a run ends with when a protocol fault (kind, resource id, message)
    turns it; [] when its stream just ends. Raises ``FaultWithoutForm`` for a fault that means
    nothing in this API."""
    fault_state: Callable[[str, str], dict[str, Any]]
    """The fields a poll of the run shows once a protocol fault (kind, message) turned it."""
    grammar: Grammar
    """The rules its recordings follow and how its events are named in a session's shape."""
    output_text: Callable[[Payload], str]
    """The text a resource's output reads as (what the SDKs' ``output_text`` gives)."""
    done_data: str | None = None
    """The data of a sentinel message after the last event, when the API sends one."""
    chain: ChainRule | None = None
    """How a create continues an earlier run, where the API lets one do so."""
    resumable: Callable[[Payload], bool] = lambda body: True
    """Whether the stream of a run made by this create body can be resumed (else a client can
    only send the create again, or give up)."""
    stateful: frozenset[str] = frozenset()
    """The event types whose events may carry a status or end the stream: for any other,
    :attr:`status_carried` is ``None`` and :attr:`ends_stream` false (compiling a long stream of
    deltas asks neither)."""

    @property
    def noun(self) -> str:
        """What this API calls the resource a run creates: ``interaction``, ``response``."""
        return self.grammar.noun

    def event_id(self, data: str | None, sse_id: str | None) -> str | None:
        """An event's id, read where the resume dialect keeps it."""
        return self.resume.event_id(data, sse_id)

    def resume_from(self, query: str, headers: Mapping[str, str]) -> str | None:
        """The position a request asks to resume after (``None``: a fresh stream)."""
        return self.resume.resume_from(query, headers)

    @property
    def resume_param(self) -> str:
        """The name a client puts the resume position under."""
        return self.resume.query_param or self.resume.header or "last_event_id"

    def event_identity(
        self, event_id: str | None, event_type: str, sse_event: str | None, data: str | None
    ) -> tuple[str, str | None, str | None]:
        """What makes two deliveries of an event the same event (a resumed stream may repeat one).

        Where the API puts ids in its payloads (``event_id``, ``sequence_number``) they name one
        event of a run, so the id and type are the event (a repeat may be re-serialised, keys in
        another order); where ids are SSE ``id:`` fields, which a stream may repeat or leave out,
        the data is part of it.
        """
        if self.resume.json_field is not None and event_id is not None:
            return (event_id, event_type, None)
        return (event_id or "", sse_event, data)

    def can_follow(self, previous: str, current: str) -> bool:
        """``current`` may be observed after ``previous``; unknown statuses are tolerated."""
        if previous == current or previous not in self.transitions or current not in self.transitions:
            return True
        return current in self.transitions[previous]

    def first_illegal_transition(self, statuses: Iterable[str]) -> _status.IllegalTransition | None:
        """The first illegal step in a sequence of observed statuses, or ``None``."""
        return _status.first_illegal_transition(statuses, self.transitions)


def _gemini_recognises(payloads: Sequence[Payload], sse_ids: bool) -> bool:
    """Ids in the JSON, never in SSE ``id:`` lines; events named by ``event_type``."""
    return not sse_ids and (not payloads or any("event_type" in p for p in payloads))


def _gemini_resource(payload: Payload) -> str | None:
    interaction = payload.get("interaction")
    if isinstance(interaction, Mapping) and isinstance(interaction.get("id"), str):
        return str(interaction["id"])
    return None


def _gemini_fault_state(kind: str, message: str) -> dict[str, Any]:
    if kind == "failure":
        return {"status": _status.FAILED, "errors": [{"code": "injected_failure", "message": message}]}
    if kind == "cancellation":
        return {"status": _status.CANCELLED}
    return {"status": _status.REQUIRES_ACTION}


def _gemini_fault_events(kind: str, resource_id: str, message: str) -> list[dict[str, Any]]:
    if kind == "failure":
        return [
            {"event_type": _events.ERROR, "error": {"code": "injected_failure", "message": message}},
            {"event_type": _events.STATUS_UPDATE, "interaction_id": resource_id, "status": _status.FAILED},
        ]
    if kind == "cancellation":
        cancelled = {"interaction_id": resource_id, "status": _status.CANCELLED}
        return [{"event_type": _events.STATUS_UPDATE, **cancelled}]
    interaction = {"id": resource_id, "status": _status.REQUIRES_ACTION, "steps": []}
    return [{"event_type": _events.INTERACTION_COMPLETED, "interaction": interaction}]


GEMINI_INTERACTIONS = ApiDefinition(
    name="gemini",
    parse_route=parse_route,
    resume=GEMINI,
    terminal=_status.TERMINAL,
    transitions=_status.TRANSITIONS,
    event_type=_events.event_type_of,
    status_carried=_events.status_carried,
    ends_stream=_events.ends_stream,
    resource_of=_gemini_resource,
    recognises=_gemini_recognises,
    error_body=_google_error_body,
    fold=lambda payloads: _events.InteractionFold().extend(payloads).snapshot(),
    fault_events=_gemini_fault_events,
    grammar=GEMINI_GRAMMAR,
    stateful=frozenset({_events.STATUS_UPDATE, _events.INTERACTION_CREATED, _events.INTERACTION_COMPLETED}),
    fault_state=_gemini_fault_state,
    output_text=_events.output_text,
    done_data=_events.DONE_DATA,
    chain=ChainRule(
        previous_field="previous_interaction_id",
        refused_while=frozenset({_status.IN_PROGRESS}),
        unless_field="continuation_token",
        refusal_reason=EARLY_CHAIN.status,
        result_type="function_result",
        call_type="function_call",
        call_id_key="id",
        step_key="step",
        steps_key="steps",
        bookkeeping=frozenset({_events.INTERACTION_CREATED, _events.STATUS_UPDATE}),
    ),
)

OPENAI_RESPONSES = ApiDefinition(
    name="openai",
    parse_route=_openai.parse_route,
    resume=OPENAI,
    terminal=_openai.TERMINAL,
    transitions=_openai.TRANSITIONS,
    event_type=_openai.event_type_of,
    status_carried=_openai.status_carried,
    ends_stream=_openai.ends_stream,
    resource_of=_openai.resource_of,
    recognises=lambda payloads, sse_ids: not sse_ids and _openai.recognises(payloads),
    error_body=_openai.error_body,
    fold=_openai.fold,
    fault_events=_openai.fault_events,
    grammar=OPENAI_GRAMMAR,
    stateful=frozenset(_openai.LIFECYCLE) | frozenset(_openai.ENDING_EVENTS),
    fault_state=_openai.fault_state,
    output_text=_openai.output_text,
    resumable=lambda body: body.get("background") is True,
)

_MCP_PATH = re.compile(r"^/(?P<version>mcp)/?$")


def _mcp_route(method: str, path: str) -> Route | None:
    """MCP's one endpoint: POST sends messages, GET opens (or resumes) the server's stream."""
    if _MCP_PATH.match(path) is None:
        return None
    method = method.upper()
    operation = {"POST": Operation.CREATE, "DELETE": Operation.DELETE}.get(method, Operation.GET)
    allowed = ("GET", "POST", "DELETE")
    return Route(operation, "mcp", None, method in allowed, allowed)


def _jsonrpc_error(code: int, message: str, status: str | None = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": None, "error": {"code": -32000, "message": message}}


def _mcp_fault_state(kind: str, message: str) -> dict[str, Any]:
    raise FaultWithoutForm(f"the mcp API has no runs with a status for a {kind!r} fault to turn")


MCP_STREAMABLE_HTTP = ApiDefinition(
    name="mcp",
    parse_route=_mcp_route,
    resume=WHATWG,
    terminal=frozenset(),
    transitions={},
    event_type=_events.event_type_of,
    status_carried=lambda payload: None,
    ends_stream=lambda payload: False,
    resource_of=lambda payload: None,
    recognises=lambda payloads, sse_ids: sse_ids,
    error_body=_jsonrpc_error,
    fold=lambda payloads: {},
    grammar=MCP_GRAMMAR,
    fault_events=lambda kind, resource_id, message: [_mcp_fault_state(kind, message)],
    fault_state=_mcp_fault_state,
    output_text=lambda resource: "",
)

#: Every definition, in the order a recorded stream is matched against them (the first wins).
APIS: tuple[ApiDefinition, ...] = (MCP_STREAMABLE_HTTP, OPENAI_RESPONSES, GEMINI_INTERACTIONS)
API_NAMES: dict[str, ApiDefinition] = {api.name: api for api in APIS}


@functools.lru_cache(maxsize=4096)
def route_of(method: str, path: str) -> tuple[ApiDefinition, Route] | None:
    """The API a request belongs to and what it does there; ``None`` for a path no API knows.

    Remembered for the paths seen last: every replayed request asks, polls the same path over and over.
    """
    for api in (GEMINI_INTERACTIONS, OPENAI_RESPONSES, MCP_STREAMABLE_HTTP):
        route = api.parse_route(method, path)
        if route is not None:
            return api, route
    return None


def api_of_stream(payloads: Sequence[Payload], sse_ids: bool) -> ApiDefinition:
    """The API a recorded stream speaks, from its payloads and whether its events had SSE ids."""
    for api in APIS:
        if api.recognises(payloads, sse_ids):
            return api
    return GEMINI_INTERACTIONS


def resource_of_event(payload: Payload) -> str | None:
    """The resource id an event names, in whichever API's grammar it is written."""
    for api in APIS:
        found = api.resource_of(payload)
        if found is not None:
            return found
    return None
