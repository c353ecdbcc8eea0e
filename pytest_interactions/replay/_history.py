"""Compiling a cassette into each interaction's history over time: polls, stream events, delete.

The replay server answers from these histories, so that a client polling at another interval or
resuming from another event still gets consistent, protocol-correct answers.
"""

from __future__ import annotations

import bisect
import json
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from pytest_interactions import protocol
from pytest_interactions._gc import paused
from pytest_interactions.cassette import (
    Cassette,
    Disconnect,
    Exchange,
    RecordedResponse,
    StreamEvent,
    event_to_bytes,
    json_value,
)
from pytest_interactions.faults import Cut
from pytest_interactions.protocol import ApiDefinition, ResumeDialect
from pytest_interactions.replay._facts import CassetteFacts, StreamFacts


@dataclass(slots=True)
class HistoryEvent:
    """A stream event of an interaction, at its absolute time in the recording."""

    at: float
    record: StreamEvent
    event_id: str | None
    event_type: str
    status: str | None = field(default=None, repr=False, compare=False)
    """The interaction status the event reports, if it reports one."""
    ends_stream: bool = field(default=False, repr=False, compare=False)
    """True for the event after which the run's stream has nothing more to tell."""
    _data: bytes | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def read(
        cls,
        at: float,
        record: StreamEvent,
        event_id: str | None,
        event_type: str,
        payload: Mapping[str, Any] | None,
        api: ApiDefinition,
    ) -> HistoryEvent:
        """The event, with its status and end of stream read from its ``payload`` by ``api``'s grammar.

        The payload is read here and let go: long streams hold thousands of events
        (:attr:`payload` reads it again on demand)."""
        if payload is None or api.event_type(payload) not in api.stateful:
            return cls(at, record, event_id, event_type)
        return cls(at, record, event_id, event_type, api.status_carried(payload), api.ends_stream(payload))

    @property
    def payload(self) -> Mapping[str, Any] | None:
        """The event's data as a JSON object (``None`` when it is not one)."""
        return _payload(self.record)

    @property
    def data(self) -> bytes:
        """The event's bytes on the wire, encoded once however often the event is replayed."""
        data = self._data
        if data is None:
            data = self._data = event_to_bytes(self.record)
        return data


@dataclass
class History:
    """What the recording shows of one interaction."""

    interaction_id: str
    api: ApiDefinition
    """The API the recorded streams speak: their event grammar, statuses and resume dialect."""
    snapshots: list[tuple[float, RecordedResponse]] = field(default_factory=list)
    events: list[HistoryEvent] = field(default_factory=list)
    done: StreamEvent | None = None
    tail_error: Disconnect | None = None
    stream_headers: list[tuple[str, str]] = field(default_factory=list)
    recorded_cuts: list[Cut] = field(default_factory=list)
    """Where recorded streams really dropped; replay drops there again (once each)."""
    created: list[tuple[float, str]] = field(default_factory=list)
    """The status a create answered with, and when: the run's state before anything else shows it."""
    resume_points: dict[str, str] = field(default_factory=dict)
    """Positions the recording resumed after without holding their event (a cassette that starts
    with a resume): each, with the id of the first event the resumed stream sent."""
    resumable: bool = True
    """Whether a client can resume the run's stream (an OpenAI response made without
    ``background`` cannot be: only sent again)."""
    create_body: Any = None
    """The create request's JSON body, when the recording holds the create."""
    answered: Any = None
    """The create's own JSON answer (a unary create: the whole run), when it answered one."""
    origin: tuple[str, int] | None = None
    """For a run replay made up by generating recorded work again: the recorded run, and what to
    add to this run's event positions to get that run's (its cuts and the checks count there)."""
    _moments: tuple[tuple[int, int, int], list[tuple[float, str]], list[float]] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    _snapshot_times: list[float] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def dialect(self) -> ResumeDialect:
        return self.api.resume

    @property
    def event_ids(self) -> list[str]:
        return [e.event_id for e in self.events if e.event_id is not None]

    def status_at(self, at: float) -> str | None:
        """The status the recording shows at ``at`` (polls and stream events together)."""
        moments, times = self._status_moments()
        if not moments:
            return None
        shown = bisect.bisect_right(times, at)
        return moments[shown - 1][1] if shown else moments[0][1]

    def _status_moments(self) -> tuple[list[tuple[float, str]], list[float]]:
        """Every status the recording shows, and their times, in order; worked out once (every
        poll asks)."""
        key = (len(self.created), len(self.snapshots), len(self.events))
        if self._moments is not None and self._moments[0] == key:
            return self._moments[1], self._moments[2]
        moments: list[tuple[float, str]] = list(self.created)
        for when, response in self.snapshots:
            value = _json(response)
            if isinstance(value, Mapping) and isinstance(value.get("status"), str):
                moments.append((when, value["status"]))
        for event in self.events:
            status = event.status
            if status is not None:
                moments.append((event.at, status))
        moments.sort(key=lambda m: m[0])
        times = [when for when, _ in moments]
        self._moments = (key, moments, times)
        return moments, times

    def snapshot_times(self) -> list[float]:
        """The times of the recorded poll answers, in order (worked out once)."""
        times = self._snapshot_times
        if times is None or len(times) != len(self.snapshots):
            times = self._snapshot_times = [when for when, _ in self.snapshots]
        return times


def _json(response: RecordedResponse) -> Any:
    return json_value(response.body)


_scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
"""json's scanner, called directly: ``json.loads`` costs twice as much on a short event."""


def _payload(event: StreamEvent) -> Mapping[str, Any] | None:
    data = event.data
    if not data:
        return None
    start = 0 if data[0] == "{" else len(data) - len(data.lstrip(" \t\n\r"))
    if data[start : start + 1] != "{":
        return None
    try:
        value, end = _scan(data, start)
    except (ValueError, StopIteration, RecursionError):
        return None
    if end != len(data) and data[end:].strip(" \t\n\r"):
        return None
    return value if isinstance(value, Mapping) else None


_TYPES: dict[str, str] = {}
"""Each event type's name, held once however many events name it."""

_RECOGNISED_FROM = 64
"""A stream's API is recognised from this many of its first events (all of them would be held at once)."""


def _api(events: list[StreamEvent]) -> ApiDefinition:
    first = (_payload(event) for event in events[:_RECOGNISED_FROM])
    payloads = [payload for payload in first if payload is not None]
    return protocol.api_of_stream(payloads, any(e.id for e in events))


def _api_of(route: tuple[ApiDefinition, Any] | None, response: RecordedResponse) -> ApiDefinition:
    """The API a history speaks before its streams tell: its paths', else its stream's."""
    if route is not None:
        return route[0]
    return _api([item for item in response.events or () if isinstance(item, StreamEvent)])


def interaction_of(exchange: Exchange) -> str | None:
    found = protocol.route_of(exchange.request.method, urlsplit(exchange.request.url).path)
    if found is not None and found[1].interaction_id is not None:
        return found[1].interaction_id
    response = exchange.response
    if response is None:
        return None
    value = _json(response)
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return str(value["id"])
    for item in response.events or []:
        if isinstance(item, StreamEvent):
            resource = protocol.resource_of_event(_payload(item) or {})
            if resource is not None:
                return resource
    return None


def is_stream_request(method: str, url: str) -> bool:
    """A GET of an interaction's stream (``stream=true``)."""
    parts = urlsplit(url)
    return method.upper() == "GET" and "stream=true" in parts.query.lower()


def compile_histories(cassette: Cassette, facts: CassetteFacts | None = None) -> dict[str, History]:
    """Each interaction's history, from every exchange that concerns it.

    ``facts`` known from an earlier compile of the same cassette spare reading each event's JSON;
    the facts of streams read here are added to it (and ``facts.learned`` set).
    """
    with paused():
        return _compile(cassette, facts)


def _compile(cassette: Cassette, facts: CassetteFacts | None) -> dict[str, History]:
    histories: dict[str, History] = {}
    # How often each (id, type, data) arrived over the connections read so far, per interaction;
    # counted only once a second connection asks (most streams have one).
    delivered: dict[str, Counter[_Key]] = {}
    for index, exchange in enumerate(cassette.exchanges):
        response = exchange.response
        interaction_id = interaction_of(exchange)
        if interaction_id is None and response is not None and response.events is not None:
            # Another API's event stream (MCP, LangGraph, ...): keyed by its path.
            interaction_id = urlsplit(exchange.request.url).path
        if interaction_id is None or response is None:
            continue
        route = protocol.route_of(exchange.request.method, urlsplit(exchange.request.url).path)
        history = histories.get(interaction_id)
        if history is None:
            history = histories[interaction_id] = History(interaction_id, _api_of(route, response))
        elif route is not None and not history.stream_headers:
            history.api = route[0]  # a run only polled speaks the API of its paths
        method = exchange.request.method.upper()
        creates = route is not None and route[1].operation is protocol.Operation.CREATE and route[1].method_ok
        if creates and history.create_body is None:
            body = json_value(exchange.request.body) if exchange.request.body is not None else None
            if isinstance(body, Mapping) and route is not None:
                history.create_body = body
                history.resumable = route[0].resumable(body)
        if response.events is not None:
            _add_stream(history, route, exchange, response, delivered, facts, index)
        elif method == "GET" and response.status == 200 and _json(response) is not None:
            history.snapshots.append((exchange.at + response.after, response))
        elif creates:
            value = _json(response)
            if isinstance(value, Mapping) and isinstance(value.get("status"), str):
                history.created.append((exchange.at + response.after, str(value["status"])))
                history.answered = value
    for history in histories.values():
        history.snapshots.sort(key=lambda s: s[0])
    finish_histories(histories)
    return histories


def _reader(history: History) -> Callable[[float, StreamEvent], HistoryEvent]:
    """How each event of ``history``'s streams is read: its id, type, status and end from its JSON,
    with the API's lookups made once for the stream, not once an event."""
    api, dialect = history.api, history.dialect
    json_field, event_type_of, stateful, types = dialect.json_field, api.event_type, api.stateful, _TYPES

    def read(at: float, item: StreamEvent) -> HistoryEvent:
        payload = _payload(item)
        if payload is None:
            event_id = dialect.event_id(item.data, item.id)
            event_type = item.event or "message"
            return HistoryEvent(at, item, event_id, types.setdefault(event_type, event_type))
        if json_field is None:
            event_id = dialect.event_id(item.data, item.id)
        else:
            value = payload.get(json_field)
            event_id = None if value is None else str(value)
        kind = event_type_of(payload)
        event_type = str(kind or item.event or "message")
        event_type = types.setdefault(event_type, event_type)  # one string per type, not per event
        if kind not in stateful:  # most events, spared the grammar's two lookups
            return HistoryEvent(at, item, event_id, event_type)
        return HistoryEvent.read(at, item, event_id, event_type, payload, api)

    return read


_Key = tuple[str, str | None, str | None]
"""An event as a later connection may repeat it (see :meth:`ApiDefinition.event_identity`)."""


def _key(event: HistoryEvent, api: ApiDefinition) -> _Key:
    return api.event_identity(event.event_id, event.event_type, event.record.event, event.record.data)


def _add_stream(
    history: History,
    route: tuple[ApiDefinition, Any] | None,
    exchange: Exchange,
    response: RecordedResponse,
    delivered: dict[str, Counter[_Key]],
    facts: CassetteFacts | None,
    index: int,
) -> None:
    items = response.events or []
    known = facts.streams.get(index) if facts is not None else None
    if not history.stream_headers:
        history.stream_headers = list(response.headers)
        if route is None:  # a stream on an API's own path speaks that API, whatever it omits
            history.api = _api([item for item in items if isinstance(item, StreamEvent)])
    if known is not None and not known.fits(len(items), history.api.name):
        known = None
    learning = None
    if known is None and facts is not None:
        learning = StreamFacts(history.api.name, [], [], [], [])
    # A resumed connection may repeat events an earlier one delivered: those are dropped, once per
    # earlier delivery. Within one connection a repeated id is legal SSE and kept, and an event is
    # a repeat only when its id and content both match, so dialects whose ids repeat lose nothing.
    api = history.api
    counted = delivered.get(history.interaction_id)
    if counted is None and history.events:  # the first connection repeats nothing: no counting
        counted = delivered[history.interaction_id] = Counter(_key(event, api) for event in history.events)
    repeated: Counter[_Key] = Counter()
    added = len(history.events)
    first_id: str | None = None
    read_event = _reader(history)
    for position, item in enumerate(items):
        if isinstance(item, Disconnect) or item.data == protocol.DONE_DATA:
            if learning is not None:
                learning.add(None, None, None, False)
            if isinstance(item, StreamEvent):
                history.done = item
                history.tail_error = None
                continue
            if history.done is None:
                history.tail_error = item
            place = len(history.events) + (1 if item.partial else 0)
            if place > 0:
                cut = Cut(place, bool(item.partial), "recorded", (item.error, item.message), item.partial)
                history.recorded_cuts.append(cut)
            continue
        if known is not None:
            event_id = known.ids[position]
            event = HistoryEvent(
                exchange.at + item.at,
                item,
                event_id,
                str(known.types[position]),
                known.statuses[position],
                known.ends[position],
            )
        else:
            # Each event's JSON is parsed once, and let go before the next: long streams hold
            # thousands of events, whose parsed payloads would take many times their text's memory.
            event = read_event(exchange.at + item.at, item)
            event_id = event.event_id
            if learning is not None:
                learning.add(event_id, event.event_type, event.status, event.ends_stream)
        if first_id is None:
            first_id = event_id
        if counted is not None:
            key = _key(event, api)
            if repeated[key] < counted[key]:
                repeated[key] += 1
                continue
        history.events.append(event)
    if counted is not None:
        counted.update(_key(event, api) for event in history.events[added:])
    parts = urlsplit(exchange.request.url)
    resumed = history.dialect.resume_from(parts.query, dict(exchange.request.headers))
    if resumed is not None and first_id is not None and resumed not in history.resume_points:
        history.resume_points[resumed] = first_id
    if learning is not None and facts is not None:
        facts.streams[index] = learning
        facts.learned = True


POSITIONAL = "#"
"""How an event id made up from the event's position starts (see :func:`finish_histories`)."""


def finish_histories(histories: dict[str, History]) -> None:
    """A recorded drop that a later connection got past is a cut, not the end of the stream.

    Where an API numbers every event (``sequence_number``) and a server left the number out,
    each event is named by its position (``#5``), so that the checks still count them.
    """
    for history in histories.values():
        if history.api.resume.numbers_every_event and any(e.event_id is None for e in history.events):
            for position, event in enumerate(history.events, start=1):
                if event.event_id is None:
                    event.event_id = f"{POSITIONAL}{position}"
        if history.tail_error is not None and history.recorded_cuts:
            last = history.recorded_cuts[-1]
            if last.position < len(history.events) or history.done is not None:
                history.tail_error = None
