"""The rules a recorded OpenAI Responses session must follow: stream events, sequence numbers,
resumes, lifecycle statuses, Response objects and error bodies.

Event types and their required fields follow the official ``openai`` SDK's types
(``openai.types.responses.ResponseStreamEvent``, a closed union): a type outside it is an error.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_interactions.protocol import _openai as oa
from pytest_interactions.protocol._grammars import (
    Finding,
    Grammar,
    Message,
    error_check,
    json_payload,
    missing_fields,
    ref_text,
    resource_check,
)

#: Every rule a Responses recording is checked against, by name: what it requires.
RULES: dict[str, str] = {
    "created-first": "a fresh stream starts with response.created",
    "terminal": "a finished stream ends with exactly one of response.completed / .failed / .incomplete "
    "(a cancelled response's stream may just stop), and nothing comes after it",
    "event-ids": "sequence_number is present, unique and increases by one along a response's stream",
    "resume": "a stream resumed with starting_after=N starts at sequence_number N+1",
    "status-path": "the statuses of a response form a legal path (queued -> in_progress -> terminal), "
    "and each lifecycle event carries its own status",
    "required-fields": "each event carries type, sequence_number and the fields its type requires; "
    "Response objects carry id and status; error bodies carry error.message and error.type",
    "event-name": "the SSE event: line agrees with the payload's type",
    "unknown-type": "every event type is one of the Responses stream's event types",
}

#: Where each rule comes from: the openai SDK's types, OpenAI's docs, captures of the live API.
SOURCES: dict[str, str] = {
    "created-first": "openai SDK docs and every live capture: a stream opens with response.created",
    "terminal": "openai SDK types: the ending events; a cancelled background response's stream stops "
    "without one (observed)",
    "event-ids": "openai SDK types: sequence_number is required on every stream event; live captures: "
    "it counts up by one (tests/corpus/openai)",
    "resume": "OpenAI's background-mode guide, and a live capture resumed with starting_after=0 "
    "(tests/corpus/openai/bg-stream-resume-starting_after-0.sse)",
    "status-path": "OpenAI's background-mode guide: queued, in_progress, then a terminal status",
    "required-fields": "openai SDK types (openai.types.responses): their required fields only",
    "event-name": "live captures: the event: line repeats the payload's type",
    "unknown-type": "openai SDK types: ResponseStreamEvent is a closed union",
}

#: Fields each stream event type requires besides ``type`` and ``sequence_number``.
EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    "error": ("message",),
    "response.audio.delta": ("delta",),
    "response.audio.done": (),
    "response.audio.transcript.delta": ("delta",),
    "response.audio.transcript.done": (),
    "response.code_interpreter_call.completed": ("item_id", "output_index"),
    "response.code_interpreter_call.in_progress": ("item_id", "output_index"),
    "response.code_interpreter_call.interpreting": ("item_id", "output_index"),
    "response.code_interpreter_call_code.delta": ("delta", "item_id", "output_index"),
    "response.code_interpreter_call_code.done": ("code", "item_id", "output_index"),
    "response.compaction.compacting": ("item_id", "output_index"),
    "response.completed": ("response", "response.id", "response.status"),
    "response.content_part.added": ("content_index", "item_id", "output_index", "part"),
    "response.content_part.done": ("content_index", "item_id", "output_index", "part"),
    "response.created": ("response", "response.id", "response.status"),
    "response.custom_tool_call_input.delta": ("delta", "item_id", "output_index"),
    "response.custom_tool_call_input.done": ("input", "item_id", "output_index"),
    "response.failed": ("response", "response.id", "response.status"),
    "response.file_search_call.completed": ("item_id", "output_index"),
    "response.file_search_call.in_progress": ("item_id", "output_index"),
    "response.file_search_call.searching": ("item_id", "output_index"),
    "response.function_call_arguments.delta": ("delta", "item_id", "output_index"),
    "response.function_call_arguments.done": ("arguments", "item_id", "output_index"),
    "response.image_generation_call.completed": ("item_id", "output_index"),
    "response.image_generation_call.generating": ("item_id", "output_index"),
    "response.image_generation_call.in_progress": ("item_id", "output_index"),
    "response.image_generation_call.partial_image": (
        "item_id",
        "output_index",
        "partial_image_b64",
        "partial_image_index",
    ),
    "response.in_progress": ("response", "response.id", "response.status"),
    "response.incomplete": ("response", "response.id", "response.status"),
    "response.mcp_call.completed": ("item_id", "output_index"),
    "response.mcp_call.failed": ("item_id", "output_index"),
    "response.mcp_call.in_progress": ("item_id", "output_index"),
    "response.mcp_call_arguments.delta": ("delta", "item_id", "output_index"),
    "response.mcp_call_arguments.done": ("arguments", "item_id", "output_index"),
    "response.mcp_list_tools.completed": ("item_id", "output_index"),
    "response.mcp_list_tools.failed": ("item_id", "output_index"),
    "response.mcp_list_tools.in_progress": ("item_id", "output_index"),
    "response.output_item.added": ("item", "output_index"),
    "response.output_item.done": ("item", "output_index"),
    "response.output_text.annotation.added": ("annotation_index", "content_index", "item_id", "output_index"),
    "response.output_text.delta": ("content_index", "delta", "item_id", "logprobs", "output_index"),
    "response.output_text.done": ("content_index", "item_id", "logprobs", "output_index", "text"),
    "response.queued": ("response", "response.id", "response.status"),
    "response.reasoning_summary_part.added": ("item_id", "output_index", "part", "summary_index"),
    "response.reasoning_summary_part.done": ("item_id", "output_index", "part", "summary_index"),
    "response.reasoning_summary_text.delta": ("delta", "item_id", "output_index", "summary_index"),
    "response.reasoning_summary_text.done": ("item_id", "output_index", "summary_index", "text"),
    "response.reasoning_text.delta": ("content_index", "delta", "item_id", "output_index"),
    "response.reasoning_text.done": ("content_index", "item_id", "output_index", "text"),
    "response.refusal.delta": ("content_index", "delta", "item_id", "output_index"),
    "response.refusal.done": ("content_index", "item_id", "output_index", "refusal"),
    "response.shell_call_command.added": ("command", "command_index", "output_index"),
    "response.shell_call_command.delta": ("command_index", "delta", "output_index"),
    "response.shell_call_command.done": ("command", "command_index", "output_index"),
    "response.shell_call_output_content.delta": ("command_index", "delta", "item_id", "output_index"),
    "response.shell_call_output_content.done": ("command_index", "item_id", "output", "output_index"),
    "response.web_search_call.completed": ("item_id", "output_index"),
    "response.web_search_call.in_progress": ("item_id", "output_index"),
    "response.web_search_call.searching": ("item_id", "output_index"),
}

#: The status each lifecycle event must carry (``response.created`` may carry either opening one).
_CARRIES: dict[str, frozenset[str]] = {
    oa.CREATED: frozenset({oa.QUEUED, oa.IN_PROGRESS}),
    oa.QUEUED_EVENT: frozenset({oa.QUEUED}),
    oa.IN_PROGRESS_EVENT: frozenset({oa.IN_PROGRESS}),
    oa.COMPLETED_EVENT: frozenset({oa.COMPLETED}),
    oa.FAILED_EVENT: frozenset({oa.FAILED}),
    oa.INCOMPLETE_EVENT: frozenset({oa.INCOMPLETE}),
}
_KNOWN_STATUSES = frozenset(oa.TRANSITIONS)
_ENDINGS = " / ".join(sorted(oa.ENDING_EVENTS))
#: Statuses whose stream stops without an event saying so.
_SILENT_ENDS = frozenset({oa.CANCELLED})

RESPONSE_FIELDS: tuple[str, ...] = ("id", "status")
ERROR_BODY_FIELDS: tuple[str, ...] = ("error", "error.message", "error.type")


def _number(payload: Mapping[str, Any]) -> int | None:
    value = payload.get("sequence_number")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _named(kind: object, number: int | None) -> str:
    return f"{kind} (sequence_number {number})" if number is not None else str(kind)


def _absent(start: int, stop: int, present: Collection[int]) -> str:
    """The numbers in ``range(start, stop)`` not among ``present``, as text (empty: none)."""
    absent = [n for n in range(start, stop) if n not in present]
    if len(absent) > 3:
        return f"{absent[0]}..{absent[-1]} ({len(absent)} events)"
    return ", ".join(str(n) for n in absent)


@dataclass
class ResponseStreams:
    """Checks the streams of one response, in the order they were opened."""

    response_id: str
    answered: Collection[str] = ()
    """Statuses the response's answers showed (a cancelled one's stream may just stop)."""
    payloads: dict[int, str] = field(default_factory=dict)
    """Each sequence number seen so far, with its event."""
    statuses: list[tuple[Any, str]] = field(default_factory=list)

    def check(
        self, messages: Sequence[Message], resume_from: str | None, finished: bool, resumable: bool = True
    ) -> list[Finding]:
        """Check one stream; ``finished``: it ended on its own (no drop, not closed early)."""
        found: list[Finding] = []
        events = [(m, p) for m in messages if (p := json_payload(m, found)) is not None]
        known_before = set(self.payloads)
        numbered = any(_number(p) is not None for _, p in events)
        if events and not numbered:
            found.append(
                Finding(
                    "required-fields",
                    "no event of this stream carries a sequence_number: it was recorded before the API "
                    "sent sequence_number, and today's API and SDK expect one on every event",
                    events[0][0].ref,
                )
            )
        for message, payload in events:
            self._check_event(message, payload, numbered, found)
        self._check_start(events, resume_from, found)
        self._check_numbers(events, found)
        self._check_end(events, finished, found)
        for message, payload in events:
            status = oa.status_carried(payload)
            if status is not None and _number(payload) not in known_before:
                self.statuses.append((message.ref, status))
        return found

    def _check_event(
        self, message: Message, payload: Mapping[str, Any], numbered: bool, found: list[Finding]
    ) -> None:
        kind, number = payload.get("type"), _number(payload)
        if not isinstance(kind, str):
            found.append(Finding("required-fields", "the payload has no 'type'", message.ref))
            return
        if number is None and numbered:
            found.append(
                Finding("required-fields", f"{kind} lacks an integer 'sequence_number'", message.ref)
            )
        if message.event is not None and message.event != kind:
            found.append(
                Finding(
                    "event-name",
                    f"event: line says {message.event!r} but the payload's type is {kind!r}",
                    message.ref,
                )
            )
        if kind not in EVENT_FIELDS:
            found.append(
                Finding(
                    "unknown-type",
                    f"{_named(repr(kind), number)} is not a Responses stream event type",
                    message.ref,
                )
            )
            return
        for path in missing_fields(payload, EVENT_FIELDS[kind]):
            found.append(Finding("required-fields", f"{_named(kind, number)} lacks '{path}'", message.ref))
        status = oa.status_carried(payload)
        if kind in _CARRIES and status is not None and status not in _CARRIES[kind]:
            found.append(
                Finding("status-path", f"{_named(kind, number)} carries status {status!r}", message.ref)
            )
        response = payload.get("response")
        if isinstance(response, Mapping) and response.get("id") not in (None, self.response_id):
            found.append(
                Finding(
                    "required-fields",
                    f"{_named(kind, number)} names response {response.get('id')!r} on the stream of "
                    f"{self.response_id}",
                    message.ref,
                )
            )

    def _check_start(
        self, events: Sequence[tuple[Message, dict[str, Any]]], resume_from: str | None, found: list[Finding]
    ) -> None:
        if not events:
            return
        first, payload = events[0]
        kind, number = payload.get("type"), _number(payload)
        if resume_from is None:
            if kind != oa.CREATED:
                found.append(
                    Finding(
                        "created-first",
                        f"a fresh stream starts with {_named(kind, number)}, not {oa.CREATED}",
                        first.ref,
                    )
                )
            return
        if not resume_from.isdigit():
            found.append(
                Finding("resume", f"starting_after={resume_from!r} is not a sequence number", first.ref)
            )
        elif number is not None and number != int(resume_from) + 1:
            found.append(
                Finding(
                    "resume",
                    f"the stream resumed with starting_after={resume_from} starts at sequence_number "
                    f"{number}, not {int(resume_from) + 1}",
                    first.ref,
                )
            )

    def _check_numbers(self, events: Sequence[tuple[Message, dict[str, Any]]], found: list[Finding]) -> None:
        previous: int | None = None
        present = {number for _, payload in events if (number := _number(payload)) is not None}
        for message, payload in events:
            number = _number(payload)
            if number is None:
                continue
            kind = payload.get("type")
            data = json.dumps(payload, sort_keys=True)
            if previous is not None and number <= previous:
                found.append(
                    Finding(
                        "event-ids",
                        f"{_named(kind, number)} follows sequence_number {previous}: sequence numbers "
                        "must increase",
                        message.ref,
                    )
                )
            elif previous is not None and (missing := _absent(previous + 1, number, present)):
                # A number that comes later, out of order, is reported where it goes back.
                found.append(
                    Finding(
                        "event-ids",
                        f"{_named(kind, number)} follows sequence_number {previous}: {missing} never came",
                        message.ref,
                    )
                )
            elif number in self.payloads and self.payloads[number] != data:
                found.append(
                    Finding(
                        "event-ids",
                        f"sequence_number {number} names two different events of {self.response_id}",
                        message.ref,
                    )
                )
            self.payloads.setdefault(number, data)
            previous = number if previous is None else max(previous, number)

    def _check_end(
        self, events: Sequence[tuple[Message, dict[str, Any]]], finished: bool, found: list[Finding]
    ) -> None:
        ending: Message | None = None
        for message, payload in events:
            kind = payload.get("type")
            if ending is not None:
                found.append(
                    Finding(
                        "terminal",
                        f"{_named(kind, _number(payload))} after the terminal event at "
                        f"{ref_text(ending.ref)}",
                        message.ref,
                    )
                )
                continue
            if kind in oa.ENDING_EVENTS:
                ending = message
        if not finished or ending is not None or not events or _SILENT_ENDS & set(self.answered):
            return
        last, payload = events[-1]
        final = _named(payload.get("type"), _number(payload))
        found.append(
            Finding(
                "terminal",
                f"the stream of {self.response_id} ended after {final} without a terminal event ({_ENDINGS})",
                last.ref,
            )
        )


check_response_object = resource_check("a Response", RESPONSE_FIELDS, _KNOWN_STATUSES)
check_error_body = error_check(ERROR_BODY_FIELDS, "{error: {message, type, param, code}}")


def event_token(payload: Mapping[str, Any]) -> str:
    """An event's name in a shape: ``response.output_item.added(message)``,
    ``response.content_part.added(output_text)``, ``error(server_error)``, ``response.completed``."""
    kind = str(payload.get("type"))
    detail: Any = None
    for key in ("item", "part"):
        if isinstance(payload.get(key), Mapping):
            detail = payload[key].get("type")
    if kind == oa.ERROR:
        detail = payload.get("code")
    return f"{kind}({detail})" if detail is not None else kind


def error_name(value: Any) -> str | None:
    """The type of an OpenAI error body (``invalid_request_error``)."""
    error = value.get("error") if isinstance(value, Mapping) else None
    name = error.get("type") if isinstance(error, Mapping) else None
    return name if isinstance(name, str) else None


#: The Responses API's grammar, for the contract tools.
OPENAI_GRAMMAR = Grammar(
    noun="response",
    rules=RULES,
    sources=SOURCES,
    streams=lambda response_id, answered: ResponseStreams(response_id, answered),
    check_answer=check_response_object,
    check_error=check_error_body,
    event_token=event_token,
    error_name=error_name,
)
