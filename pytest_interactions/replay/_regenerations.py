"""Creates that make the server generate recorded work again, answered as the server would.

A continuation create carries a token a run handed out (google-genai sends one by itself after a
drop, and to go on after ``requires_continuation``); a create sent again after its stream dropped
repeats a request already answered. The recording holds the work either way: the server answers
with a new run whose events are the recorded ones from that point on.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from pytest_interactions.cassette import Exchange, StreamEvent, json_value
from pytest_interactions.protocol import ApiDefinition
from pytest_interactions.replay._history import History, HistoryEvent, interaction_of


@dataclass(frozen=True)
class TokenPlace:
    """Where a run handed out a continuation token: continuing from it keeps ``keep`` events."""

    interaction_id: str
    keep: int


@dataclass
class Tokens:
    """Every continuation token a cassette holds: where each was handed out, and the recorded
    creates that carry each."""

    places: dict[str, TokenPlace]
    creates: dict[str, list[Exchange]]

    @classmethod
    def of(cls, exchanges: list[Exchange], histories: Mapping[str, History]) -> Tokens:
        places: dict[str, TokenPlace] = {}
        for history in histories.values():
            rule = history.api.chain
            if rule is None or rule.unless_field is None:
                continue
            for position, event in enumerate(history.events, start=1):
                data = event.record.data
                if data is None or rule.unless_field not in data:
                    continue
                token = rule.token_of(event.payload or {})
                if token is not None:
                    places.setdefault(token, TokenPlace(history.interaction_id, position))
        creates: dict[str, list[Exchange]] = {}
        for exchange in exchanges:
            body = exchange.request.body
            if exchange.request.method.upper() != "POST" or body is None:
                continue
            made = histories.get(interaction_of(exchange) or "")
            rule = made.api.chain if made is not None else None
            token = rule.continuation(json_value(body)) if rule is not None else None
            if token is not None:
                creates.setdefault(token, []).append(exchange)
        return cls(places, creates)


def made_up_id(source: str, salt: str) -> str:
    """A new run's id in the form of ``source``'s (its prefix kept), the same in every replay."""
    prefix, sep, rest = source.partition("_")
    if not sep:
        prefix, rest = "", source
    digest = hashlib.sha256(f"{source}\n{salt}".encode()).hexdigest()
    return f"{prefix}{sep}r{digest[: max(8, len(rest) - 1)]}"


def regenerated(source: History, keep: int, new_id: str, now: float) -> History:
    """``source``'s work from its ``keep``-th event on, as the new run ``new_id`` starting ``now``.

    The new run opens with ``source``'s first event (the one that names a run) renamed, then
    the events after the ``keep`` kept; every mention of ``source``'s id names the new run.
    """
    events = source.events
    first = max(keep, 1)
    start = events[keep - 1].at if keep else events[0].at
    renamed = [_renamed(events[0], source.interaction_id, new_id, now)]
    renamed += [_renamed(e, source.interaction_id, new_id, now + (e.at - start)) for e in events[first:]]
    status = renamed[0].status
    return History(
        new_id,
        source.api,
        events=renamed,
        done=source.done,
        stream_headers=source.stream_headers,
        created=[(now, status)] if status is not None else [],
        resumable=source.resumable,
        create_body=source.create_body,
        origin=(source.interaction_id, first - 1),
    )


def _renamed(event: HistoryEvent, old: str, new: str, at: float) -> HistoryEvent:
    record = event.record
    data = record.data.replace(old, new) if record.data is not None else None
    raw = record.raw.replace(old.encode(), new.encode()) if record.raw is not None else None
    copy: StreamEvent = dataclasses.replace(record, data=data, raw=raw)
    return HistoryEvent(at, copy, event.event_id, event.event_type, event.status, event.ends_stream)


def renamed_body(data: bytes, old: str, new: str) -> bytes:
    """A recorded answer's bytes with the run it made renamed."""
    return data.replace(old.encode(), new.encode())


def safe_points(history: History, api: ApiDefinition) -> frozenset[str] | None:
    """The events after which a continuation create resumes ``history`` without generating any
    output twice (``None``: the run hands out no continuation tokens)."""
    rule = api.chain
    if rule is None or rule.unless_field is None:
        return None
    seeded = rule.continuation(history.create_body) is not None
    safe: set[str] = set()
    token_seen, content = seeded, False
    any_token = seeded
    for event in history.events:
        data = event.record.data or ""
        token = rule.token_of(event.payload or {}) if rule.unless_field in data else None
        if token is not None:
            token_seen, content, any_token = True, False, True
        elif event.event_type not in rule.bookkeeping:
            content = True
        if token_seen and not content and event.event_id is not None:
            safe.add(event.event_id)
    return frozenset(safe) if any_token else None


def hops(first: History, histories: Mapping[str, History], tokens: Tokens) -> list[History]:
    """``first`` and the runs that continued it, hop by hop: each hop's create carries the token
    the hop before handed out when it stopped (``requires_continuation``)."""
    found = [first]
    while True:
        rule = found[-1].api.chain
        if rule is None:
            return found
        last = found[-1].events[-1].payload if found[-1].events else found[-1].answered
        token = rule.token_of(last or {}) if isinstance(last, Mapping) else None
        following = tokens.creates.get(token or "", [])
        after = histories.get(interaction_of(following[0]) or "") if following else None
        if after is None or after in found:
            return found
        found.append(after)
