"""Validating cassettes against the protocol: every rule, each finding at its file and line.

Each interaction (or response) is judged by the API its requests belong to, against that API's
grammar (``ApiDefinition.grammar``); each finding names the API and the resource it judged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_interactions._terminal import terminal_safe
from pytest_interactions.cassette import CassetteError, CassetteLines, SecretPolicy, cassette_lines, load
from pytest_interactions.contract._secrets import leaked_values, secrets_in
from pytest_interactions.contract._session import STREAM, Step, json_answer, read_session
from pytest_interactions.protocol import (
    APIS,
    ERROR_SEVERITY,
    WARNING_SEVERITY,
    ApiDefinition,
    Finding,
    Message,
    StreamChecker,
)

#: Every rule ``validate`` applies, by name: the cassette's own and those of any API's grammar.
RULES: dict[str, str] = {
    "cassette": "the file is a readable cassette (YAML, schema)",
    "api": "each stream speaks the grammar of the API whose path it was requested at",
    **{name: text for api in reversed(APIS) for name, text in api.grammar.rules.items()},
    "secrets": "no secret left unscrubbed: filtered headers, query parameters, JSON keys, key values",
}

#: The rules of each API's grammar, by API name.
API_RULES: dict[str, Mapping[str, str]] = {api.name: api.grammar.rules for api in APIS}


@dataclass(frozen=True)
class Problem:
    """One finding in one file, printed as ``path:line: [rule] reason``."""

    path: str
    line: int | None
    rule: str
    message: str
    severity: str = ERROR_SEVERITY
    api: str | None = None
    """The API the finding was judged by (``None``: a rule of the file itself)."""
    subject: str | None = None
    """The resource judged, in its API's terms: ``response resp_1``, ``interaction v1_a``."""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        note = "warning: " if self.severity == WARNING_SEVERITY else ""
        judged = f" ({' '.join(p for p in (self.api, self.subject) if p)})" if self.api else ""
        return terminal_safe(f"{where}: [{self.rule}] {note}{self.message}{judged}")

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "api": self.api,
            "subject": self.subject,
        }


@dataclass(frozen=True)
class Validation:
    """One file's problems, and the API each interaction (or response) of it was judged by."""

    path: Path
    problems: list[Problem]
    judged: dict[str, str] = field(default_factory=dict)
    """``response resp_1`` -> ``openai``, in order of appearance."""


def validate_file(path: Path | str, policy: SecretPolicy | None = None) -> list[Problem]:
    """Check one cassette file against every rule; problems come in line order."""
    return validate_cassette(path, policy).problems


def validate_cassette(path: Path | str, policy: SecretPolicy | None = None) -> Validation:
    """Check one cassette file against every rule, each interaction by its own API's grammar."""
    path = Path(path)
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        cassette = load(text, path)
    except CassetteError as exc:
        return Validation(path, [Problem(name, exc.line, "cassette", exc.reason)])
    except (OSError, UnicodeDecodeError) as exc:
        return Validation(path, [Problem(name, None, "cassette", f"cannot be read: {exc}")])
    lines = cassette_lines(text)
    policy = policy or SecretPolicy()
    judge = _Judge(lines)
    judge.read(read_session(cassette))
    problems = [
        Problem(name, f.ref, f.rule, f.message, f.severity, api.name, subject)
        for api, subject, f in judge.found
    ]
    for secret in secrets_in(cassette, policy):
        problems.append(Problem(name, secret.line(text, lines), "secrets", f"{secret.where} is not scrubbed"))
    for variable, line in leaked_values(text, policy):
        problems.append(Problem(name, line, "secrets", f"the value of {variable} appears in the cassette"))
    problems.sort(key=lambda p: (p.line or 0, p.rule))
    return Validation(path, problems, {subject: api.name for subject, api in judge.apis.items()})


class _Judge:
    """Reads a session's steps and judges each resource by its API's grammar."""

    def __init__(self, lines: CassetteLines) -> None:
        self.lines = lines
        self.found: list[tuple[ApiDefinition, str | None, Finding]] = []
        self.apis: dict[str, ApiDefinition] = {}
        self.streams: dict[str, StreamChecker] = {}
        self.statuses: dict[str, list[tuple[float, Any, str]]] = {}

    def subject(self, step: Step) -> str:
        assert step.api is not None
        name = f"{step.api.noun} {step.interaction_id or f'(exchange {step.index})'}"
        self.apis.setdefault(name, step.api)
        return name

    def add(self, api: ApiDefinition, subject: str | None, findings: list[Finding]) -> None:
        self.found += [(api, subject, f) for f in findings]

    def read(self, steps: list[Step]) -> None:
        judged = [s for s in steps if s.api is not None and s.operation != "other" and s.exchange.response]
        answered = self._answered(judged)
        for step in judged:
            self._step(step, answered.get(self.subject(step), set()))
        # A stream tells a run's history from its start, so its statuses form one path (in event
        # order) and the answers to requests another (in time order).
        for subject, checker in self.streams.items():
            api = self.apis[subject]
            self.add(api, subject, _status_path(api, checker.statuses, subject))
        for subject, seen in self.statuses.items():
            api = self.apis[subject]
            ordered = sorted(seen, key=lambda s: s[0])
            self.add(api, subject, _status_path(api, [(ref, st) for _, ref, st in ordered], subject))

    def _answered(self, steps: list[Step]) -> dict[str, set[str]]:
        """The statuses each resource's answers showed (the cancel's own answer included)."""
        answered: dict[str, set[str]] = {}
        for step in steps:
            value = json_answer(step.exchange)
            if step.operation != STREAM and isinstance(value, dict) and isinstance(value.get("status"), str):
                answered.setdefault(self.subject(step), set()).add(value["status"])
        return answered

    def _step(self, step: Step, answered: set[str]) -> None:
        api, response, subject = step.api, step.exchange.response, self.subject(step)
        assert api is not None
        assert response is not None
        where = self.lines.of(step.index)
        answer_line = where.answer or where.response or where.exchange
        if step.operation == STREAM and response.status == 200:
            checker = self.streams.get(subject)
            if checker is None:
                checker = self.streams[subject] = api.grammar.streams(
                    step.interaction_id or subject, answered
                )
            messages = [
                Message(self.lines.event(step.index, i), item.event, item.data, item.id)
                for i, item in step.messages
            ]
            stranger = _spoken_by_another(api, step)
            if stranger is not None:
                text = f"the stream of {step.path} reads as {stranger.name}'s, not {api.name}'s; not judged"
                self.add(api, subject, [Finding("api", text, messages[0].ref)])
                return
            self.add(api, subject, checker.check(messages, step.resume_from, step.finished, step.resumable))
            return
        value = json_answer(step.exchange)
        if response.status >= 400:
            self.add(
                api, subject, api.grammar.check_error(value, answer_line, f"the {response.status} answer")
            )
        elif step.operation in ("create", "get", "cancel"):
            what = f"the {step.operation} answer"
            self.add(api, subject, api.grammar.check_answer(value, answer_line, what, stored=step.stored))
            if step.operation != "cancel" and step.interaction_id and isinstance(value, dict):
                status = value.get("status")
                if isinstance(status, str):
                    at = step.exchange.at + response.after
                    self.statuses.setdefault(subject, []).append((at, answer_line, status))


def _spoken_by_another(api: ApiDefinition, step: Step) -> ApiDefinition | None:
    """The API a stream's events are recognised as, when its path's API does not recognise them."""
    payloads = [p for _, item in step.messages if (p := step.payload(item)) is not None]
    sse_ids = any(item.id is not None for _, item in step.messages)
    if not payloads or api.recognises(payloads, sse_ids):
        return None
    return next((other for other in APIS if other.recognises(payloads, sse_ids)), None)


def _status_path(api: ApiDefinition, observations: list[tuple[Any, str]], subject: str) -> list[Finding]:
    """The first illegal step in the statuses observed of one resource."""
    illegal = api.first_illegal_transition(status for _, status in observations)
    if illegal is None:
        return []
    return [Finding("status-path", f"{subject}: {illegal}", observations[illegal.index][0])]
