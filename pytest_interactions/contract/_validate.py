"""Validating cassettes against the protocol: every rule, each finding at its file and line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_interactions.cassette import CassetteError, SecretPolicy
from pytest_interactions.cassette._lines import CassetteLines, cassette_lines
from pytest_interactions.cassette._yaml import load
from pytest_interactions.contract._secrets import leaked_values, secrets_in
from pytest_interactions.contract._session import STREAM, Step, json_answer, read_session
from pytest_interactions.protocol._grammar import (
    ERROR_SEVERITY,
    GRAMMAR_RULES,
    WARNING_SEVERITY,
    Finding,
    InteractionStreams,
    Message,
    check_error_body,
    check_interaction_object,
    check_status_path,
)

#: Every rule ``validate`` applies, by name: the protocol's and the cassette's own.
RULES: dict[str, str] = {
    "cassette": "the file is a readable cassette (YAML, schema)",
    **GRAMMAR_RULES,
    "secrets": "no secret left unscrubbed: filtered headers, query parameters, JSON keys, key values",
}


@dataclass(frozen=True)
class Problem:
    """One finding in one file, printed as ``path:line: [rule] reason``."""

    path: str
    line: int | None
    rule: str
    message: str
    severity: str = ERROR_SEVERITY

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        note = "warning: " if self.severity == WARNING_SEVERITY else ""
        return f"{where}: [{self.rule}] {note}{self.message}"

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
        }


def validate_file(path: Path | str, policy: SecretPolicy | None = None) -> list[Problem]:
    """Check one cassette file against every rule; problems come in line order."""
    path = Path(path)
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        cassette = load(text, path)
    except CassetteError as exc:
        return [Problem(name, exc.line, "cassette", exc.reason)]
    except (OSError, UnicodeDecodeError) as exc:
        return [Problem(name, None, "cassette", f"cannot be read: {exc}")]
    lines = cassette_lines(text)
    policy = policy or SecretPolicy()
    found = _protocol_findings(read_session(cassette), lines)
    problems = [Problem(name, f.ref, f.rule, f.message, f.severity) for f in found]
    for secret in secrets_in(cassette, policy):
        problems.append(Problem(name, secret.line(text, lines), "secrets", f"{secret.where} is not scrubbed"))
    for variable, line in leaked_values(text, policy):
        problems.append(Problem(name, line, "secrets", f"the value of {variable} appears in the cassette"))
    return sorted(problems, key=lambda p: (p.line or 0, p.rule))


def _protocol_findings(steps: list[Step], lines: CassetteLines) -> list[Finding]:
    found: list[Finding] = []
    streams: dict[str, InteractionStreams] = {}
    statuses: dict[str, list[tuple[float, Any, str]]] = {}
    for step in steps:
        exchange, response = step.exchange, step.exchange.response
        where = lines.of(step.index)
        if response is None or step.operation == "other":
            continue
        answer_line = where.answer or where.response or where.exchange
        if step.operation == STREAM and response.status == 200:
            key = step.interaction_id or f"exchange {step.index}"
            grammar = streams.setdefault(key, InteractionStreams(key))
            messages = [
                Message(lines.event(step.index, i), item.event, item.data) for i, item in step.messages
            ]
            found += grammar.check(messages, step.resume_from, step.finished)
            continue
        value = json_answer(exchange)
        what = f"the {step.operation} answer"
        if response.status >= 400:
            found += check_error_body(value, answer_line, f"the {response.status} answer")
        elif step.operation in ("create", "get", "cancel"):
            found += check_interaction_object(value, answer_line, what)
            if step.operation != "cancel" and step.interaction_id and isinstance(value, dict):
                status = value.get("status")
                if isinstance(status, str):
                    at = exchange.at + response.after
                    statuses.setdefault(step.interaction_id, []).append((at, answer_line, status))
    # A stream tells the interaction's history from its start, so its statuses form one path
    # (in event order) and the answers to requests another (in time order).
    for interaction_id, grammar in streams.items():
        found += check_status_path(grammar.statuses, interaction_id)
    for interaction_id, seen in statuses.items():
        ordered = sorted(seen, key=lambda s: s[0])
        found += check_status_path([(ref, status) for _, ref, status in ordered], interaction_id)
    return found
