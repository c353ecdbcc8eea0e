"""What a grade holds: per SDK path, the cuts swept and, per protocol check, pass, FAIL or n/a."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_interactions.cassette import StreamEvent, json_value, load_cassette
from pytest_interactions.protocol import CHECKS, Violation
from pytest_interactions.session import CutPoint

PASS, FAIL, NOT_APPLICABLE = "pass", "FAIL", "n/a"
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Cut:
    """One replay of a path: its name, where the stream was cut, and what came of it."""

    name: str
    """The cut's id (``cut-03-step.delta``), or ``fault-free`` for a path that never streams."""
    where: str
    """Where the connection dropped, in words (empty for the fault-free replay)."""
    findings: tuple[tuple[str, str], ...]
    """Each finding of the checks, as (check, text), folded consequences unfolded."""
    wire: tuple[str, ...] = ()
    """The requests the client sent, in order (``METHOD target -> status``), where known."""
    other: tuple[str, ...] = ()
    """What went wrong outside the checks: the client's own error, requests nothing answers."""


@dataclass
class PathGrade:
    """The grade of one way of using one SDK, the way its documentation teaches it."""

    sdk: str
    version: str
    path: str
    language: str
    """The snippet's language, for its code fence."""
    snippet: str
    """The SDK calls of the path, short enough for a bug report."""
    exercised: frozenset[str]
    """The checks the recorded session gives something to judge."""
    cuts: list[Cut] = field(default_factory=list)

    @property
    def swept(self) -> int:
        """How many cuts were replayed (a path without a stream is replayed once, without one)."""
        return sum(1 for cut in self.cuts if cut.where)

    def verdict(self, check: str) -> str:
        """FAIL when any replay found a mistake of ``check``, else pass, or n/a if it had nothing to judge."""
        if self.failing(check):
            return FAIL
        return PASS if check in self.exercised else NOT_APPLICABLE

    def failing(self, check: str) -> list[tuple[Cut, str]]:
        """Every cut with a finding of ``check``, with its first finding's text."""
        found = []
        for cut in self.cuts:
            texts = [text for name, text in cut.findings if name == check]
            if texts:
                found.append((cut, texts[0]))
        return found


def unfold(violations: Iterable[Violation]) -> list[tuple[str, str]]:
    """Each finding as (check, text): a consequence folded under its cause counts for its own check,
    and the application line that sent a request is left out (it names this script, not the SDK)."""
    found: list[tuple[str, str]] = []
    for violation in violations:
        found.append((violation.check, f"[{violation.check}] {violation.message}"))
        found += unfold(violation.also)
    return found


_MISTAKE = re.compile(r"\[(?P<check>[a-z_]+)\] ")
_ALSO = re.compile(r"\n\s*it also shows as ")


def parse_mistake(line: str) -> list[tuple[str, str]]:
    """A finding as ``sweep`` prints it (``[check] message`` and a line ``it also shows as [other] ...``
    for each finding folded under it), unfolded;
    nothing for a line that names no check (the client's exit status, an unanswered request)."""
    found: list[tuple[str, str]] = []
    for part in _ALSO.split(line):
        match = _MISTAKE.match(part)
        if match is None or match["check"] not in CHECKS:
            return found
        text = re.sub(r" \(sent from [^()]*\)$", "", part)
        found.append((match["check"], text))
    return found


@dataclass
class _Recorded:
    """What a fault-free recording shows the client doing, for deciding which checks apply."""

    streams: bool = False
    background: bool = False
    polls: bool = False
    chains: bool = False
    waits: bool = False
    failures: bool = False
    refusals: bool = False
    requires_action: bool = False
    statuses: bool = False


#: When each check has something to judge in a sweep of cuts. A check not named here (one added
#: to the protocol after this table) is taken to apply to every path: it is graded pass or FAIL.
_APPLIES: dict[str, Callable[[_Recorded], bool]] = {
    "resume": lambda seen: seen.streams,
    "duplicates": lambda seen: seen.streams,
    "complete": lambda seen: seen.streams,
    "recreate": lambda seen: seen.streams,
    "abandoned": lambda seen: seen.streams and seen.background,
    "states": lambda seen: seen.statuses,
    "polling": lambda seen: seen.polls,
    "poll_interval": lambda seen: seen.polls,
    "requires_action": lambda seen: seen.requires_action,
    "chaining": lambda seen: seen.chains,
    "retry_after": lambda seen: seen.waits,
    "backoff": lambda seen: seen.failures,
    "non_retryable": lambda seen: seen.refusals,
}


def exercised(cassette: Path) -> frozenset[str]:
    """The checks that a sweep of the fault-free recording at ``cassette`` gives something to judge."""
    seen = _Recorded()
    for exchange in load_cassette(cassette).exchanges:
        request, response = exchange.request, exchange.response
        body = json_value(request.body)
        sent: dict[str, Any] = body if isinstance(body, dict) else {}
        seen.chains |= bool(sent.get("previous_interaction_id") or sent.get("previous_response_id"))
        seen.background |= sent.get("background") is True
        if response is None:
            seen.failures = True
            continue
        seen.waits |= response.header("retry-after") is not None
        seen.failures |= response.status == 429 or response.status >= 500
        seen.refusals |= 400 <= response.status < 500 and response.status != 429
        if response.events is not None:
            seen.streams = True
            shown = [event.data or "" for event in response.events if isinstance(event, StreamEvent)]
        else:
            seen.polls |= request.method == "GET"
            shown = [json.dumps(json_value(response.body))]
        seen.statuses |= any('"status"' in text for text in shown)
        seen.requires_action |= any('"requires_action"' in text for text in shown)
    return frozenset(check for check in CHECKS if _APPLIES.get(check, _always)(seen))


def _always(seen: _Recorded) -> bool:
    return True


def cut_place(point: CutPoint) -> str:
    """Where the connection drops at ``point``, in words."""
    assert point.cut is not None
    return f"after event {point.cut.position} of the stream of `{point.interaction_id}` (`{point.test_id}`)"


_REAL_TIMES = re.compile(r"\b\d+\.\d{3}s\b")


def scrub(text: str, recordings: Path) -> str:
    """``text`` free of what changes from machine to machine: the temporary folder of the recordings
    and this checkout's path."""
    return text.replace(str(recordings), "$RECORDINGS").replace(str(ROOT), ".")


def real_time(text: str) -> str:
    """``text`` with its seconds on the real clock (a served replay's, never the same twice) left out."""
    return _REAL_TIMES.sub("…s", text)
