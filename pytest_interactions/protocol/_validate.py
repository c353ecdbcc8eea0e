"""Checks of a client's behaviour against the protocol, over a replayed session's transcript."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from pytest_interactions.protocol._apis import API_NAMES, GEMINI_INTERACTIONS
from pytest_interactions.protocol._status import REQUIRES_ACTION
from pytest_interactions.protocol._transcript import Connection, StatusSeen, Transcript

#: Every check, by name: what it verifies.
CHECKS: dict[str, str] = {
    "resume": "every reconnect carried the id of the last event the client fully received",
    "duplicates": "no event was delivered twice, and none was skipped, across a stream's connections",
    "complete": "the client read each stream it opened to the event that ends it (or gave up where declared)",
    "states": "the statuses the client saw form a legal path of the state machine",
    "polling": "no more than one read of an interaction after it showed a terminal status",
    "requires_action": "an interaction waiting in requires_action was answered with a function_result "
    "for each of its function calls, and for no other",
    "chaining": "no create chained onto an interaction that was still in_progress",
    "retry_after": "after an answer asking to wait (Retry-After), the client waited that long",
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
        cut = connection.cut_inside
        partial = cut.event_id if cut is not None else partial
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
    interaction_id: str,
    connections: Sequence[Connection],
    order: Sequence[str],
    gives_up_after: int | None = None,
) -> list[Violation]:
    last = connections[-1]
    if gives_up_after is not None and any(c.refused for c in connections):
        return _check_give_up(interaction_id, connections, gives_up_after)
    if last.reached_end or any(c.read_terminal for c in connections):
        return []
    received = [e for c in connections for e in c.received]
    # Events handed over in one chunk with the last one the client surely read may be unread.
    unsure = min(last.unread, len(last.received) - 1) if last.closed_early else 0
    sure = received[: len(received) - unsure] if unsure > 0 else received
    where = f"after {sure[-1]}" if sure else "before its first event"
    total = f" of {len(order)}" if order else ""
    also = ""
    if unsure > 0:
        tail = received[-1] if unsure == 1 else f"{received[-unsure]}..{received[-1]}"
        also = f"; {tail} arrived with {sure[-1]} in one chunk and may have been read too"
    return [
        Violation(
            "complete",
            f"the client stopped reading the stream of {interaction_id} {where} "
            f"({len(set(sure))}{total} events received{also}); it never reached the end",
            interaction_id,
            last.at,
            last.number,
        )
    ]


def _check_give_up(interaction_id: str, connections: Sequence[Connection], declared: int) -> list[Violation]:
    """The client was meant to stop after ``declared`` failed reconnects in a row: did it?"""
    last = connections[-1]
    trailing = longest = run = 0
    for connection in connections:
        run = run + 1 if connection.refused else 0
        longest = max(longest, run)
    for connection in reversed(connections):
        if not connection.refused:
            break
        trailing += 1
    finished = last.reached_end or any(c.read_terminal for c in connections)
    if longest > declared:
        problem = (
            f"kept reconnecting after {declared} failed reconnects ({longest} in a row) instead of giving up"
        )
    elif finished:
        problem = f"read the stream to its end instead of giving up after {declared} failed reconnect(s)"
    elif trailing < declared:
        problem = (
            f"gave up after {trailing} failed reconnect(s), earlier than the {declared} declared "
            "(gives_up_after)"
        )
    else:
        return []
    return [Violation("complete", f"the client {problem} on {interaction_id}", interaction_id, last.at)]


def _check_statuses(transcript: Transcript, interaction_id: str, enabled: Collection[str]) -> list[Violation]:
    found: list[Violation] = []
    api = API_NAMES.get(transcript.apis.get(interaction_id, ""), GEMINI_INTERACTIONS)
    seen = [s for s in transcript.statuses_of(interaction_id) if s.source not in _REQUESTED_SOURCES]
    polls = [s for s in seen if s.source == "poll"]
    streamed = [s for s in seen if s.source == "stream"]
    if "states" in enabled:
        # A stream tells the run from its start, so its statuses form a path of their own.
        for path in (polls, streamed):
            illegal = api.first_illegal_transition([s.status for s in path])
            if illegal is not None:
                at = path[illegal.index].at
                found.append(Violation("states", f"{interaction_id}: {illegal}", interaction_id, at))
                break
    if "polling" in enabled:
        found += _check_polling(interaction_id, seen, api.terminal)
    if "requires_action" in enabled:
        found += _check_function_results(transcript, interaction_id)
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


def _check_function_results(transcript: Transcript, interaction_id: str) -> list[Violation]:
    """Each function_result answers a call the continued interaction really made."""
    found: list[Violation] = []
    for chain in transcript.chains:
        if chain.previous_interaction_id != interaction_id or chain.known_calls is None:
            continue
        for call_id in chain.call_ids:
            if call_id not in chain.known_calls:
                calls = ", ".join(chain.known_calls) or "none"
                found.append(
                    Violation(
                        "requires_action",
                        f"a function_result at t={chain.at:.3f}s answers call_id={call_id!r}, which "
                        f"matches no function call of {interaction_id} (its calls: {calls}); the API "
                        "answers 400",
                        interaction_id,
                        chain.at,
                    )
                )
    return found


#: Reads allowed after a terminal status: the common "poll until done, then one GET for the full
#: result" (or one GET after the stream ended) is fine; a loop that keeps polling is not.
_READS_AFTER_TERMINAL = 1


def _check_polling(
    interaction_id: str, seen: Sequence[StatusSeen], terminal: Collection[str]
) -> list[Violation]:
    """No more than one poll after the client was shown a terminal status."""
    for index, status in enumerate(seen):
        if status.status not in terminal:
            continue
        later = [s for s in seen[index + 1 :] if s.source == "poll"]
        if len(later) > _READS_AFTER_TERMINAL:
            return [
                Violation(
                    "polling",
                    f"polled {interaction_id} {len(later)} more time(s) after it reported "
                    f"{status.status!r} at t={status.at:.3f}s (a terminal status never changes; one "
                    "last read for the full result is fine, more is a loop that missed the end)",
                    interaction_id,
                    later[_READS_AFTER_TERMINAL].at,
                )
            ]
        return []
    return []


def _check_retry_after(transcript: Transcript) -> list[Violation]:
    """After an answer asking to wait, the next request on the same interaction came no sooner."""
    found: list[Violation] = []
    requests = transcript.requests
    for index, asked in enumerate(requests):
        if asked.retry_after is None or asked.interaction_id is None:
            continue
        later = next((r for r in requests[index + 1 :] if r.interaction_id == asked.interaction_id), None)
        if later is None:
            continue
        waited = later.at - asked.at
        if waited + 1e-6 < asked.retry_after:
            found.append(
                Violation(
                    "retry_after",
                    f"{asked.method} {asked.target} was answered {asked.status} at t={asked.at:.3f}s "
                    f"with Retry-After: {asked.retry_after:g}s, but the client tried again after "
                    f"{waited:.3f}s ({later.method} {later.target}); honour Retry-After",
                    asked.interaction_id,
                    later.at,
                )
            )
    return found


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
    *,
    gives_up_after: int | None = None,
) -> list[Violation]:
    """Every violation of the enabled checks; ``streams`` maps ids to their full event order.

    ``gives_up_after`` declares that the client is meant to stop after that many failed
    reconnects in a row: ``complete`` then checks that it stopped there.
    """
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
                found += _check_complete(interaction_id, connections, order, gives_up_after)
        found += _check_statuses(transcript, interaction_id, enabled)
    if "chaining" in enabled:
        found += _check_chains(transcript)
    if "retry_after" in enabled:
        found += _check_retry_after(transcript)
    return found
