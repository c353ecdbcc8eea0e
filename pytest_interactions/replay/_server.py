"""The replay server: a recorded session compiled into a deterministic, protocol-correct server.

A thin router: polls go to the poll responder, streams to the stream responder, creates, cancels,
deletes and anything else to the recorded exchanges (with the API's chain rule applied first).
Each request is read once into a :class:`Call`; what the session learns lands in its
:class:`Serving` state and its transcript, for the checks.
"""

from __future__ import annotations

import hashlib
import json
from collections import ChainMap
from collections.abc import Callable, Mapping

from pytest_interactions.cassette import Body, Exchange, RecordedResponse, body_to_bytes, json_value
from pytest_interactions.faults import FaultPlan
from pytest_interactions.protocol import (
    CHAIN_REFUSED,
    ChainRecord,
    Operation,
    RequestRecord,
    RunFacts,
    Transcript,
)
from pytest_interactions.replay import _fault_reports
from pytest_interactions.replay._call import Call
from pytest_interactions.replay._context import Serving
from pytest_interactions.replay._creates import CreateResponder
from pytest_interactions.replay._faulted import FaultedHistory, Views
from pytest_interactions.replay._firing import Firing
from pytest_interactions.replay._history import History, interaction_of
from pytest_interactions.replay._index import CassetteIndex
from pytest_interactions.replay._made_up import ErrorAnswers, MadeUpError
from pytest_interactions.replay._polls import PollResponder
from pytest_interactions.replay._regenerations import safe_points
from pytest_interactions.replay._replayer import Replayer, recorded_answer
from pytest_interactions.replay._snapshots import JSON_HEADERS, built, wire_headers
from pytest_interactions.replay._streams import StreamResponder
from pytest_interactions.transport import Answer, Complete


class ReplayServer:
    """Answers one session's requests from a compiled cassette, on the session's clock."""

    def __init__(
        self,
        tape: Replayer,
        *,
        index: CassetteIndex | None = None,
        now: Callable[[], float],
        reach: Callable[[float], float],
        faults: FaultPlan,
        transcript: Transcript,
        on_exchange: Callable[[Exchange], None] | None = None,
        max_streams: int = 200,
    ) -> None:
        self.tape = tape
        self.index = index if index is not None else CassetteIndex(tape.cassette)
        self.made: dict[str, History] = {}
        """Runs made up in this session (a continuation, a create sent again)."""
        self.histories: ChainMap[str, History] = ChainMap(self.made, self.index.histories())
        """Each interaction's history: the recorded ones (shared with other sessions replaying the
        same cassette: read only), then this session's made-up ones."""
        self.faults = faults
        self.firing = Firing(faults)
        """What of the plan happened in this session."""
        self.serving = Serving(
            now=now,
            reach=reach,
            transcript=transcript,
            firing=self.firing,
            views=Views(self.index, self.histories, faults),
            note=on_exchange or (lambda exchange: None),
            error_answers=ErrorAnswers(tape.cassette.exchanges),
            max_streams=max_streams,
        )
        self.poll_responder = PollResponder(self.serving)
        self.stream_responder = StreamResponder(self.serving)
        self.create_responder = CreateResponder(
            self.serving,
            tape,
            self.histories,
            self.made,
            self.index.tokens,
            self._from_tape,
            lambda call, history: self.stream_responder.serve(call, self.view(history), 0, None),
        )

    @property
    def transcript(self) -> Transcript:
        return self.serving.transcript

    @property
    def errors(self) -> list[str]:
        return self.serving.problems

    @property
    def stalls(self) -> list[str]:
        return self.serving.stalls

    @property
    def loops(self) -> list[str]:
        return self.serving.loops

    def view(self, history: History) -> FaultedHistory:
        """``history`` as this session's fault plan turns it."""
        return self.serving.views.of(history)

    # -- reports ----------------------------------------------------------------------------

    def inapplicable_faults(self) -> list[str]:
        """Planned faults the recording has no place for: the test cannot exercise what it declares."""
        return _fault_reports.inapplicable(self.faults, self.serving.views)

    def unapplied_faults(self) -> list[str]:
        """Planned faults that never happened: a test that believes it exercised them must not pass."""
        return _fault_reports.unapplied(self.faults, self.firing, self.serving.views, self.transcript)

    def unplayed(self) -> list[Exchange]:
        """Recorded exchanges this replay never used: not answered from the tape, and not a poll or
        stream of an interaction the client read."""
        touched = self.serving.touched
        return [
            exchange
            for exchange in self.tape.unused()
            if not (exchange.request.method.upper() == "GET" and interaction_of(exchange) in touched)
        ]

    def run_facts(self) -> dict[str, RunFacts]:
        """What the recording tells the checks of each recorded run the client asked about."""
        transcript = self.transcript
        asked = {c.interaction_id for c in transcript.connections}
        asked |= {r.interaction_id for r in transcript.requests if r.interaction_id is not None}
        now = self.serving.now()
        found = {}
        for interaction_id in asked:
            history = self.histories.get(interaction_id)
            if history is None or history.origin is not None:
                continue
            found[interaction_id] = self._facts(history, now)
        return found

    def _facts(self, history: History, now: float) -> RunFacts:
        api, rule = history.api, history.api.chain
        points = safe_points(history, api) if history.events else None
        checkpoints: tuple[str, ...] = ()
        if points is not None and rule is not None:
            checkpoints = tuple(
                e.event_id
                for e in history.events
                if e.event_id is not None and rule.token_of(e.payload or {})
            )
        seeded = rule is not None and rule.continuation(history.create_body) is not None
        body = history.create_body
        background = isinstance(body, Mapping) and body.get("background") is True
        status = self.view(history).status_at(now)
        running = status if status is not None and status not in api.terminal else None
        return RunFacts(history.resumable, points, checkpoints, seeded, background, running)

    def streams(self) -> dict[str, list[str]]:
        """Every interaction's full event order, for the checks."""
        return {
            iid: [e.event_id for e in self.view(h).events if e.event_id] for iid, h in self.histories.items()
        }

    # -- answering --------------------------------------------------------------------------

    def answer(self, call: Call, origin: str | None = None, *, judged: bool = False) -> Answer | None:
        """The answer to ``call``, or ``None`` when the cassette has nothing for it.

        ``judged``: the checks will read this session, so what the transcript notes of the request
        is stamped with when it was sent, what it was (to tell a request sent again) and the
        application's line that sent it (``origin``).
        """
        with self.serving.lock:
            if not judged:
                return self._route(call)
            transcript = self.serving.transcript
            requests, connections = len(transcript.requests), len(transcript.connections)
            try:
                return self._route(call)
            finally:
                digest = _digest(call)
                for record in transcript.requests[requests:]:
                    record.asked_at, record.digest, record.origin = call.now, digest, origin
                for connection in transcript.connections[connections:]:
                    connection.origin = origin

    def _route(self, call: Call) -> Answer | None:
        serving, route = self.serving, call.route
        history = self.histories.get(call.interaction_id) if call.interaction_id is not None else None
        if call.operation is Operation.GET and history is not None and (history.snapshots or history.events):
            if history.interaction_id in serving.deleted:
                message = f"Interaction '{history.interaction_id}' was not found."
                return serving.error(
                    call, history.api, MadeUpError(404, message), history.interaction_id, "get"
                )
            view = serving.views.of(history)
            if call.wants_stream:
                # What the server really answered this very request (a 404 to a resume, say)
                # comes before anything worked out from the run's events.
                said = self.tape.take_error(call.request) if call.query else None
                if said is not None:
                    serving.note(said)
                    return self._from_tape(call, said)
                return self.stream_responder.answer(call, view)
            return self.poll_responder.answer(call, view)
        if route is None and call.method == "GET":
            stream = self.histories.get(call.path)
            if stream is not None and stream.events:
                return self.stream_responder.answer(call, self.view(stream))
        prefer = None
        creates = self.create_responder
        token = None
        if route is not None and route.operation is Operation.CREATE:
            injected = creates.injected(call)
            if injected is not None:
                return injected
            refused = self._chain(call)
            if refused is not None:
                return refused
            rule = call.api.chain if call.api is not None else None
            token = rule.continuation(self._body(call)) if rule is not None else None
            if token is not None:
                return creates.continuation(call, token)
            # Whether a chain is accepted follows the compiled state, not the recording's
            # timing: a refusal recorded for the same request is not the answer.
            prefer = _accepted
        exchange = self.tape.take(call.request, prefer=prefer)
        if exchange is None:
            if prefer is not None:
                return creates.sent_again(call)
            if route is not None and route.operation is Operation.CANCEL and history is not None:
                return self._cancel(call, history)
            return None
        if prefer is not None:
            creates.note_sent_again(call, exchange)
        serving.note(exchange)
        return self._from_tape(call, exchange)

    def _cancel(self, call: Call, history: History) -> Answer:
        """A cancel the recording lacks, answered from the run's state at this moment: a running run
        is cancelled from now on (its stream and later polls show it), an ended one stands."""
        serving, api = self.serving, history.api
        view = self.view(history)
        status = view.status_at(call.now)
        running = status is not None and status not in api.terminal
        if running:
            view = serving.views.cancel(history, call.now)
        _, _, shown, _ = built(history, view.events, call.now)
        body = dict(shown) if isinstance(shown, Mapping) else {}
        if running:
            body.update(api.fault_state("cancellation", ""))
        data = json.dumps(body, separators=(",", ":")).encode()
        interaction_id = history.interaction_id
        if isinstance(body.get("status"), str):
            serving.transcript.saw_status(call.now, interaction_id, str(body["status"]), "cancel")
        serving.transcript.add_request(
            RequestRecord(call.now, call.method, call.target, 200, interaction_id, "cancel", "made up")
        )
        headers = wire_headers(JSON_HEADERS, data)
        serving.note(
            Exchange(call.now, call.request, RecordedResponse(200, headers, body=Body("json", body)))
        )
        return Complete(200, headers, data)

    @staticmethod
    def _body(call: Call) -> object:
        return json_value(call.request.body) if call.request.body is not None else None

    def _chain(self, call: Call) -> Answer | None:
        """Note a chained create; the API's refusal when it chains onto a run that is still going."""
        api = call.api
        rule = api.chain if api is not None else None
        body = self._body(call)
        previous_id = rule.previous(body) if rule is not None else None
        if api is None or rule is None or previous_id is None or not isinstance(body, Mapping):
            return None
        history = self.histories.get(previous_id)
        view = self.view(history) if history is not None else None
        status = view.status_at(call.now) if view is not None else None
        answers, call_ids = rule.answered_calls(body)
        known = None
        if view is not None:
            calls_in = [e.payload or {} for e in view.events if rule.call_type in (e.record.data or "")]
            known = rule.calls(calls_in, [json_value(r.body) for _, r in view.history.snapshots])
        self.serving.transcript.add_chain(
            ChainRecord(
                call.now, previous_id, status, answers, call_ids, known, rule.continuation(body) is not None
            )
        )
        refusal = rule.refusal(body, previous_id, status)
        if refusal is None:
            return None
        # The recording's own refusal of this request, if it has one, is used up.
        self.tape.take(call.request, prefer=_refusal)
        error = MadeUpError(400, refusal, rule.refusal_reason)
        return self.serving.error(call, api, error, None, "create", note=CHAIN_REFUSED)

    def _from_tape(self, call: Call, exchange: Exchange) -> Answer:
        serving = self.serving
        response = exchange.response
        status = response.status if response is not None else None
        operation = call.operation.value if call.operation is not None else None
        interaction_id = call.interaction_id
        body = json_value(response.body) if response is not None and response.body is not None else None
        if isinstance(body, Mapping) and isinstance(body.get("id"), str):
            interaction_id = interaction_id or str(body["id"])
            if isinstance(body.get("status"), str):
                source = "cancel" if operation == "cancel" else "create"
                serving.transcript.saw_status(call.now, str(body["id"]), str(body["status"]), source)
        if operation == "delete" and interaction_id is not None and status == 200:
            serving.deleted[interaction_id] = call.now
        serving.transcript.add_request(
            RequestRecord(call.now, exchange.request.method, call.target, status, interaction_id, operation)
        )
        if response is not None and response.events is not None:
            stream_history = self.histories.get(interaction_of(exchange) or "")
            if stream_history is not None:
                view = self.view(stream_history)
                if operation == "create" and self.stream_responder.cut_before_named(view):
                    # The client will not learn what this create made, so it can only create
                    # again, as it would live (a new attempt): the recording answers that too.
                    self.tape.release(exchange)
                return self.stream_responder.serve(call, view, 0, None)
        return recorded_answer(exchange)


def _digest(call: Call) -> str:
    """What makes two requests the same request: method, target and body."""
    body = body_to_bytes(call.request.body) if call.request.body is not None else b""
    return hashlib.sha256(f"{call.method} {call.target}\n".encode() + body).hexdigest()[:16]


def _refusal(exchange: Exchange) -> bool:
    return exchange.response is not None and exchange.response.status == 400


def _accepted(exchange: Exchange) -> bool:
    return not _refusal(exchange)
