"""A readable timeline of a replayed session, with each violation next to where it happened."""

from __future__ import annotations

from collections.abc import Sequence

from pytest_interactions._terminal import terminal_safe
from pytest_interactions.protocol._transcript import Connection, Regeneration, Transcript
from pytest_interactions.protocol._validate import Violation

_MAX_EVENTS_SHOWN = 12


def _connection_lines(
    connection: Connection, violations: Sequence[Violation], made: Regeneration | None = None
) -> list[str]:
    resume = f" {connection.resume_param}={connection.resume_from}" if connection.resume_from else ""
    lines = [f"{connection.at:9.3f}s  stream #{connection.number} of {connection.interaction_id}{resume}"]
    if made is not None:
        lines.append(f"            ↳ {_made(made)}")
    lines += [f"            ✗ {v.message}" for v in violations if v.connection == connection.number]
    if connection.refused:
        lines.append(f"            ✂ answered {connection.refused} instead of a stream (injected)")
    shown = connection.deliveries
    if len(shown) > _MAX_EVENTS_SHOWN:
        head, tail = shown[: _MAX_EVENTS_SHOWN // 2], shown[-_MAX_EVENTS_SHOWN // 2 :]
        skipped = len(shown) - len(head) - len(tail)
    else:
        head, tail, skipped = shown, [], 0
    for delivery in head:
        lines.append(_delivery_line(delivery.event_id, delivery.event_type, delivery.complete))
    if skipped:
        lines.append(f"            ... {skipped} more events ...")
    for delivery in tail:
        lines.append(_delivery_line(delivery.event_id, delivery.event_type, delivery.complete))
    if connection.cut:
        lines.append(f"            ✂ cut {connection.cut}")
    elif connection.reached_end:
        lines.append("            ■ end of stream")
    return lines


def _made(record: Regeneration) -> str:
    """What a run generating recorded work again carries on, in a word."""
    if record.token is None:
        how = f"the create of {record.source} sent again"
    elif record.after is None:
        how = f"the hop create of {record.source} sent again (continuation_token={record.token})"
    else:
        how = f"continues {record.source} after {record.after} (continuation_token={record.token})"
    return how if record.same_events else f"{how}; the server's own run"


def _delivery_line(event_id: str | None, event_type: str, complete: bool) -> str:
    state = "" if complete else "  (half of it: cut inside)"
    return f"            {event_id or '-':<14} {event_type}{state}"


def render_timeline(
    transcript: Transcript,
    violations: Sequence[Violation] = (),
    title: str = "timeline (virtual time since the test started):",
) -> str:
    """The session's requests, streams, cuts and statuses, in virtual-time order."""
    rows: list[tuple[float, int, list[str]]] = []
    streams = {id(c): c for c in transcript.connections}
    order = 0
    for request in transcript.requests:
        order += 1
        if request.operation == "stream":
            continue
        status = request.status if request.status is not None else "-"
        note = f"  ({request.note})" if request.note else ""
        rows.append(
            (
                request.at,
                order,
                [f"{request.at:9.3f}s  {request.method:<6} {request.target} -> {status}{note}"],
            )
        )
    made: dict[str, Regeneration] = {}
    for record in transcript.regenerations:
        made.setdefault(record.interaction_id, record)
    for connection in streams.values():
        order += 1
        first = made.pop(connection.interaction_id, None)  # told once, on the run's first stream
        rows.append((connection.at, order, _connection_lines(connection, violations, first)))
    for seen in transcript.statuses:
        order += 1
        rows.append(
            (
                seen.at,
                order,
                [f"{seen.at:9.3f}s  · {seen.interaction_id} is {seen.status} (seen by {seen.source})"],
            )
        )
    lines = [title]
    for _, _, block in sorted(rows, key=lambda r: (r[0], r[1])):
        lines.extend(block)
    loose = [v for v in violations if v.connection is None]
    if loose:
        lines.append("")
        lines.extend(f"✗ {v.message}" for v in loose)
    return "\n".join(terminal_safe(line) for line in lines)


def render_report(
    transcript: Transcript, violations: Sequence[Violation], cassette: str, *, virtual: bool = True
) -> str:
    """The failure message: the mistakes first, then the timeline (``virtual``: on virtual time)."""
    head = [f"pytest-interactions found {len(violations)} protocol mistake(s) (cassette {cassette}):"]
    head += [terminal_safe(f"  {n}. {violation}") for n, violation in enumerate(violations, start=1)]
    title = "timeline (virtual time since the test started):" if virtual else REAL_TIME_TITLE
    return "\n".join([*head, "", render_timeline(transcript, violations, title)])


REAL_TIME_TITLE = "timeline (seconds since the session started):"
"""The timeline's title for a session off the virtual clock (served to another process, say)."""
