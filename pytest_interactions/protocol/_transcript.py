"""The transcript of a replayed session: what the client asked, got, and saw, on virtual time."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(slots=True)
class Delivery:
    """An event handed to the client on a stream connection."""

    event_id: str | None
    event_type: str
    at: float
    complete: bool = True
    """False when the connection was cut inside this event (the client got part of it)."""
    data: str | None = None
    """The event's data, when the transcript's maker kept it (shown as its details)."""


class Deliverable(Protocol):
    """What a stream event tells the transcript about itself."""

    @property
    def event_id(self) -> str | None: ...
    @property
    def event_type(self) -> str: ...


@dataclass(slots=True)
class DeliveryRun:
    """Events handed over one after another, each whole: ``events[start + n]`` at ``times[n]``.

    A long stream is logged as runs instead of one :class:`Delivery` each (a few list appends
    per event instead of an object); :attr:`Connection.deliveries` writes them out when read.
    """

    events: Sequence[Deliverable]
    start: int
    times: list[float] = field(default_factory=list)
    written: int = 0
    """How many of its deliveries are written out already (a run still served goes on growing)."""

    def ids(self) -> list[str]:
        """Ids of the deliveries not written out yet."""
        events, start = self.events, self.start
        found = (events[start + n].event_id for n in range(self.written, len(self.times)))
        return [event_id for event_id in found if event_id is not None]

    def write_out(self) -> list[Delivery]:
        """The deliveries made since the last call, as records."""
        events, start, times, done = self.events, self.start, self.times, self.written
        self.written = len(times)
        return [
            Delivery(events[start + n].event_id, events[start + n].event_type, times[n])
            for n in range(done, len(times))
        ]


@dataclass
class Connection:
    """One stream request of an interaction, and how it went."""

    number: int
    interaction_id: str
    at: float
    resume_from: str | None
    _delivered: list[Delivery] = field(default_factory=list, repr=False)
    _pending: list[Delivery | DeliveryRun] = field(default_factory=list, repr=False)
    cut: str | None = None
    """Why the connection ended early: the injected fault, e.g. ``after:5``."""
    refused: str | None = None
    """The injected answer instead of a stream (``ConnectError``, ``503``, ...)."""
    reached_end: bool = False
    read_terminal: bool = False
    """The client received the event that ends the run's stream (``interaction.completed``, or a
    terminal status after an ``error``): it has read its stream even if it never reads ``[DONE]``."""
    resume_param: str = "last_event_id"
    """How this stream's dialect carries the resume position (a query parameter or a header)."""
    closed_early: bool = False
    """The client closed the stream before its end."""
    origin: str | None = None
    """The application's line that opened the stream (``file:line in function``), when known."""
    unread: int = 0
    """Events of the last chunk, after its first, that the client may not have read when it closed."""

    @property
    def deliveries(self) -> list[Delivery]:
        """Every event handed to the client on this connection, in order (appending adds one)."""
        pending = self._pending
        if pending:
            for item in pending:
                if isinstance(item, DeliveryRun):
                    self._delivered += item.write_out()
                else:
                    self._delivered.append(item)
            # The last run may still be served: it stays, to write out what it adds.
            self._pending = [pending[-1]] if isinstance(pending[-1], DeliveryRun) else []
        return self._delivered

    @deliveries.setter
    def deliveries(self, value: list[Delivery]) -> None:
        self._delivered = list(value)
        self._pending.clear()

    def deliver(self, delivery: Delivery) -> None:
        self._pending.append(delivery)

    def run(self, events: Sequence[Deliverable], start: int) -> DeliveryRun:
        """A run of ``events`` from ``start``, logged as the times of its deliveries are appended."""
        run = DeliveryRun(events, start)
        self._pending.append(run)
        return run

    def keep_through(self, event_id: str, candidates: int) -> bool:
        """Forget what followed ``event_id`` among the last ``candidates`` events delivered.

        Events handed over in one chunk reach the client together; one that closed its stream
        part-way through a chunk tells by resuming which it had read. ``False`` if none matches.
        """
        deliveries = self.deliveries
        for back in range(1, min(candidates, len(deliveries)) + 1):
            index = len(deliveries) - back
            if deliveries[index].event_id == event_id and deliveries[index].complete:
                del deliveries[index + 1 :]
                return True
        return False

    @property
    def received(self) -> list[str]:
        """Ids of the events fully delivered on this connection."""
        ids = [d.event_id for d in self._delivered if d.complete and d.event_id is not None]
        for item in self._pending:
            if isinstance(item, DeliveryRun):
                ids += item.ids()
            elif item.complete and item.event_id is not None:
                ids.append(item.event_id)
        return ids

    @property
    def cut_inside(self) -> Delivery | None:
        """The last event this connection was cut in the middle of, if any."""
        for item in reversed([*self._delivered, *self._pending]):
            if isinstance(item, Delivery) and not item.complete:
                return item
        return None


@dataclass
class RequestRecord:
    """One request the client made, at virtual time ``at``."""

    at: float
    method: str
    target: str
    status: int | None
    interaction_id: str | None = None
    operation: str | None = None
    note: str = ""
    retry_after: float | None = None
    """The wait the answer asked for (``Retry-After``), in seconds."""
    asked_at: float | None = None
    """When the client sent it (``at`` is when it was answered: a poll sent with no time passed is
    answered as of the next recorded moment)."""
    digest: str = ""
    """What makes two requests the same request: method, target and body."""
    origin: str | None = None
    """The application's line that sent it (``file:line in function``), when known."""

    @property
    def sent(self) -> float:
        return self.at if self.asked_at is None else self.asked_at


@dataclass
class StatusSeen:
    """A status of an interaction the client was shown (by a poll or a stream event)."""

    at: float
    interaction_id: str
    status: str
    source: str


@dataclass
class ChainRecord:
    """A create that chained onto an earlier interaction."""

    at: float
    previous_interaction_id: str
    previous_status: str | None
    answers_function_call: bool
    call_ids: tuple[str, ...] = ()
    """The ``call_id`` of each ``function_result`` in the input."""
    known_calls: tuple[str, ...] | None = None
    """The ids of the function calls the previous interaction made (None: unknown to the recording)."""
    continuation: bool = False
    """The create carried a continuation token: it resumes the generation, it does not chain."""


@dataclass
class Regeneration:
    """A create that made the server generate recorded work again, as a new run.

    Either a continuation from a token a run handed out (the rest of the run, after the event
    that carried the token), or the same create sent again (the whole run). The new run's events
    are the earlier run's, so the checks read the two as one stream.
    """

    at: float
    source: str
    """The run whose work is generated again."""
    interaction_id: str
    """The new run."""
    after: str | None
    """The last event of ``source`` the new run follows on from (``None``: from its start)."""
    preamble: str | None
    """The new run's own first event (the one that names it), which ``source`` never sent."""
    token: str | None = None
    """The continuation token the create carried (``None``: the create was sent again)."""
    resumable: bool = True
    """Whether ``source``'s stream could have been resumed instead."""
    same_events: bool = True
    """The new run goes on with ``source``'s own events from ``after`` (the checks read the two
    as one stream); ``False`` when it replaces the stream (from its start, or a recorded
    continuation whose events are the server's own): it is judged on its own."""


@dataclass
class Transcript:
    """Everything a replayed session did, for checks, timelines and the test's own assertions."""

    requests: list[RequestRecord] = field(default_factory=list)
    connections: list[Connection] = field(default_factory=list)
    statuses: list[StatusSeen] = field(default_factory=list)
    chains: list[ChainRecord] = field(default_factory=list)
    regenerations: list[Regeneration] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    apis: dict[str, str] = field(default_factory=dict)
    """The API (a name of ``protocol.API_NAMES``) of each interaction read (one missing: Gemini's)."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_request(self, record: RequestRecord) -> RequestRecord:
        with self._lock:
            self.requests.append(record)
        return record

    def open_connection(
        self, interaction_id: str, at: float, resume_from: str | None, resume_param: str = "last_event_id"
    ) -> Connection:
        with self._lock:
            connection = Connection(len(self.connections) + 1, interaction_id, at, resume_from)
            connection.resume_param = resume_param
            self.connections.append(connection)
            return connection

    def saw_status(self, at: float, interaction_id: str, status: str, source: str) -> None:
        with self._lock:
            self.statuses.append(StatusSeen(at, interaction_id, status, source))

    def add_chain(self, record: ChainRecord) -> None:
        with self._lock:
            self.chains.append(record)

    def add_regeneration(self, record: Regeneration) -> None:
        with self._lock:
            self.regenerations.append(record)

    def connections_of(self, interaction_id: str) -> list[Connection]:
        return [c for c in self.connections if c.interaction_id == interaction_id]

    def statuses_of(self, interaction_id: str) -> list[StatusSeen]:
        return [s for s in self.statuses if s.interaction_id == interaction_id]

    def interaction_ids(self) -> list[str]:
        seen: dict[str, None] = {}
        for status in self.statuses:
            seen.setdefault(status.interaction_id, None)
        for connection in self.connections:
            seen.setdefault(connection.interaction_id, None)
        return list(seen)
