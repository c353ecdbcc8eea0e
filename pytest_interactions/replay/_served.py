"""How a replayed stream is handed over: events in network-sized chunks, logged as runs.

Replay serves a recorded stream one chunk at a time. Events recorded within
:data:`CHUNK_WINDOW` of each other leave in one chunk, at the later one's moment, as a network
read would deliver them; an event that carries a status or ends the stream, and any position a
fault cuts at, closes its chunk, so that nothing the checks look at moves. What was served is
logged as runs (a time per event) and written out as records only when read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from pytest_interactions.cassette import Disconnect, RecordedResponse, StreamEvent, event_to_bytes
from pytest_interactions.protocol import DeliveryRun
from pytest_interactions.replay._history import HistoryEvent

CHUNK_WINDOW = 0.001
"""Seconds: events recorded closer together than this are handed to the client in one chunk."""


class StreamPlan:
    """A stream's events as replay serves them: times, where a chunk must close, and the bytes of
    the chunks a reader from the start gets (joined when first served, and kept once served
    twice: a stream replayed once holds no second copy of its bytes)."""

    def __init__(self, events: Sequence[HistoryEvent]) -> None:
        self.events = events
        self.times = [event.at for event in events]
        self.types = [event.event_type for event in events]
        self.closes = [event.status is not None or event.ends_stream for event in events]
        """True for an event after which the chunk closes (it carries a status or ends the stream)."""
        self._ends = [0] * len(events)
        """Where the chunk starting at each event ends when nothing breaks it (0: not worked out yet)."""
        self._chunks: dict[int, bytes] = {}
        self._served = bytearray(len(events))
        """Per event, whether a chunk starting there was served already."""

    def chunk_end(self, index: int, breaks: frozenset[int]) -> int:
        """Where the chunk that starts at ``index`` ends (exclusive); a chunk starts at every break."""
        ends = self._ends
        end = ends[index]
        if not end:
            times, closes, count = self.times, self.closes, len(self.times)
            limit = times[index] + CHUNK_WINDOW
            end = index + 1
            while end < count and not closes[end - 1] and times[end] <= limit:
                end += 1
            ends[index] = end
        for position in breaks:
            if index < position < end:
                end = position
        return end

    def chunk(self, start: int, end: int) -> bytes:
        """The bytes of events ``start`` to ``end`` (exclusive)."""
        whole = self._ends[start] == end  # the chunk a reader from the start gets
        if whole:
            joined = self._chunks.get(start)
            if joined is not None:
                return joined
            joined = b"".join(event_to_bytes(event.record) for event in self.events[start:end])
            if self._served[start]:
                self._chunks[start] = joined
            self._served[start] = 1
            return joined
        return b"".join(event.data for event in self.events[start:end])


class ServedResponse(RecordedResponse):
    """A served stream's answer; its :attr:`events` are written out from the runs when first read."""

    def __init__(self, status: int, headers: list[tuple[str, str]], opened_at: float) -> None:
        self._opened_at = opened_at
        self._parts: list[StreamEvent | Disconnect | DeliveryRun] = []
        self._taken = self._offset = 0
        """Parts written out so far, and of the part being written, how many of its events."""
        self._written: list[StreamEvent | Disconnect] | None = None
        super().__init__(status, headers)
        self._written = []

    @property
    def events(self) -> list[StreamEvent | Disconnect] | None:
        written, parts = self._written, self._parts
        while written is not None and self._taken < len(parts):
            part = parts[self._taken]
            if isinstance(part, DeliveryRun):
                events = cast("Sequence[HistoryEvent]", part.events)
                times, start, opened = part.times, part.start, self._opened_at
                written += [
                    served_event(events[start + n].record, times[n] - opened)
                    for n in range(self._offset, len(times))
                ]
                self._offset = len(times)
                if self._taken == len(parts) - 1:
                    break  # still served, maybe: what it adds is written out next time
                self._offset = 0
            else:
                written.append(part)
            self._taken += 1
        return written

    @events.setter
    def events(self, value: list[StreamEvent | Disconnect] | None) -> None:
        self._parts = []
        self._taken = self._offset = 0
        self._written = value

    def add(self, part: StreamEvent | Disconnect | DeliveryRun) -> None:
        self._parts.append(part)


def served_event(record: StreamEvent, at: float) -> StreamEvent:
    """The record of ``record`` as served, ``at`` seconds after its connection opened."""
    return StreamEvent(at, record.event, record.data, record.id, record.retry, record.comments, record.raw)
