"""The rules a recorded Interactions session must follow: event grammar, ids, resume, objects.

These check what a server sent (a cassette), where ``_validate`` checks what a client did.
Callers hand in plain messages and observations, each with a ``ref`` of their own (a line, an
index) that comes back on every finding, so the rules know nothing of files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pytest_interactions.protocol._events import ERROR, STEP_DELTA, STEP_START
from pytest_interactions.protocol._grammars import (
    Finding,
    Grammar,
    error_check,
    resource_check,
)
from pytest_interactions.protocol._interaction_streams import InteractionStreams
from pytest_interactions.protocol._status import KNOWN, TRANSITIONS, first_illegal_transition

#: Every rule a recording is checked against, by name: what it requires.
GRAMMAR_RULES: dict[str, str] = {
    "created-first": "a fresh stream starts with interaction.created",
    "step-nesting": "step.start / step.delta / step.stop nest properly, with matching indexes",
    "delta-type": "each delta's type is one its step's type allows",
    "terminal": "a finished stream carries exactly one terminal event, and nothing after it but [DONE]",
    "done-last": "the [DONE] sentinel, when present, is the last message",
    "event-ids": "event ids are unique and increase in stream order within an interaction",
    "resume": "a resumed stream starts right after its last_event_id",
    "status-path": "the statuses of an interaction form a legal path of the state machine",
    "required-fields": "each event and object carries the fields the protocol requires",
    "event-name": "the SSE event: line agrees with the payload's event_type",
    "unknown-type": "event, step, delta and status types the protocol does not document (a warning)",
}

#: Where each rule comes from (PROTOCOL.md's tags: the docs, the google-genai SDK's types, a capture).
GRAMMAR_SOURCES: dict[str, str] = {
    "created-first": "docs: the order of one stream (the streaming guide)",
    "step-nesting": "docs: the order of one stream (the streaming guide)",
    "delta-type": "docs: the delta types of each step type",
    "terminal": "docs: interaction.completed ends a run; an error or a terminal status update ends it too",
    "done-last": "google-genai SDK: it stops reading at [DONE]",
    "event-ids": "assumed: no source says event ids increase; the emulator's and every capture's do",
    "resume": "docs: a resumed stream continues with the event after last_event_id",
    "status-path": "docs: the interaction states; the order of transitions is assumed",
    "required-fields": "google-genai SDK types (_gaos.types.interactions): only their required fields; "
    "event_id where a client can resume (docs: each delta carries one), and an Interaction's id only "
    "when it is stored (the API answers a store: false create with no id)",
    "event-name": "docs: the event: line repeats the payload's event_type",
    "unknown-type": "docs: new event and delta types may appear; clients skip them",
}

#: Fields of an Interaction object answered by create, get and cancel.
INTERACTION_FIELDS: tuple[str, ...] = ("id", "status")
#: Fields of the body of an HTTP error answer.
ERROR_BODY_FIELDS: tuple[str, ...] = ("error", "error.code", "error.message", "error.status")


check_interaction_object = resource_check("an Interaction", INTERACTION_FIELDS, KNOWN, stored_only=("id",))
check_error_body = error_check(ERROR_BODY_FIELDS, "{error: {code, message, status}}")


def check_status_path(
    observations: Sequence[tuple[Any, str]],
    interaction_id: str,
    transitions: Mapping[str, frozenset[str]] = TRANSITIONS,
) -> list[Finding]:
    """The first illegal step in the statuses observed of one resource, in time order."""
    illegal = first_illegal_transition((status for _, status in observations), transitions)
    if illegal is None:
        return []
    return [Finding("status-path", f"{interaction_id}: {illegal}", observations[illegal.index][0])]


def event_token(payload: Mapping[str, Any]) -> str:
    """An event's name in a shape: ``step.start(model_output)``, ``step.delta(text)``,
    ``error(gateway_timeout)``, ``interaction.completed``."""
    kind = str(payload.get("event_type"))
    detail: Any = None
    if kind == STEP_START and isinstance(payload.get("step"), Mapping):
        detail = payload["step"].get("type")
    elif kind == STEP_DELTA and isinstance(payload.get("delta"), Mapping):
        detail = payload["delta"].get("type")
    elif kind == ERROR and isinstance(payload.get("error"), Mapping):
        detail = payload["error"].get("code")
    return f"{kind}({detail})" if detail is not None else kind


def error_name(value: Any) -> str | None:
    """The status name of a Google error body (``NOT_FOUND``)."""
    error = value.get("error") if isinstance(value, Mapping) else None
    name = error.get("status") if isinstance(error, Mapping) else None
    return name if isinstance(name, str) else None


#: The Interactions API's grammar, for the contract tools.
GEMINI_GRAMMAR = Grammar(
    noun="interaction",
    rules=GRAMMAR_RULES,
    sources=GRAMMAR_SOURCES,
    streams=lambda interaction_id, answered: InteractionStreams(interaction_id),
    check_answer=check_interaction_object,
    check_error=check_error_body,
    event_token=event_token,
    error_name=error_name,
)
