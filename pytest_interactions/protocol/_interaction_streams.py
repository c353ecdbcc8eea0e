"""The rules an Interactions API stream must follow: event names and fields, where a fresh or
resumed stream starts, event id order, step nesting, delta types, and how a stream ends."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_interactions.protocol._events import (
    DELTA_TYPES,
    DONE_DATA,
    DONE_EVENT,
    ERROR,
    EVENT_TYPES,
    INTERACTION_COMPLETED,
    INTERACTION_CREATED,
    STATUS_UPDATE,
    STEP_DELTA,
    STEP_START,
    STEP_STOP,
    STEP_TYPES,
    status_carried,
)
from pytest_interactions.protocol._grammars import (
    WARNING_SEVERITY,
    Finding,
    Message,
    event_id_key,
    json_payload,
    missing_fields,
    ref_text,
)
from pytest_interactions.protocol._status import TERMINAL

#: Delta types each documented step type may receive.
STEP_DELTAS: dict[str, frozenset[str]] = {
    "user_input": frozenset({"text", "image"}),
    "model_output": frozenset({"text", "image"}),
    "thought": frozenset({"thought_summary", "thought_signature"}),
    "function_call": frozenset({"arguments_delta"}),
    "function_result": frozenset({"text"}),
    "google_search_call": frozenset({"google_search_call", "arguments_delta"}),
    "google_search_result": frozenset({"google_search_result"}),
    "code_execution_call": frozenset({"code_execution_call", "arguments_delta"}),
    "code_execution_result": frozenset({"code_execution_result"}),
}

#: Dotted paths every event payload of a type must carry (besides ``event_type``): the fields the
#: google-genai SDK's types require. ``event_id`` is optional there; see ``_check_names``.
EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    INTERACTION_CREATED: ("interaction", "interaction.id", "interaction.status"),
    STATUS_UPDATE: ("interaction_id", "status"),
    STEP_START: ("index", "step", "step.type"),
    STEP_DELTA: ("index", "delta", "delta.type"),
    STEP_STOP: ("index",),
    INTERACTION_COMPLETED: ("interaction", "interaction.id", "interaction.status"),
    ERROR: (),
}


@dataclass
class InteractionStreams:
    """Checks the streams of one interaction, in the order they were opened."""

    interaction_id: str
    order: list[str] = field(default_factory=list)
    payloads: dict[str, str] = field(default_factory=dict)
    statuses: list[tuple[Any, str]] = field(default_factory=list)
    """Statuses the streams carried, with the ref of the event carrying each."""
    started: dict[int, str | None] = field(default_factory=dict)
    """Steps any stream started so far, by index, with their types."""

    def check(
        self, messages: Sequence[Message], resume_from: str | None, finished: bool, resumable: bool = True
    ) -> list[Finding]:
        """Check one stream; ``finished``: it ended on its own (no drop, not closed early);
        ``resumable``: a client could resume it, so its deltas must carry event ids."""
        found: list[Finding] = []
        parsed = [(m, None if m.data == DONE_DATA else json_payload(m, found)) for m in messages]
        events = [(m, p) for m, p in parsed if p is not None]
        known_before = set(self.payloads)
        self._check_names(parsed, resumable, found)
        self._check_start(events, resume_from, found)
        self._check_ids(events, found)
        self._check_steps(events, finished, found)
        self._check_end(parsed, finished, found)
        for message, payload in events:
            status = status_carried(payload)
            if status is not None and _event_id(payload) not in known_before:
                self.statuses.append((message.ref, status))
        return found

    def _check_names(
        self, parsed: Sequence[tuple[Message, dict[str, Any] | None]], resumable: bool, found: list[Finding]
    ) -> None:
        for message, payload in parsed:
            if message.data == DONE_DATA:
                if message.event not in (None, DONE_EVENT):
                    found.append(
                        Finding("event-name", f"[DONE] came with event: {message.event!r}", message.ref)
                    )
                continue
            if payload is None:
                continue
            kind = payload.get("event_type")
            if not isinstance(kind, str):
                found.append(Finding("required-fields", "the payload has no 'event_type'", message.ref))
                continue
            if message.event is not None and message.event != kind:
                found.append(
                    Finding(
                        "event-name",
                        f"event: line says {message.event!r} but the payload's event_type is {kind!r}",
                        message.ref,
                    )
                )
            if kind not in EVENT_TYPES:
                found.append(
                    Finding(
                        "unknown-type",
                        f"undocumented event type {kind!r} (clients must skip it)",
                        message.ref,
                        WARNING_SEVERITY,
                    )
                )
                continue
            # The live API leaves event ids out of streams nothing can resume (store: false, a
            # streamed create without background); a resumable stream's deltas carry them.
            if resumable and kind == STEP_DELTA and "event_id" not in payload:
                found.append(
                    Finding(
                        "required-fields",
                        f"{kind} lacks 'event_id' (a client resumes this stored stream from it)",
                        message.ref,
                    )
                )
            for path in missing_fields(payload, EVENT_FIELDS[kind]):
                found.append(Finding("required-fields", f"{kind} lacks '{path}'", message.ref))

    def _check_start(
        self, events: Sequence[tuple[Message, dict[str, Any]]], resume_from: str | None, found: list[Finding]
    ) -> None:
        if not events:
            return
        first, payload = events[0]
        kind = payload.get("event_type")
        if resume_from is None:
            if kind != INTERACTION_CREATED:
                found.append(
                    Finding(
                        "created-first",
                        f"a fresh stream starts with {kind!r}, not {INTERACTION_CREATED}",
                        first.ref,
                    )
                )
            return
        first_id = _event_id(payload)
        if resume_from in self.order:
            position = self.order.index(resume_from)
            if position + 1 < len(self.order):
                expected = self.order[position + 1]
                if first_id != expected:
                    found.append(
                        Finding(
                            "resume",
                            f"the stream resumed after {resume_from} starts at {first_id}; "
                            f"the event right after {resume_from} is {expected}",
                            first.ref,
                        )
                    )
                return
        if first_id is not None and event_id_key(first_id) <= event_id_key(resume_from):
            found.append(
                Finding(
                    "resume",
                    f"the stream resumed after {resume_from} starts at {first_id}, not after it",
                    first.ref,
                )
            )
        if kind == INTERACTION_CREATED:
            found.append(
                Finding(
                    "resume",
                    f"the stream resumed after {resume_from} repeats {INTERACTION_CREATED}",
                    first.ref,
                )
            )

    def _check_ids(self, events: Sequence[tuple[Message, dict[str, Any]]], found: list[Finding]) -> None:
        previous: str | None = None
        in_stream: set[str] = set()
        for message, payload in events:
            event_id = _event_id(payload)
            if event_id is None:
                continue
            data = json.dumps(payload, sort_keys=True)
            if event_id in in_stream:
                found.append(
                    Finding("event-ids", f"event id {event_id} appears twice in one stream", message.ref)
                )
            elif event_id in self.payloads and self.payloads[event_id] != data:
                found.append(
                    Finding(
                        "event-ids",
                        f"event id {event_id} names two different events of the interaction",
                        message.ref,
                    )
                )
            if previous is not None and event_id_key(event_id) <= event_id_key(previous):
                found.append(
                    Finding(
                        "event-ids", f"event id {event_id} follows {previous}: ids must increase", message.ref
                    )
                )
            in_stream.add(event_id)
            previous = event_id
            if event_id not in self.payloads:
                self.payloads[event_id] = data
                self.order.append(event_id)

    def _check_steps(
        self, events: Sequence[tuple[Message, dict[str, Any]]], finished: bool, found: list[Finding]
    ) -> None:
        open_steps: dict[int, str | None] = {}
        for message, payload in events:
            kind = payload.get("event_type")
            index = payload.get("index")
            if kind not in (STEP_START, STEP_DELTA, STEP_STOP) or not isinstance(index, int):
                if kind in (INTERACTION_COMPLETED,) and open_steps and finished:
                    shown = ", ".join(str(i) for i in open_steps)
                    found.append(
                        Finding("step-nesting", f"{kind} while step {shown} is still open", message.ref)
                    )
                    open_steps.clear()
                continue
            if kind == STEP_START:
                if index in open_steps:
                    found.append(
                        Finding("step-nesting", f"step.start of index {index}, already started", message.ref)
                    )
                step = payload.get("step")
                step_type = step.get("type") if isinstance(step, Mapping) else None
                open_steps[index] = step_type if isinstance(step_type, str) else None
                self.started[index] = open_steps[index]
                if isinstance(step_type, str) and step_type not in STEP_TYPES:
                    found.append(
                        Finding(
                            "unknown-type",
                            f"undocumented step type {step_type!r}",
                            message.ref,
                            WARNING_SEVERITY,
                        )
                    )
            elif index not in open_steps:
                if index in self.started:
                    open_steps[index] = self.started[index]  # a resumed stream began inside the step
                else:
                    found.append(
                        Finding(
                            "step-nesting", f"{kind} of index {index} with no open step {index}", message.ref
                        )
                    )
            if kind == STEP_DELTA:
                self._check_delta(message, payload, open_steps.get(index), found)
            elif kind == STEP_STOP:
                open_steps.pop(index, None)
        # A run cut short (cancelled, failed) may leave its step open; a completed one may not.
        completed = any(p.get("event_type") == INTERACTION_COMPLETED for _, p in events)
        if finished and open_steps and completed:
            last = events[-1][0]
            shown = ", ".join(str(i) for i in open_steps)
            found.append(
                Finding("step-nesting", f"the stream ended with step {shown} never stopped", last.ref)
            )

    def _check_delta(
        self, message: Message, payload: Mapping[str, Any], step_type: str | None, found: list[Finding]
    ) -> None:
        delta = payload.get("delta")
        delta_type = delta.get("type") if isinstance(delta, Mapping) else None
        if not isinstance(delta_type, str):
            return
        if delta_type not in DELTA_TYPES:
            found.append(
                Finding(
                    "unknown-type",
                    f"undocumented delta type {delta_type!r} (clients must skip it)",
                    message.ref,
                    WARNING_SEVERITY,
                )
            )
            return
        allowed = STEP_DELTAS.get(step_type or "")
        if allowed is not None and delta_type not in allowed:
            found.append(
                Finding(
                    "delta-type",
                    f"a {delta_type!r} delta in a {step_type!r} step (allowed: {', '.join(sorted(allowed))})",
                    message.ref,
                )
            )

    def _check_end(
        self, parsed: Sequence[tuple[Message, dict[str, Any] | None]], finished: bool, found: list[Finding]
    ) -> None:
        terminal: Message | None = None
        done: Message | None = None
        for message, payload in parsed:
            if done is not None:
                found.append(
                    Finding("done-last", f"a message after [DONE] (at {ref_text(done.ref)})", message.ref)
                )
                break
            if message.data == DONE_DATA:
                done = message
                continue
            if payload is None:
                continue
            if terminal is not None:
                kind = payload.get("event_type")
                found.append(
                    Finding(
                        "terminal",
                        f"{kind} after the terminal event at {ref_text(terminal.ref)}",
                        message.ref,
                    )
                )
                continue
            if _is_terminal_event(payload):
                terminal = message
        ended = done is not None or finished
        if ended and terminal is None and parsed:
            last = (done or parsed[-1][0]).ref
            found.append(Finding("terminal", "the stream ended without a terminal event", last))


def _is_terminal_event(payload: Mapping[str, Any]) -> bool:
    kind = payload.get("event_type")
    if kind == INTERACTION_COMPLETED:
        return True
    return kind == STATUS_UPDATE and status_carried(payload) in TERMINAL


def _event_id(payload: Mapping[str, Any]) -> str | None:
    value = payload.get("event_id")
    return None if value is None else str(value)
