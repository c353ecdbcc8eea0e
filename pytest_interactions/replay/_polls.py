"""Answering polls: a GET of an interaction shows its recorded state as of the (virtual) time.

A client that polls again without letting time pass is moved on to the next recorded moment, as
if it had waited for it; one that sleeps is answered as of now. An injected poll answer (429,
5xx) comes first when the plan declares one.
"""

from __future__ import annotations

import bisect
import copy

from pytest_interactions.cassette import Body, Exchange
from pytest_interactions.protocol import RequestRecord
from pytest_interactions.replay._call import Call
from pytest_interactions.replay._context import Serving
from pytest_interactions.replay._faulted import FaultedHistory
from pytest_interactions.replay._made_up import MadeUpError
from pytest_interactions.replay._snapshots import COMPACT, PollAnswer, built, snapshot_as_of
from pytest_interactions.transport import Complete


class PollResponder:
    """Answers one session's polls from the histories as its fault plan turns them."""

    def __init__(self, serving: Serving) -> None:
        self.serving = serving
        self._last_poll: dict[str, float] = {}
        self._moments: dict[str, list[float]] = {}
        self._answers: dict[str, dict[int, PollAnswer]] = {}
        """Answers that depend on this session's protocol fault (the others are the index's)."""
        self._shared: dict[str, dict[int, PollAnswer]] = {}
        """The index's answers of each history, as this responder found them."""

    def answer(self, call: Call, view: FaultedHistory) -> Complete:
        serving, history = self.serving, view.history
        interaction_id = history.interaction_id
        injected = serving.firing.take_poll()
        if injected is not None:
            serving.transcript.faults.append(
                f"poll of {interaction_id} answered {injected.status} (injected)"
            )
            error = MadeUpError.injected(injected.status, injected.retry_after)
            return serving.error(call, history.api, error, interaction_id, "get", note="injected")
        serving.touched.add(interaction_id)
        serving.transcript.apis[interaction_id] = history.api.name
        now = self._paced(view, call.now)
        answer = self._snapshot(view, now)
        if answer.shown_status is not None:
            serving.transcript.saw_status(now, interaction_id, answer.shown_status, "poll")
        serving.transcript.add_request(
            RequestRecord(now, "GET", call.target, answer.status, interaction_id, "get")
        )
        serving.note(Exchange(now, call.request, answer.served))
        return Complete(answer.status, answer.wire_headers, answer.data)

    def _paced(self, view: FaultedHistory, now: float) -> float:
        """The moment a poll is answered at."""
        history, serving = view.history, self.serving
        previous = self._last_poll.get(history.interaction_id)
        moments = self._moments.get(history.interaction_id)
        if moments is None:
            moments = sorted([at for at, _ in history.snapshots] + [e.at for e in history.events])
            self._moments[history.interaction_id] = moments
        if previous is not None and now <= previous:
            later = bisect.bisect_right(moments, now)
            if later < len(moments):
                serving.reach(moments[later])
        elif moments and now < moments[0]:
            serving.reach(moments[0])  # the first recorded state is answered as of its time
        now = serving.now()
        self._last_poll[history.interaction_id] = now
        return now

    def _snapshot(self, view: FaultedHistory, at: float) -> PollAnswer:
        """The poll answer as of ``at``: a recorded one, or the fold of the events shown by then.

        Answers are built and serialised once each and shared by every poll that shows them
        (their bodies are read, never changed).
        """
        history, fault = view.history, view.fault
        if fault is None or not view.turned_at(at):
            response = snapshot_as_of(history, at)
            # Keyed by the recorded answer shown, or by how many events the fold shows.
            key = id(response) if response is not None else -bisect.bisect_right(view.event_times(), at) - 1
            # Without a fault, answers depend on the history alone: every session shares them.
            if fault is None:
                answers = self._shared.get(history.interaction_id)
                if answers is None:
                    answers = self._shared[history.interaction_id] = self.serving.views.index.answers(history)
            else:
                answers = self._answers.setdefault(history.interaction_id, {})
            cached = answers.get(key)
            if cached is None:
                cached = answers[key] = PollAnswer.of(*built(history, view.events, at))
            return cached
        # The run as it stood when it turned, with the injected ending.
        assert view.injection is not None
        status, headers, body, sent = built(history, view.events, at)
        before = snapshot_as_of(history, view.injection[0] - 1e-9) if fault.on == "polls" else None
        body = copy.deepcopy(before.body.value if before is not None and before.body is not None else body)
        if isinstance(body, dict):
            body.update(history.api.fault_state(fault.kind, fault.message))
        # A changed body keeps the recorded layout where it has one, else compact JSON's.
        layout = sent.style if sent.kind == "json" else COMPACT
        return PollAnswer.of(status, headers, body, Body("json", body, layout))
