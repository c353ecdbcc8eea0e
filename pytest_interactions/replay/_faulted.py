"""A history as one session's fault plan turns it: a protocol fault's ending injected.

A planned ``failure``, ``cancellation`` or ``requires_action`` turns each run at a moment of its
recording: its stream keeps the events before and ends in the API's own form of the fault, and
polls from then on show the turned state. Without such a fault a view is the history itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pytest_interactions import protocol
from pytest_interactions.cassette import StreamEvent
from pytest_interactions.faults import FaultPlan, ProtocolFault
from pytest_interactions.replay._history import History, HistoryEvent
from pytest_interactions.replay._index import CassetteIndex
from pytest_interactions.replay._served import StreamPlan

INJECTED_STATUS = {
    "failure": protocol.FAILED,
    "cancellation": protocol.CANCELLED,
    "requires_action": protocol.REQUIRES_ACTION,
}
"""The status a run shows once a protocol fault of each kind turned it."""


class FaultedHistory:
    """One history under one protocol fault (or none): its events, and when the fault turns it."""

    def __init__(self, history: History, fault: ProtocolFault | None, index: CassetteIndex) -> None:
        self.history = history
        self.fault = fault
        self._index = index
        self.endings = endings(history, fault)
        """The events the fault ends the run's stream with ([]: it just ends; ``None``: the
        fault means nothing in the run's API)."""
        self.injection = injection(history, fault, self.endings)
        """When the fault turns the run, and how many stream events it keeps (``None``: never)."""
        self.events = self._events()
        self._plan: StreamPlan | None = None
        self._times: list[float] | None = None

    @property
    def interaction_id(self) -> str:
        return self.history.interaction_id

    @property
    def turned_status(self) -> str | None:
        """The status the fault turns the run into (``None`` without a fault)."""
        return INJECTED_STATUS[self.fault.kind] if self.fault is not None else None

    def turned_at(self, at: float) -> bool:
        """Whether the fault has turned the run by ``at``."""
        return self.injection is not None and at >= self.injection[0]

    def status_at(self, at: float) -> str | None:
        """The status the run shows at ``at``."""
        if self.turned_at(at):
            return self.turned_status
        return self.history.status_at(at)

    def plan(self) -> StreamPlan:
        """How the events are served (the history's own plan when the fault changed nothing)."""
        if self.events is self.history.events:
            return self._index.plan(self.history)
        if self._plan is None:
            self._plan = StreamPlan(self.events)
        return self._plan

    def event_times(self) -> list[float]:
        if self._times is None:
            self._times = [e.at for e in self.events]
        return self._times

    def terminal_position(self) -> int | None:
        """The position of the event that ends the stream, if it has one."""
        for position, event in enumerate(self.events, start=1):
            if event.ends_stream:
                return position
        return None

    def _events(self) -> list[HistoryEvent]:
        history, fault, turn = self.history, self.fault, self.injection
        if fault is None or turn is None or not history.events:
            return history.events
        moment, keep = turn
        kept = history.events[:keep]
        last = kept[-1] if kept else None
        base = (last.event_id if last is not None else None) or "event"
        injected = []
        for n, payload in enumerate(self.endings or [], start=1):
            event_id = f"{base}-{n}-injected"
            field = history.dialect.json_field
            if field == "event_id":
                payload[field] = event_id
            elif field is not None and last is not None and (last.event_id or "").isdigit():
                event_id = str(int(str(last.event_id)) + n)  # positions that count up stay numbers
                payload[field] = int(event_id)
            kind = str(history.api.event_type(payload))
            data = json.dumps(payload, separators=(",", ":"))
            record = StreamEvent(at=0.0, event=kind, data=data, id=event_id if field is None else None)
            injected.append(HistoryEvent.read(moment, record, event_id, kind, payload, history.api))
        return [*kept, *injected]


def endings(history: History, fault: ProtocolFault | None) -> list[dict[str, Any]] | None:
    """The events ``fault`` ends the run's stream with, in its API's grammar ([]: the stream just
    ends; ``None``: the fault means nothing in that API)."""
    if fault is None:
        return []
    try:
        return history.api.fault_events(fault.kind, history.interaction_id, fault.message)
    except protocol.FaultWithoutForm:
        return None


def injection(
    history: History, fault: ProtocolFault | None, ending: list[dict[str, Any]] | None
) -> tuple[float, int] | None:
    """When ``fault`` turns the run, and how many stream events it keeps.

    Counting events, the run turns at its N-th event; counting polls (or for a run recorded
    without a stream), at its (N+1)-th recorded poll, so that the first N polls are as recorded.
    """
    if fault is None or ending is None:
        return None
    if fault.on == "events" and history.events:
        if len(history.events) <= fault.after_events:
            return None
        return history.events[fault.after_events - 1].at, fault.after_events
    if len(history.snapshots) <= fault.after_events:
        return None
    moment = history.snapshots[fault.after_events][0]
    return moment, sum(1 for e in history.events if e.at < moment)


class Views:
    """Every history of a cassette as one session's plan turns it, each worked out once (again
    when the test declares another protocol fault)."""

    def __init__(self, index: CassetteIndex, histories: Mapping[str, History], plan: FaultPlan) -> None:
        self.index = index
        self.histories = histories
        self.plan = plan
        self._views: dict[str, FaultedHistory] = {}
        self._cancelled: dict[str, ProtocolFault] = {}
        """Runs the client cancelled where the recording holds no cancel: turned from then on."""

    def cancel(self, history: History, at: float) -> FaultedHistory:
        """``history`` cancelled at ``at``: its stream ends cancelled after the events shown by then,
        and polls show it cancelled from the next recorded moment (a cancel takes a moment to show)."""
        shown = sum(1 for event in history.events if event.at <= at)
        if history.events:
            fault = ProtocolFault("cancellation", max(shown, 1))
        else:
            fault = ProtocolFault(
                "cancellation", sum(1 for when, _ in history.snapshots if when <= at), on="polls"
            )
        self._cancelled[history.interaction_id] = fault
        return self.of(history)

    def of(self, history: History) -> FaultedHistory:
        fault = self._cancelled.get(history.interaction_id, self.plan.protocol)
        view = self._views.get(history.interaction_id)
        if view is None or view.fault is not fault:
            view = self._views[history.interaction_id] = FaultedHistory(history, fault, self.index)
        return view

    def all(self) -> list[FaultedHistory]:
        """The recorded runs' views (runs made up in the session are not the plan's targets)."""
        return [self.of(history) for history in self.histories.values() if history.origin is None]

    def targets(self) -> list[FaultedHistory]:
        """The views the plan's cuts apply to (one interaction's, when it names one)."""
        wanted = self.plan.interaction_id
        return [v for v in self.all() if wanted in (None, v.interaction_id)]
