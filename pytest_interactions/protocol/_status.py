"""Interaction statuses and the transitions between them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

QUEUED = "queued"
IN_PROGRESS = "in_progress"
REQUIRES_ACTION = "requires_action"
REQUIRES_CONTINUATION = "requires_continuation"
COMPLETED = "completed"
FAILED = "failed"
CANCELLED = "cancelled"
INCOMPLETE = "incomplete"
BUDGET_EXCEEDED = "budget_exceeded"

#: Statuses after which an interaction never changes again.
TERMINAL: frozenset[str] = frozenset({COMPLETED, FAILED, CANCELLED, INCOMPLETE, BUDGET_EXCEEDED})

#: Statuses in which the interaction waits for the client (it will not progress by itself).
WAITING: frozenset[str] = frozenset({REQUIRES_ACTION, REQUIRES_CONTINUATION})

KNOWN: frozenset[str] = TERMINAL | WAITING | {QUEUED, IN_PROGRESS}

_RUNNING_NEXT = frozenset({IN_PROGRESS}) | WAITING | TERMINAL

#: Legal next statuses for each known status (staying in the same status is always legal).
TRANSITIONS: dict[str, frozenset[str]] = {
    QUEUED: frozenset({IN_PROGRESS}) | TERMINAL,
    IN_PROGRESS: _RUNNING_NEXT,
    REQUIRES_ACTION: frozenset({CANCELLED}),
    REQUIRES_CONTINUATION: frozenset({IN_PROGRESS, CANCELLED}),
    **{status: frozenset() for status in TERMINAL},
}


def is_terminal(status: str) -> bool:
    """True when the status can never change again."""
    return status in TERMINAL


def can_follow(previous: str, current: str, transitions: Mapping[str, frozenset[str]] = TRANSITIONS) -> bool:
    """True when ``current`` may be observed after ``previous`` for the same interaction.

    Unknown statuses are tolerated in both places, as the SDK tolerates them.
    """
    if previous == current or previous not in transitions or current not in transitions:
        return True
    return current in transitions[previous]


@dataclass(frozen=True)
class IllegalTransition:
    """A status that may not follow the one seen before it."""

    index: int
    previous: str
    current: str
    transitions: Mapping[str, frozenset[str]] = field(default_factory=lambda: TRANSITIONS, repr=False)

    def __str__(self) -> str:
        allowed = ", ".join(sorted(self.transitions.get(self.previous, ()))) or "nothing (terminal)"
        return (
            f"status {self.current!r} observed after {self.previous!r} "
            f"(observation #{self.index + 1}); after {self.previous!r} the protocol allows: {allowed}"
        )


def first_illegal_transition(
    statuses: Iterable[str], transitions: Mapping[str, frozenset[str]] = TRANSITIONS
) -> IllegalTransition | None:
    """Return the first illegal step in a sequence of observed statuses, or ``None``."""
    previous: str | None = None
    for index, status in enumerate(statuses):
        if previous is not None and not can_follow(previous, status, transitions):
            return IllegalTransition(index, previous, status, transitions)
        previous = status
    return None
