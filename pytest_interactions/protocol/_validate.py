"""Checks of a client's behaviour against the protocol, over a replayed session's transcript."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from pytest_interactions.protocol._status import REQUIRES_ACTION, first_illegal_transition, is_terminal
from pytest_interactions.protocol._transcript import Connection, StatusSeen, Transcript

#: Every check, by name: what it verifies.
CHECKS: dict[str, str] = {
    "resume": "every reconnect carried the id of the last event the client fully received",
    "duplicates": "no event was delivered twice, and none was skipped, across a stream's connections",
    "complete": "the client read each stream it opened to its end",
    "states": "the statuses the client saw form a legal path of the state machine",
    "polling": "no poll after the client saw a terminal status",
    "requires_action": "an interaction waiting in requires_action was answered with a function_result",
    "chaining": "no create chained onto an interaction that was still in_progress",
}

#: Statuses shown by a cancel's own answer: the request, not yet the observed state.
_REQUESTED_SOURCES = frozenset({"cancel"})


@dataclass(frozen=True)
class Violation:
    """One mistake of the client, with where and when it happened."""

    check: str
    message: str
    interaction_id: str | None = None
    at: float | None = None
    connection: int | None = None

    def __str__(self) -> str:
        return f"[{self.check}] {self.message}"


def _check_resume(
    interaction_id: str, connections: Sequence[Connection], order: Sequence[str]
) -> list[Violation]:
    found: list[Violation] = []
    received: list[str] = []
    partial: str | None = None
    previous: Connection | None = None
    position = {event_id: i for i, event_id in enumerate(order)}
    for connection in connections:
        if previous is not None and not previous.reached_end:
            expected = received[-1] if received else None
            actual = connection.resume_from
            if actual != expected:
                found.append(
                    Violation(
                        "resume",
                        _resume_message(connection, expected, actual, partial, position),
                        interaction_id,
                        connection.at,
                        connection.number,
                    )
                )
        received.extend(connection.received)
        cut = [d for d in connection.deliveries if not d.complete]
        partial = cut[-1].event_id if cut else partial
        previous = connection
    return found


def _resume_message(
    connection: Connection,
    expected: str | None,
    actual: str | None,
    partial: str | None,
    position: Mapping[str, int],
) -> str:
    head = f"reconnect #{connection.number} to {connection.interaction_id} at t={connection.at:.3f}s"
    param = connection.resume_param
    carried = f"carried {param}={actual}"
    if expected is None:
        return f"{head} {carried}, but the client had received no event yet; a fresh stream needs no {param}"
    want = f"expected {param}={expected}, the last event the client fully received"
    if actual is None:
        missing = f"the {param} header" if param[0].isupper() else param
        return f"{head} did not carry {missing} (the stream starts again from the beginning); {want}"
    if actual == partial:
        return f"{head} {carried}, but {actual} was cut in the middle and never fully received; {want}"
    if actual in position and expected in position and position[actual] < position[expected]:
        return (
            f"{head} {carried}, an earlier event than the last one fully received "
            f"(the events after it would arrive twice); {want}"
        )
    return f"{head} {carried}; {want}"


def _check_duplicates(
    interaction_id: str, connections: Sequence[Connection], order: Sequence[str]
) -> list[Violation]:
    found: list[Violation] = []
    first_seen: dict[str, int] = {}
    for connection in connections:
        repeated: dict[int, list[str]] = {}
        for event_id in connection.received:
            if event_id in first_seen:
                repeated.setdefault(first_seen[event_id], []).append(event_id)
            else:
                first_seen[event_id] = connection.number
        for earlier, ids in repeated.items():
            shown = ids[0] if len(ids) == 1 else f"{ids[0]}..{ids[-1]} ({len(ids)} events)"
            found.append(
                Violation(
                    "duplicates",
                    f"{shown} of {interaction_id} delivered twice "
                    f"(connections #{earlier} and #{connection.number})",
                    interaction_id,
                    connection.at,
                    connection.number,
                )
            )
    if first_seen and order:
        furthest = max((order.index(e) for e in first_seen if e in order), default=-1)
        missing = [e for e in order[: furthest + 1] if e not in first_seen]
        if missing:
            shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
            found.append(
                Violation(
                    "duplicates",
                    f"{len(missing)} event(s) of {interaction_id} were never delivered: {shown}",
                    interaction_id,
                )
            )
    return found


def _check_complete(
    interaction_id: str, connections: Sequence[Connection], order: Sequence[str]
) -> list[Violation]:
    last = connections[-1]
    if last.reached_end:
        return []
    received = [e for c in connections for e in c.received]
    where = f"after {received[-1]}" if received else "before its first event"
    total = f" of {len(order)}" if order else ""
    return [
        Violation(
            "complete",
            f"the client stopped reading the stream of {interaction_id} {where} "
            f"({len(set(received))}{total} events received); it never reached the end",
            interaction_id,
            last.at,
            last.number,
        )
    ]


def _check_statuses(transcript: Transcript, interaction_id: str, enabled: Collection[str]) -> list[Violation]:
    found: list[Violation] = []
    seen = [s for s in transcript.statuses_of(interaction_id) if s.source not in _REQUESTED_SOURCES]
    polls = [s for s in seen if s.source == "poll"]
    streamed = [s for s in seen if s.source == "stream"]
    if "states" in enabled:
        # A stream tells the run from its start, so its statuses form a path of their own.
        for path in (polls, streamed):
            illegal = first_illegal_transition([s.status for s in path])
            if illegal is not None:
                at = path[illegal.index].at
                found.append(Violation("states", f"{interaction_id}: {illegal}", interaction_id, at))
                break
    if "polling" in enabled:
        found += _check_polling(interaction_id, seen)
    if "requires_action" in enabled:
        waiting = next((s for s in seen if s.status == REQUIRES_ACTION), None)
        if waiting is not None and not any(
            c.previous_interaction_id == interaction_id and c.answers_function_call for c in transcript.chains
        ):
            found.append(
                Violation(
                    "requires_action",
                    f"{interaction_id} reported 'requires_action' at t={waiting.at:.3f}s (a function call "
                    "waits for its result), but the client treated it as finished: no create with "
                    f"previous_interaction_id={interaction_id} and a function_result input followed",
                    interaction_id,
                    waiting.at,
                )
            )
    return found


def _check_polling(interaction_id: str, seen: Sequence[StatusSeen]) -> list[Violation]:
    """No poll after a poll showed a terminal status; one final read after a stream is fine."""
    for index, status in enumerate(seen):
        if not is_terminal(status.status):
            continue
        later = [s for s in seen[index + 1 :] if s.source == "poll"]
        allowed = 1 if status.source == "stream" else 0
        if len(later) > allowed:
            return [
                Violation(
                    "polling",
                    f"polled {interaction_id} {len(later)} more time(s) after it reported "
                    f"{status.status!r} at t={status.at:.3f}s (a terminal status never changes)",
                    interaction_id,
                    later[allowed].at,
                )
            ]
        return []
    return []


def _check_chains(transcript: Transcript) -> list[Violation]:
    return [
        Violation(
            "chaining",
            f"chained a create onto {chain.previous_interaction_id} at t={chain.at:.3f}s while it was "
            "still in_progress (the API answers 400 Bad Request); wait for a terminal status first",
            chain.previous_interaction_id,
            chain.at,
        )
        for chain in transcript.chains
        if chain.previous_status == "in_progress"
    ]


def validate(
    transcript: Transcript,
    streams: Mapping[str, Sequence[str]],
    enabled: Collection[str] = tuple(CHECKS),
) -> list[Violation]:
    """Every violation of the enabled checks; ``streams`` maps ids to their full event order."""
    unknown = set(enabled) - set(CHECKS)
    if unknown:
        raise ValueError(f"unknown checks: {', '.join(sorted(unknown))}; known: {', '.join(CHECKS)}")
    found: list[Violation] = []
    for interaction_id in transcript.interaction_ids():
        connections = transcript.connections_of(interaction_id)
        order = list(streams.get(interaction_id, ()))
        if connections:
            if "resume" in enabled:
                found += _check_resume(interaction_id, connections, order)
            if "duplicates" in enabled:
                found += _check_duplicates(interaction_id, connections, order)
            if "complete" in enabled:
                found += _check_complete(interaction_id, connections, order)
        found += _check_statuses(transcript, interaction_id, enabled)
    if "chaining" in enabled:
        found += _check_chains(transcript)
    return found
