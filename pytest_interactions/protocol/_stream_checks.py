"""Checks of each stream a client read: resumes, events delivered, whether it read to the end.

A run that generates recorded work again (a continuation, a create sent again) is read with the
stream it carries on: see :class:`Regeneration`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from pytest_interactions.protocol._findings import RunFacts, Violation
from pytest_interactions.protocol._transcript import Connection, Regeneration, Transcript

NO_FACTS = RunFacts()
"""What the checks assume of a run the recording tells nothing more of."""


def check_resume(
    interaction_id: str,
    connections: Sequence[Connection],
    order: Sequence[str],
    fresh: Collection[int] = (),
) -> list[Violation]:
    found: list[Violation] = []
    received: list[str] = []
    partial: str | None = None
    previous: Connection | None = None
    position = {event_id: i for i, event_id in enumerate(order)}
    for connection in connections:
        # A run generated again starts where its create said; what it repeats, ``duplicates`` tells.
        if previous is not None and not previous.reached_end and connection.number not in fresh:
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


def check_duplicates(
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


def check_complete(
    interaction_id: str,
    connections: Sequence[Connection],
    order: Sequence[str],
    gives_up_after: int | None = None,
    facts: RunFacts = NO_FACTS,
    raised: bool = False,
) -> list[Violation]:
    last = connections[-1]
    if gives_up_after == 0:
        return _check_gave_up_at_once(interaction_id, connections)
    if gives_up_after is not None and any(c.refused for c in connections):
        return _check_give_up(interaction_id, connections, gives_up_after)
    if any(c.read_terminal for c in connections):
        return _raised_after_end(interaction_id, connections) if raised else []
    if last.reached_end:
        return []
    if raised and not facts.resumable and last.cut is not None:
        return []  # the client surfaced the drop of a stream nobody can resume: right
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
            f"({len(set(sure))}{total} events received{also}); it never reached the end"
            + _no_safe_point(sure, facts, interaction_id, last.resume_param)
            + _cannot_resume(facts),
            interaction_id,
            last.at,
            last.number,
        )
    ]


def _no_safe_point(received: Sequence[str], facts: RunFacts, interaction_id: str, param: str) -> str:
    """Why a continuation could not have resumed the run where the client stopped, if it could not."""
    if facts.safe_points is None or (received and received[-1] in facts.safe_points):
        return ""
    got = [e for e in facts.checkpoints if e in received]
    if not got and facts.seeded:
        why = (
            "output arrived after the continuation_token the run was created with, which a "
            "continuation create would generate again"
        )
    elif not got:
        first = f" (the first came with {facts.checkpoints[0]})" if facts.checkpoints else ""
        why = (
            f"no continuation_token had arrived yet{first}, so a continuation create had nothing "
            "to go on from"
        )
    else:
        why = (
            f"output arrived after the last continuation_token ({got[-1]}), which a continuation "
            "create would generate again"
        )
    resume = f"GET of the stream with {param}={received[-1]}" if received else "a fresh create"
    return (
        f". The client had no safe resume point: {why}; a {resume} would have gone on without "
        "repeating output"
    )


def _cannot_resume(facts: RunFacts) -> str:
    if facts.resumable:
        return ""
    return (
        ". This stream cannot be resumed (the run was made without background): a correct client "
        "surfaces the drop (raises; declare gives_up_after=0 and assert the error) or sends the "
        "create again, never takes the partial output for the whole"
    )


def _raised_after_end(interaction_id: str, connections: Sequence[Connection]) -> list[Violation]:
    """A client that failed although it had received the event that ends the run."""
    ended = next(c for c in connections if c.read_terminal)
    last = connections[-1]
    if last.cut is None or last is not ended:
        return []
    return [
        Violation(
            "complete",
            f"the client failed after it had received the event that ends {interaction_id} (every "
            f"output had arrived; the connection was then cut {last.cut}): a drop after the run's "
            "ending event is no failure of the run; treat the stream as finished once that event arrives",
            interaction_id,
            last.at,
            last.number,
        )
    ]


def _check_gave_up_at_once(interaction_id: str, connections: Sequence[Connection]) -> list[Violation]:
    """``gives_up_after=0``: the client is meant to stop at the first cut, asking for nothing more."""
    cut = next((c for c in connections if c.cut is not None), None)
    if cut is None:
        return []
    later = [c for c in connections if c.number > cut.number]
    if not later:
        return []
    return [
        Violation(
            "complete",
            f"the client was declared to give up at the first cut (gives_up_after=0), but after "
            f"the cut of connection #{cut.number} it asked for {interaction_id} again "
            f"(connection #{later[0].number} at t={later[0].at:.3f}s)",
            interaction_id,
            later[0].at,
            later[0].number,
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


def _as_part_of(connection: Connection, record: Regeneration) -> Connection:
    """A connection of a run generated again, read as one of the run it repeats."""
    resume = record.after if connection.resume_from is None else connection.resume_from
    copy = Connection(connection.number, record.source, connection.at, resume)
    copy.deliveries = [d for d in connection.deliveries if d.event_id != record.preamble]
    copy.cut, copy.refused = connection.cut, connection.refused
    copy.reached_end, copy.read_terminal = connection.reached_end, connection.read_terminal
    copy.resume_param, copy.closed_early, copy.unread = (
        connection.resume_param,
        connection.closed_early,
        connection.unread,
    )
    return copy


def streams_of(transcript: Transcript) -> tuple[dict[str, list[Connection]], set[int]]:
    """Each recorded run's connections, those of the runs that generate its work again included
    (in the order they were opened), and the numbers of connections that begin such a run."""
    made = {r.interaction_id: r for r in transcript.regenerations if r.same_events}
    merged: dict[str, list[Connection]] = {}
    fresh: set[int] = set()
    started: set[str] = set()
    for connection in transcript.connections:
        record = made.get(connection.interaction_id)
        if record is None:
            merged.setdefault(connection.interaction_id, []).append(connection)
            continue
        if connection.interaction_id not in started:
            started.add(connection.interaction_id)
            fresh.add(connection.number)
        merged.setdefault(record.source, []).append(_as_part_of(connection, record))
    return merged, fresh


def check_carried_on(
    record: Regeneration, connections: Sequence[Connection], facts: RunFacts
) -> list[Violation]:
    """A run carried on by a recorded continuation: from a point the client had not gone past."""
    received = [e for c in connections for e in c.received]
    if not received or facts.safe_points is None or received[-1] in facts.safe_points:
        return []
    since = received[received.index(record.after) + 1 :] if record.after in received else received
    shown = since[0] if len(since) == 1 else f"{since[0]}..{since[-1]}"
    return [
        Violation(
            "duplicates",
            f"the client continued {record.source} as {record.interaction_id} at t={record.at:.3f}s "
            f"from a continuation_token handed out before {shown}, which it had already received: "
            "that output is generated again and shown twice",
            record.source,
            record.at,
        )
    ]


def check_regenerations(
    transcript: Transcript, gives_up_after: int | None, enabled: Collection[str]
) -> list[Violation]:
    """A second run made for work whose stream could have been resumed (billed twice), or for
    work the client was declared to give up on."""
    found = []
    for record in transcript.regenerations:
        if gives_up_after == 0 and "complete" in enabled:
            found.append(
                Violation(
                    "complete",
                    f"the client was declared to give up at the first cut (gives_up_after=0), but it "
                    f"sent the create of {record.source} again at t={record.at:.3f}s",
                    record.source,
                    record.at,
                )
            )
            continue
        if record.token is None and record.resumable and "recreate" in enabled:
            found.append(
                Violation(
                    "recreate",
                    f"the client created {record.source} again at t={record.at:.3f}s (a second run, "
                    f"{record.interaction_id}, billed again) after its stream dropped, instead of "
                    f"resuming it: reconnect to the stream of {record.source} from the last event "
                    "received",
                    record.source,
                    record.at,
                )
            )
    return found
