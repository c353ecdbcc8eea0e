"""What an API definition tells of its recordings: the rules its streams and answers follow, and
how its events are named in a session's shape.

Callers hand in plain messages and observations, each with a ``ref`` of their own (a line, an
index) that comes back on every finding, so the rules know nothing of files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

ERROR_SEVERITY = "error"
WARNING_SEVERITY = "warning"

_NUMBERED = re.compile(r"^(.*?)(\d+)$")


@dataclass(frozen=True)
class Finding:
    """One departure from the protocol, pointing at the caller's ``ref``."""

    rule: str
    message: str
    ref: Any = None
    severity: str = ERROR_SEVERITY


@dataclass(frozen=True)
class Message:
    """One SSE message of a recorded stream: its ``event:`` field, its data and its ``id:``."""

    ref: Any
    event: str | None
    data: str | None
    sse_id: str | None = None


def event_id_key(event_id: str) -> tuple[str, int, str]:
    """A sort key under which event ids increase (``evt_9`` before ``evt_10``, ``9`` before ``10``)."""
    match = _NUMBERED.match(event_id)
    if match is None:
        return (event_id, -1, event_id)
    return (match[1], int(match[2]), event_id)


def missing_fields(value: Any, paths: Sequence[str]) -> list[str]:
    """The dotted ``paths`` absent from a JSON value."""
    missing = []
    for path in paths:
        node = value
        for part in path.split("."):
            if not isinstance(node, Mapping) or part not in node:
                missing.append(path)
                break
            node = node[part]
    return missing


def json_payload(message: Message, found: list[Finding]) -> dict[str, Any] | None:
    """A message's data as a JSON object; a finding when it is not one (``None`` for no data)."""
    if message.data is None:
        return None
    try:
        value = json.loads(message.data)
    except ValueError:
        found.append(Finding("required-fields", "the data is not JSON", message.ref))
        return None
    if not isinstance(value, dict):
        found.append(Finding("required-fields", "the data is not a JSON object", message.ref))
        return None
    return value


def ref_text(ref: Any) -> str:
    """A ref as a reader names it: ``line 12``."""
    return f"line {ref}" if isinstance(ref, int) else str(ref)


class StreamChecker(Protocol):
    """Checks the streams of one resource, in the order they were opened."""

    statuses: list[tuple[Any, str]]
    """Statuses the streams carried, in event order, with the ref of the event carrying each."""

    def check(
        self, messages: Sequence[Message], resume_from: str | None, finished: bool, resumable: bool = True
    ) -> list[Finding]:
        """Check one stream; ``finished``: it ended on its own (no drop, not closed early);
        ``resumable``: a client could resume it (a stored resource's stream)."""
        ...


class AnswerCheck(Protocol):
    """Checks of a JSON answer: (value, ref, what); ``stored``: the request did not opt out of
    storing the resource (an unstored one may come back without an id)."""

    def __call__(self, value: Any, ref: Any, what: str, *, stored: bool = True) -> list[Finding]: ...


@dataclass(frozen=True)
class Grammar:
    """An API's grammar, as the contract tools (validate, diff, conform, inspect) use it."""

    noun: str
    """What the API calls the resource a run creates: ``interaction``, ``response``."""
    rules: Mapping[str, str]
    """Every rule a recording of this API is checked against, by name: what it requires."""
    sources: Mapping[str, str]
    """Where each rule comes from: the API's docs, the official SDK's types, a named capture of
    the live API, or an assumption no source states."""
    streams: Callable[[str, Collection[str]], StreamChecker]
    """A checker for one resource's streams, told the statuses its answers showed (some runs, such
    as a cancelled OpenAI response, end their stream without an event saying so)."""
    check_answer: AnswerCheck
    """Checks of the resource object a create, get or cancel answered."""
    check_error: AnswerCheck
    """Checks of the body of an HTTP error answer."""
    event_token: Callable[[Mapping[str, Any]], str]
    """An event's name in a session's shape: its type and the kind of part it carries."""
    error_name: Callable[[Any], str | None]
    """The error's kind in an error answer's body (``NOT_FOUND``, ``invalid_request_error``)."""


def resource_check(
    noun: str, fields: Sequence[str], statuses: Collection[str], stored_only: Collection[str] = ()
) -> AnswerCheck:
    """Checks of the resource object a create, get or cancel answers: its fields, its status.
    ``stored_only``: fields an unstored resource may lack (its id, when nothing can fetch it)."""

    def check(value: Any, ref: Any, what: str, *, stored: bool = True) -> list[Finding]:
        if not isinstance(value, Mapping):
            return [Finding("required-fields", f"{what} is not a JSON object", ref)]
        required = fields if stored else [f for f in fields if f not in stored_only]
        found = [
            Finding("required-fields", f"{what} lacks '{path}'", ref)
            for path in missing_fields(value, required)
        ]
        status = value.get("status")
        if isinstance(status, str) and status not in statuses:
            found.append(
                Finding(
                    "unknown-type", f"{what} has an undocumented status {status!r}", ref, WARNING_SEVERITY
                )
            )
        return found

    check.__doc__ = f"Checks of {noun} object in a JSON answer."
    return check


def error_check(fields: Sequence[str], shape: str) -> AnswerCheck:
    """Checks of an HTTP error answer's body: the fields the API's errors carry (``shape``)."""

    def check(value: Any, ref: Any, what: str, *, stored: bool = True) -> list[Finding]:
        return [
            Finding("required-fields", f"{what} lacks '{path}' (errors are {shape})", ref)
            for path in missing_fields(value, fields)
        ]

    return check
