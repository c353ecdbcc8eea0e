"""What the checks find: one mistake of the client each, where it was made, and what follows from it."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from pytest_interactions.protocol._transcript import Transcript


@dataclass(frozen=True)
class RunFacts:
    """What the recording tells of a run, beyond its event order, for the checks."""

    resumable: bool = True
    """Whether a client can resume the stream (else it can only create again, or give up)."""
    safe_points: frozenset[str] | None = None
    """Events after which a continuation create goes on without generating output twice
    (``None``: the run hands out no continuation tokens)."""
    checkpoints: tuple[str, ...] = ()
    """The events that hand out a continuation token, in order."""
    seeded: bool = False
    """The run was itself made by a continuation create (its start is a resume point)."""
    background: bool = False
    """The run was created to run in the background: it goes on without the client."""
    running_at_end: str | None = None
    """The status the run still had when the session ended, if it had not ended (``None``: ended
    or unknown)."""


@dataclass(frozen=True)
class Thresholds:
    """The documented floors the pacing checks hold a client to; set per test or in ini."""

    min_retry_delay: float = 0.25
    """Seconds a client waits at least before retrying a failure that asked for no wait (the SDKs'
    own policies start at 0.5 s with jitter; the guide's loop waits 3 s)."""
    min_poll_interval: float = 0.5
    """Seconds between two polls of one run below which polls count as a storm (the guide polls
    every 2-5 s)."""
    poll_storm: int = 3
    """How many such short gaps in a row make a polling storm (one quick poll again is fine)."""


@dataclass(frozen=True)
class Violation:
    """One mistake of the client, with where and when it happened, and what follows from it."""

    check: str
    message: str
    interaction_id: str | None = None
    at: float | None = None
    connection: int | None = None
    origin: str | None = None
    """The application's line that sent the request at fault (``file:line in function``)."""
    also: tuple[Violation, ...] = ()
    """Findings that are consequences of this one (folded under it, not bugs of their own)."""

    def __str__(self) -> str:
        text = f"[{self.check}] {self.message}"
        if self.origin:
            text += f" (sent from {self.origin})"
        for consequence in self.also:
            text += f"\n     it also shows as [{consequence.check}] {consequence.message}"
        return text


#: Which findings follow from which: a consequence on the same run is folded under its cause.
_CAUSES: dict[str, tuple[str, ...]] = {
    "states": ("resume", "duplicates"),  # events delivered again show an earlier status again
    "duplicates": ("resume",),  # a reconnect from the wrong position delivers events twice
    "complete": ("recreate",),  # a run created again leaves the first one unread
}


def fold(found: Sequence[Violation]) -> list[Violation]:
    """Root causes first: each finding that follows from another on the same run is folded under it."""
    parents: dict[int, int] = {}
    for n, violation in enumerate(found):
        causes = _CAUSES.get(violation.check, ())
        parent = next(
            (
                m
                for m, other in enumerate(found)
                if other.check in causes and other.interaction_id == violation.interaction_id
            ),
            None,
        )
        if parent is not None:
            parents[n] = parent

    def root(n: int) -> int:
        while n in parents:
            n = parents[n]
        return n

    folded: dict[int, list[Violation]] = {}
    for n in parents:
        folded.setdefault(root(n), []).append(found[n])
    return [
        dataclasses.replace(violation, also=tuple(folded[n])) if n in folded else violation
        for n, violation in enumerate(found)
        if n not in parents
    ]


def with_origins(found: Sequence[Violation], transcript: Transcript) -> list[Violation]:
    """Each finding with the application's line that sent the request at fault, where known."""
    if not any(r.origin for r in transcript.requests) and not any(c.origin for c in transcript.connections):
        return list(found)
    by_number = {c.number: c for c in transcript.connections}
    result = []
    for violation in found:
        origin = violation.origin
        if origin is None and violation.connection is not None and violation.connection in by_number:
            origin = by_number[violation.connection].origin
        if origin is None and violation.at is not None:
            origin = _request_origin(transcript, violation)
        result.append(dataclasses.replace(violation, origin=origin) if origin else violation)
    return result


def _request_origin(transcript: Transcript, violation: Violation) -> str | None:
    """The line that sent the run's last request by the moment of ``violation``."""
    assert violation.at is not None
    moment = violation.at + 1e-9
    candidates = [r for r in transcript.requests if r.origin and r.at <= moment]
    same_run = [r for r in candidates if r.interaction_id == violation.interaction_id]
    chosen = (same_run or candidates)[-1:] if (same_run or candidates) else []
    return chosen[0].origin if chosen else None
