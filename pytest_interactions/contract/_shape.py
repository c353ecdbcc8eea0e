"""The shape of a recorded session: what stays the same from one run to the next.

Ids, timestamps, free text and token counts change on every run; the operations, HTTP statuses,
status paths, event and step types, field names and types, and error codes should not. Each
interaction is read in the grammar of its API: Gemini's event_type and step types, OpenAI's event
type and output item types, each ordered by its own event ids (event_id, sequence_number).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_interactions.cassette import Cassette, StreamEvent
from pytest_interactions.contract._session import OTHER, STREAM, Step, json_answer, read_session
from pytest_interactions.protocol import ApiDefinition, event_id_key

#: How an event is named in a shape: its type, and the step, delta or error type it carries.
Token = str


def json_type(value: Any) -> str:
    """The JSON type name of a value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def field_types(value: Any, prefix: str = "") -> dict[str, str]:
    """Every field path of a JSON value with its type (array items under ``path[]``)."""
    found: dict[str, str] = {}
    if isinstance(value, Mapping):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            found[path] = json_type(item)
            found.update(field_types(item, path))
    elif isinstance(value, list):
        for item in value:
            path = f"{prefix}[]"
            found.setdefault(path, json_type(item))
            for sub, kind in field_types(item, path).items():
                found.setdefault(sub, kind)
    return found


def collapse(items: Iterable[str]) -> list[str]:
    """Runs of the same item as one (five text deltas and six are the same shape)."""
    out: list[str] = []
    for item in items:
        if not out or out[-1] != item:
            out.append(item)
    return out


@dataclass
class InteractionShape:
    """The shape of one interaction (or response) across the requests that concern it."""

    label: str
    """Its API's word for it and its number in the session: ``interaction #1``, ``response #2``."""
    api: str = ""
    """The name of the API it was read by."""
    requests: list[str] = field(default_factory=list)
    """Operations with their HTTP statuses, repeats collapsed: ``create 200``, ``get 200``..."""
    answered_statuses: list[str] = field(default_factory=list)
    streamed_statuses: list[str] = field(default_factory=list)
    events: list[Token] = field(default_factory=list)
    """The interaction's events in id order (across resumes), repeats collapsed."""
    fields: dict[str, dict[str, str]] = field(default_factory=dict)
    """Field types by what carries them: an event token or ``get answer`` etc."""
    errors: list[str] = field(default_factory=list)
    """Error answers: ``get 404 NOT_FOUND``."""
    duration: float | None = None
    """Seconds from the first request to the last event or answer seen."""
    _started: float | None = None
    _events: dict[str, tuple[tuple[str, int, str], Token, str | None]] = field(default_factory=dict)
    _unnumbered: list[Token] = field(default_factory=list)

    def add_event(self, event_id: str | None, token: Token, status: str | None) -> None:
        """An event of a stream; one already seen on an earlier connection counts once."""
        if event_id is None:
            self._unnumbered.append(token)
        elif event_id not in self._events:
            self._events[event_id] = (event_id_key(event_id), token, status)

    def add_fields(self, owner: str, value: Any) -> None:
        merged = self.fields.setdefault(owner, {})
        for path, kind in field_types(value).items():
            merged.setdefault(path, kind)

    def seen_at(self, at: float) -> None:
        if self._started is None:
            self._started = at
        self.duration = max(self.duration or 0.0, at - self._started)

    def finish(self) -> None:
        ordered = sorted(self._events.values(), key=lambda entry: entry[0])
        self.events = collapse([*(token for _, token, _ in ordered), *self._unnumbered])
        self.streamed_statuses = collapse(status for _, _, status in ordered if status is not None)
        self.requests = collapse(self.requests)
        self.answered_statuses = collapse(self.answered_statuses)


@dataclass
class SessionShape:
    """The shape of a whole recorded session: its interactions, in order of appearance."""

    interactions: list[InteractionShape] = field(default_factory=list)
    other: list[str] = field(default_factory=list)
    """Requests to paths that no API's routes know: ``GET /health 200``."""


def _stream(shape: InteractionShape, step: Step, api: ApiDefinition) -> None:
    base = step.exchange.at
    for _, item in step.messages:
        if not isinstance(item, StreamEvent) or item.data is None or item.data == api.done_data:
            continue
        payload = step.payload(item)
        if payload is None:
            continue
        token = api.grammar.event_token(payload)
        shape.add_fields(token, payload)
        shape.seen_at(base + item.at)
        shape.add_event(step.event_id(item), token, api.status_carried(payload))


def session_shape(cassette: Cassette) -> SessionShape:
    """Read the shape of a cassette's session."""
    shape = SessionShape()
    by_id: dict[str, InteractionShape] = {}
    for step in read_session(cassette):
        exchange, response = step.exchange, step.exchange.response
        if response is not None:
            status = str(response.status)
        else:
            status = f"failed ({exchange.error.error})" if exchange.error else "no answer"
        api = step.api
        if step.operation == OTHER or step.interaction_id is None or api is None:
            shape.other.append(f"{exchange.request.method} {step.path} {status}")
            continue
        current = by_id.get(step.interaction_id)
        if current is None:
            label = f"{api.noun} #{len(by_id) + 1}"
            current = by_id[step.interaction_id] = InteractionShape(label, api.name)
            shape.interactions.append(current)
        current.requests.append(f"{step.operation} {status}")
        current.seen_at(exchange.at)
        if response is None:
            continue
        if step.operation == STREAM and response.status == 200:
            _stream(current, step, api)
            continue
        current.seen_at(exchange.at + response.after)
        value = json_answer(exchange)
        if response.status >= 400:
            name = api.grammar.error_name(value)
            current.errors.append(f"{step.operation} {response.status} {name or '(no error status)'}")
            current.add_fields(f"{response.status} answer", value)
        elif value is not None and step.operation != "delete":
            current.add_fields(f"{step.operation} answer", value)
            answered = value.get("status") if isinstance(value, Mapping) else None
            if step.operation in ("create", "get") and isinstance(answered, str):
                current.answered_statuses.append(answered)
    for interaction in shape.interactions:
        interaction.finish()
    return shape
