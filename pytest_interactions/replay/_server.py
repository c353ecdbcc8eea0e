"""The replay server: a recorded session compiled into a deterministic, protocol-correct server.

GETs answer the recorded state as of the (virtual) time they are made; streams serve the
recorded events after whatever event the client resumes from, cut where the fault plan says;
everything the client does lands in the transcript for the checks.
"""

from __future__ import annotations

import bisect
import copy
import json
import threading
from collections.abc import AsyncIterator, Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pytest_interactions import protocol
from pytest_interactions.cassette import (
    Body,
    Disconnect,
    Exchange,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
    body_to_bytes,
    event_to_bytes,
    json_value,
)
from pytest_interactions.faults import REFUSED_ERROR, Cut, CutRule, FaultPlan, ProtocolFault
from pytest_interactions.protocol._transcript import (
    ChainRecord,
    Connection,
    Delivery,
    RequestRecord,
    Transcript,
)
from pytest_interactions.replay._history import (
    History,
    HistoryEvent,
    compile_histories,
    interaction_of,
    is_stream_request,
)
from pytest_interactions.replay._replayer import _DROPPED_HEADERS, ReconnectLoopError, Replayer
from pytest_interactions.replay._served import ServedResponse, StreamPlan, served_event
from pytest_interactions.transport import Flavor, async_stream, sync_stream

_JSON_HEADERS = [("content-type", "application/json; charset=UTF-8")]
_COMPACT = "compact-ascii"
"""How replay lays out JSON it makes up: as json.dumps does, without spaces."""


class ReplayServer:
    """Answers intercepted requests from a compiled cassette, on the session's clock."""

    def __init__(
        self,
        tape: Replayer,
        *,
        histories: dict[str, History] | None = None,
        now: Callable[[], float],
        reach: Callable[[float], float],
        faults: FaultPlan,
        transcript: Transcript,
        on_exchange: Callable[[Exchange], None] | None = None,
        max_streams: int = 200,
    ) -> None:
        self.tape = tape
        self.max_streams = max_streams
        self.on_exchange = on_exchange or (lambda exchange: None)
        self.now = now
        self.reach = reach
        """Lets time reach a moment (never back) and tells the time then."""
        self.faults = faults
        self.transcript = transcript
        self.histories = compile_histories(tape.cassette) if histories is None else histories
        """Each interaction's history (shared with other sessions replaying the same cassette: read only)."""
        self.deleted: dict[str, float] = {}
        self._last_poll: dict[str, float] = {}
        self._events: dict[str, tuple[ProtocolFault | None, list[HistoryEvent]]] = {}
        self.errors: list[str] = []
        self.stalls: list[str] = []
        """Stalls met by a client without a read timeout (it would wait forever)."""
        self.loops: list[str] = []
        """Reconnect loops stopped at ``max_streams`` streams of one interaction."""
        self._lock = threading.Lock()
        self._recorded_errors = _recorded_errors(tape.cassette.exchanges)
        self._answers: dict[tuple[str, int], _Answer] = {}
        self._moments: dict[str, list[float]] = {}
        self._times: dict[str, tuple[list[HistoryEvent], list[float]]] = {}
        self.touched: set[str] = set()
        """Interactions whose state or stream the client read (their polls and streams are played)."""

    # -- faults that could not, or did not, apply --------------------------------------------

    def _targets(self) -> list[History]:
        wanted = self.faults.interaction_id
        return [h for h in self.histories.values() if wanted in (None, h.interaction_id)]

    def _longest(self) -> str:
        streams = [len(self.events(h)) for h in self._targets() if h.events]
        if not streams:
            return "the cassette has no recorded stream"
        return f"the longest recorded stream has {max(streams)} events"

    def inapplicable_faults(self) -> list[str]:
        """Planned faults the recording has no place for: the test cannot exercise what it declares."""
        found = []
        for rule in self.faults.rules:
            if not any(rule.cuts([e.event_type for e in self.events(h)]) for h in self._targets()):
                found.append(f"disconnect={rule.spec!r} cannot apply: {self._longest()}")
        can_cut = bool(self.faults.rules) or any(h.recorded_cuts for h in self.histories.values())
        for answer in self.faults.reconnects:
            if not can_cut:
                found.append(
                    f"reconnect answers ({answer.label}) cannot apply: nothing cuts a stream "
                    "(declare disconnect=...)"
                )
        for answer in self.faults.polls:
            if not any(h.snapshots or h.events for h in self.histories.values()):
                found.append(f"{answer.label} cannot apply: the cassette has no interaction to poll")
        fault = self.faults.protocol
        formless = self._formless()
        if fault is not None and formless and not any(self._injection(h) for h in self.histories.values()):
            found.append(f"inject={fault.spec!r} cannot apply: {'; '.join(formless)}")
        elif fault is not None and not any(self._injection(h) for h in self.histories.values()):
            counted = "polls" if fault.on == "polls" else "events or polls"
            found.append(
                f"inject={fault.spec!r} cannot apply: no recorded interaction has more than "
                f"{fault.after_events} {counted} ({self._longest()})"
            )
        return found

    def unapplied_faults(self) -> list[str]:
        """Planned faults that never happened: a test that believes it exercised them must not pass.

        A cut placed after the event that ends a stream is no failure when the client stopped
        reading at that event: it had read its stream, and nothing was left to cut.
        """
        found = []
        moot_rules = 0
        for rule in self.faults.rules:
            if rule.spec in self.faults.fired_rules:
                continue
            if self._beyond_terminal(rule):
                moot_rules += 1
                continue
            found.append(f"disconnect={rule.spec} never cut a stream: {self._why_not_cut(rule)}")
        all_moot = bool(self.faults.rules) and moot_rules == len(self.faults.rules)
        for answer in self.faults.answers:
            if answer.used or (all_moot and answer in self.faults.reconnects):
                continue
            what = "poll" if answer.label.startswith("polls") else "reconnect after a cut"
            found.append(f"{answer.label} was never answered: the client made no {what}")
        fault = self.faults.protocol
        if fault is not None and not self._injection_seen(fault):
            found.append(
                self._silent_end(fault)
                or f"inject={fault.spec} changed nothing: the client never reached the injected "
                f"{_INJECTED_STATUS[fault.kind]} (no stream read past event {fault.after_events}, "
                "no poll after it)"
            )
        return found

    def _terminal_position(self, history: History) -> int | None:
        for position, event in enumerate(self.events(history), start=1):
            if event.ends_stream:
                return position
        return None

    def _beyond_terminal(self, rule: CutRule) -> bool:
        """The rule cuts only after the end of a stream whose end the client read."""
        for history in self._targets():
            terminal = self._terminal_position(history)
            if terminal is None:
                continue
            if not any(c.read_terminal for c in self.transcript.connections_of(history.interaction_id)):
                continue
            cuts = rule.cuts([e.event_type for e in self.events(history)])
            if cuts and all(
                c.position > terminal or (c.position == terminal and not c.mid_event) for c in cuts
            ):
                return True
        return False

    def _why_not_cut(self, rule: CutRule) -> str:
        opened = [h for h in self._targets() if self.transcript.connections_of(h.interaction_id)]
        if not opened:
            return f"the client opened no stream it applies to ({self._longest()})"
        history = opened[0]
        cuts = rule.cuts([e.event_type for e in self.events(history)])
        received = {e for c in self.transcript.connections_of(history.interaction_id) for e in c.received}
        where = f"the client stopped reading {history.interaction_id} after {len(received)} event(s)"
        return f"{where}, before the cut point (event {cuts[0].position})" if cuts else where

    def _silent_end(self, fault: ProtocolFault) -> str | None:
        """The mistake of a client that read to the end a stream the fault ends without an event
        (a cancelled OpenAI response) and never asked how the run ended."""
        for history in self.histories.values():
            if self._injection(history) is None or self._endings(history):
                continue
            for connection in self.transcript.connections_of(history.interaction_id):
                if connection.reached_end and not connection.read_terminal:
                    status = _INJECTED_STATUS[fault.kind]
                    return (
                        f"inject={fault.spec}: the stream of {history.interaction_id} ended after event "
                        f"{fault.after_events} with no event that ends a run (the {history.api.name} API "
                        f"tells a {status} run so), and the client never asked how the run ended: it took "
                        "a stream that stopped for a finished run; when a stream ends without its ending "
                        f"event, poll the run (it reads {status!r})"
                    )
        return None

    def _injection_seen(self, fault: ProtocolFault) -> bool:
        status = _INJECTED_STATUS[fault.kind]
        for history in self.histories.values():
            injection = self._injection(history)
            if injection is None:
                continue
            if any(
                s.status == status and s.at >= injection[0] and s.source in ("poll", "stream")
                for s in self.transcript.statuses_of(history.interaction_id)
            ):
                return True
            if any(
                d.event_id and d.event_id.endswith("-injected")
                for c in self.transcript.connections_of(history.interaction_id)
                for d in c.deliveries
            ):
                return True
        return False

    def unplayed(self) -> list[Exchange]:
        """Recorded exchanges this replay never used: not answered from the tape, and not a poll or
        stream of an interaction the client read."""
        return [
            exchange
            for exchange in self.tape.unused()
            if not (exchange.request.method.upper() == "GET" and interaction_of(exchange) in self.touched)
        ]

    def streams(self) -> dict[str, list[str]]:
        """Every interaction's full event order, for the checks."""
        return {iid: [e.event_id for e in self.events(h) if e.event_id] for iid, h in self.histories.items()}

    # -- answering --------------------------------------------------------------------------

    def answer(self, flavor: Flavor, request: Any, incoming: RecordedRequest, *, asynchronous: bool) -> Any:
        """A response for ``incoming``, or ``None`` when the cassette has nothing for it."""
        self._incoming = incoming
        parts = urlsplit(incoming.url)
        found = protocol.route_of(incoming.method, parts.path)
        route = found[1] if found is not None else None
        now = self.now()
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        interaction_id = route.interaction_id if route is not None else None
        history = self.histories.get(interaction_id or "")
        if (
            route is not None
            and route.operation is protocol.Operation.GET
            and history is not None
            and (history.snapshots or history.events)
        ):
            if interaction_id in self.deleted:
                return self._error(
                    flavor,
                    request,
                    404,
                    f"Interaction '{interaction_id}' was not found.",
                    target,
                    now,
                    interaction_id,
                    operation=route.operation.value,
                    api=history.api,
                )
            if is_stream_request(incoming.method, incoming.url):
                return self._stream(
                    flavor, request, history, parts.query, incoming, target, now, asynchronous
                )
            return self._poll(flavor, request, history, target, now)
        prefer = None
        if route is None and incoming.method.upper() == "GET":
            stream = self.histories.get(parts.path)
            if stream is not None and stream.events:
                return self._stream(flavor, request, stream, parts.query, incoming, target, now, asynchronous)
        if route is not None and route.operation is protocol.Operation.CREATE:
            refused = self._chain(incoming, now)
            if refused is not None:
                # The recording's own refusal of this request, if it has one, is used up.
                self.tape.take(incoming, prefer=_refusal)
                return self._error(
                    flavor,
                    request,
                    400,
                    refused,
                    target,
                    now,
                    None,
                    operation="create",
                    reason=protocol.EARLY_CHAIN.status,
                    api=found[0] if found is not None else protocol.GEMINI_INTERACTIONS,
                )
            # Whether a chain is accepted follows the compiled state, not the recording's
            # timing: a refusal recorded for the same request is not the answer.
            prefer = _accepted
        exchange = self.tape.take(incoming, prefer=prefer)
        if exchange is None:
            return None
        self.on_exchange(exchange)
        return self._from_tape(flavor, request, exchange, route, target, now, asynchronous)

    def _from_tape(
        self,
        flavor: Flavor,
        request: Any,
        exchange: Exchange,
        route: protocol.Route | None,
        target: str,
        now: float,
        asynchronous: bool,
    ) -> Any:
        response = exchange.response
        status = response.status if response is not None else None
        operation = route.operation.value if route is not None else None
        interaction_id = route.interaction_id if route is not None else None
        body = (
            response.body.value
            if response is not None and response.body is not None and response.body.kind == "json"
            else None
        )
        if isinstance(body, Mapping) and isinstance(body.get("id"), str):
            interaction_id = interaction_id or str(body["id"])
            if isinstance(body.get("status"), str):
                source = "cancel" if operation == "cancel" else "create"
                self.transcript.saw_status(now, str(body["id"]), str(body["status"]), source)
        if operation == "delete" and interaction_id is not None and status == 200:
            self.deleted[interaction_id] = now
        self.transcript.add_request(
            RequestRecord(now, exchange.request.method, target, status, interaction_id, operation)
        )
        if response is not None and response.events is not None:
            stream_history = self.histories.get(interaction_of(exchange) or "")
            if stream_history is not None:
                if operation == "create" and self._cut_before_named(stream_history):
                    # The client will not learn what this create made, so it can only create
                    # again, as it would live (a new attempt): the recording answers that too.
                    self.tape.release(exchange)
                return self._serve_stream(flavor, request, stream_history, 0, None, now, asynchronous)
        return self.tape.response(flavor, request, exchange, asynchronous=asynchronous)

    def _cut_before_named(self, history: History) -> bool:
        """A planned cut, not yet fired, falls inside the stream's first event: the one that names
        the interaction (a create's stream tells its id in no other way)."""
        events = self.events(history)
        if not events:
            return False
        planned = self.faults.cuts_for(history.interaction_id, [e.event_type for e in events])
        return any(
            cut.position == 1 and cut.mid_event and (history.interaction_id, 1, True) not in self.faults.fired
            for cut in planned
        )

    def _chain(self, incoming: RecordedRequest, now: float) -> str | None:
        """Record a chained create; the refusal message when it chains onto a running interaction."""
        body = incoming.body.value if incoming.body is not None and incoming.body.kind == "json" else None
        if not isinstance(body, Mapping) or not isinstance(body.get("previous_interaction_id"), str):
            return None
        previous_id = str(body["previous_interaction_id"])
        history = self.histories.get(previous_id)
        status = self._status_at(history, now) if history is not None else None
        value = body.get("input")
        items = value if isinstance(value, list) else []
        results = [i for i in items if isinstance(i, Mapping) and i.get("type") == "function_result"]
        call_ids = tuple(str(i.get("call_id")) for i in results)
        known = _function_calls(history, self.events(history)) if history is not None else None
        self.transcript.add_chain(ChainRecord(now, previous_id, status, bool(results), call_ids, known))
        if status == protocol.IN_PROGRESS and not body.get("continuation_token"):
            return (
                f"Previous interaction '{previous_id}' is still in_progress; "
                "wait for it to finish before chaining onto it."
            )
        return None

    # -- polls ------------------------------------------------------------------------------

    def _status_at(self, history: History, at: float) -> str | None:
        fault = self.faults.protocol
        injection = self._injection(history)
        if fault is not None and injection is not None and at >= injection[0]:
            return _INJECTED_STATUS[fault.kind]
        return history.status_at(at)

    def _endings(self, history: History) -> list[dict[str, Any]] | None:
        """The events the planned protocol fault ends this run's stream with, in its API's grammar
        ([]: the stream just ends; ``None``: the fault means nothing in that API)."""
        fault = self.faults.protocol
        if fault is None:
            return []
        try:
            return history.api.fault_events(fault.kind, history.interaction_id, fault.message)
        except protocol.FaultWithoutForm:
            return None

    def _formless(self) -> list[str]:
        """Why the planned protocol fault means nothing in the APIs of some recorded runs."""
        fault, reasons = self.faults.protocol, {}
        if fault is None:
            return []
        for history in self.histories.values():
            try:
                history.api.fault_state(fault.kind, fault.message)
            except protocol.FaultWithoutForm as exc:
                reasons[history.api.name] = str(exc)
        return [reasons[name] for name in sorted(reasons)]

    def _injection(self, history: History) -> tuple[float, int] | None:
        """When the planned protocol fault turns this run, and how many stream events it keeps.

        Counting events, the run turns at its N-th event; counting polls (or for a run recorded
        without a stream), at its (N+1)-th recorded poll, so that the first N polls are as recorded.
        """
        fault = self.faults.protocol
        if fault is None:
            return None
        if self._endings(history) is None:
            return None
        if fault.on == "events" and history.events:
            if len(history.events) <= fault.after_events:
                return None
            return history.events[fault.after_events - 1].at, fault.after_events
        if len(history.snapshots) <= fault.after_events:
            return None
        moment = history.snapshots[fault.after_events][0]
        return moment, sum(1 for e in history.events if e.at < moment)

    def _paced(self, history: History, now: float) -> float:
        """The moment a poll is answered at.

        A client that polls again without letting any time pass is moved on to the next recorded
        moment of the interaction, as if it had waited for it; one that sleeps is answered as of now.
        """
        previous = self._last_poll.get(history.interaction_id)
        moments = self._moments.get(history.interaction_id)
        if moments is None:
            moments = sorted([at for at, _ in history.snapshots] + [e.at for e in history.events])
            self._moments[history.interaction_id] = moments
        if previous is not None and now <= previous:
            later = bisect.bisect_right(moments, now)
            if later < len(moments):
                self.reach(moments[later])
        elif moments and now < moments[0]:
            self.reach(moments[0])  # the first recorded state is answered as of its time
        now = self.now()
        self._last_poll[history.interaction_id] = now
        return now

    def _snapshot(self, history: History, at: float) -> _Answer:
        """The poll answer as of ``at``: a recorded one, or the fold of the events shown by then.

        Answers are built and serialised once each and shared by every poll that shows them
        (their bodies are read, never changed).
        """
        fault = self.faults.protocol
        injection = self._injection(history)
        if fault is None or injection is None or at < injection[0]:
            response = _snapshot_as_of(history, at)
            if response is not None:
                key: tuple[str, int] = (history.interaction_id, id(response))
            else:
                shown = bisect.bisect_right(self._event_times(history), at)
                key = (history.interaction_id, -shown - 1)
            # Without a fault, answers depend on the history alone: every session shares them.
            answers = self._answers if fault is not None else history.derived.setdefault("answers", {})
            cached = answers.get(key)
            if cached is None:
                cached = answers[key] = _Answer.of(*self._built(history, at))
            return cached
        # The run as it stood when it turned, with the injected ending.
        status, headers, body, sent = self._built(history, at)
        before = _snapshot_as_of(history, injection[0] - 1e-9) if fault.on == "polls" else None
        body = copy.deepcopy(before.body.value if before is not None and before.body is not None else body)
        if isinstance(body, dict):
            body.update(history.api.fault_state(fault.kind, fault.message))
        # A changed body keeps the recorded layout where it has one, else compact JSON's.
        layout = sent.style if sent.kind == "json" else _COMPACT
        return _Answer.of(status, headers, body, Body("json", body, layout))

    def _event_times(self, history: History) -> list[float]:
        """The times of the history's (faulted) events, in order; worked out once per event list."""
        events = self.events(history)
        cached = self._times.get(history.interaction_id)
        if cached is None or cached[0] is not events:
            cached = self._times[history.interaction_id] = (events, [e.at for e in events])
        return cached[1]

    def _built(self, history: History, at: float) -> tuple[int, list[tuple[str, str]], Any, Body]:
        """Status, headers and body of the poll answer as of ``at``, and the body as it goes out:
        a recorded answer as it came in, a folded one in the layout of the recorded answers."""
        response = _snapshot_as_of(history, at)
        if response is not None and response.body is not None:
            # Shared, never changed: an answer that must differ copies it first.
            body = json_value(response.body)
            return response.status, list(response.headers), {} if body is None else body, response.body
        if response is not None:
            return response.status, list(response.headers), {}, Body("json", {}, _COMPACT)
        payloads = [p for e in self.events(history) if e.at <= at and (p := e.payload) is not None]
        folded = history.api.fold(payloads)
        return 200, list(_JSON_HEADERS), folded, Body("json", folded, _layout(history))

    def _poll(self, flavor: Flavor, request: Any, history: History, target: str, now: float) -> Any:
        injected = self.faults.take_poll()
        if injected is not None:
            self.transcript.faults.append(
                f"poll of {history.interaction_id} answered {injected.status} (injected)"
            )
            return self._error(
                flavor,
                request,
                injected.status or 503,
                protocol.default_message(injected.status or 503),
                target,
                now,
                history.interaction_id,
                operation="get",
                retry_after=injected.retry_after,
                note="injected",
                api=history.api,
            )
        self.touched.add(history.interaction_id)
        self.transcript.apis[history.interaction_id] = history.api.name
        now = self._paced(history, now)
        answer = self._snapshot(history, now)
        if answer.shown_status is not None:
            self.transcript.saw_status(now, history.interaction_id, answer.shown_status, "poll")
        self.transcript.add_request(
            RequestRecord(now, "GET", target, answer.status, history.interaction_id, "get")
        )
        self.on_exchange(Exchange(now, self._incoming, answer.served))
        return flavor.complete_response(answer.status, answer.wire_headers, answer.data, request)

    def _note(
        self, now: float, status: int, headers: list[tuple[str, str]], body: Any = None
    ) -> RecordedResponse:
        """Report a served exchange: the client's request with what it was answered."""
        response = RecordedResponse(status, list(headers))
        if body is not None:
            response.body = Body("json", body)
        self.on_exchange(Exchange(now, self._incoming, response))
        return response

    def _error(
        self,
        flavor: Flavor,
        request: Any,
        status: int,
        message: str,
        target: str,
        now: float,
        interaction_id: str | None,
        *,
        operation: str | None = None,
        reason: str | None = None,
        retry_after: float | None = None,
        note: str = "",
        record: bool = True,
        api: protocol.ApiDefinition = protocol.GEMINI_INTERACTIONS,
    ) -> Any:
        """An error answer made up by replay, in the shape the API gives it.

        Where the cassette holds an answer of the same kind (HTTP status and error status), its
        headers and body are used, so that code branching on errors sees what it saw while
        recording; otherwise the protocol's one definition of the error body.
        """
        reason = reason or protocol.STATUS_NAMES.get(status, "UNKNOWN")
        wait = retry_after
        if record:
            self.transcript.add_request(
                RequestRecord(now, request.method, target, status, interaction_id, operation, note, wait)
            )
        recorded = self._recorded_errors.get((status, reason))
        if recorded is not None and recorded.body is not None:
            error = copy.deepcopy(recorded.body.value)
            headers = [(k, v) for k, v in recorded.headers if k.lower() not in _RETRY_HEADERS]
        else:
            error = api.error_body(status, message, reason)
            headers = list(_JSON_HEADERS)
        headers += protocol.retry_headers(retry_after)
        data = json.dumps(error).encode("utf-8")
        self._note(now, status, headers, error)
        return _response(flavor, request, status, headers, data)

    # -- streams ----------------------------------------------------------------------------

    def events(self, history: History) -> list[HistoryEvent]:
        """The history's events, turned by a protocol fault where one is planned (computed once)."""
        fault = self.faults.protocol
        cached = self._events.get(history.interaction_id)
        if cached is not None and cached[0] is fault:
            return cached[1]
        events = self._faulted_events(history, fault)
        self._events[history.interaction_id] = (fault, events)
        return events

    def _faulted_events(self, history: History, fault: ProtocolFault | None) -> list[HistoryEvent]:
        injection = self._injection(history)
        if fault is None or injection is None or not history.events:
            return history.events
        moment, keep = injection
        kept = history.events[:keep]
        last = kept[-1] if kept else None
        base = (last.event_id if last is not None else None) or "event"
        payloads = self._endings(history) or []
        injected = []
        for n, payload in enumerate(payloads, start=1):
            event_id = f"{base}-{n}-injected"
            field = history.dialect.json_field
            if field == "event_id":
                payload[field] = event_id
            elif field is not None and last is not None and (last.event_id or "").isdigit():
                event_id = str(int(str(last.event_id)) + n)  # positions that count up stay numbers
                payload[field] = int(event_id)
            kind = str(history.api.event_type(payload))
            data = json.dumps(payload, separators=(",", ":"))
            record = StreamEvent(
                at=0.0,
                event=kind,
                data=data,
                id=event_id if field is None else None,
            )
            injected.append(HistoryEvent.read(moment, record, event_id, kind, payload, history.api))
        return [*kept, *injected]

    def _stream(
        self,
        flavor: Flavor,
        request: Any,
        history: History,
        query: str,
        incoming: RecordedRequest,
        target: str,
        now: float,
        asynchronous: bool,
    ) -> Any:
        self.touched.add(history.interaction_id)
        opened = len(self.transcript.connections_of(history.interaction_id))
        if opened >= self.max_streams:
            ended = sum(c.reached_end for c in self.transcript.connections_of(history.interaction_id))
            message = (
                f"the client opened {opened} streams of {history.interaction_id} and asked for another "
                f"({ended} of them had already reached the end of the run): a reconnect loop that never "
                f"ends; stop reconnecting once the run's ending event has arrived (the limit, "
                f"{self.max_streams}, is the ini key interactions_max_streams)"
            )
            if not self.loops:
                self.loops.append(message)
            raise ReconnectLoopError(message)
        resume = history.dialect.resume_from(query, dict(incoming.headers))
        start = 0
        if resume is not None:
            position = self._position_after(history, resume)
            if position is None:
                where = history.dialect.query_param or history.dialect.header
                known = ", ".join(history.event_ids[:3])
                message = (
                    f"the client resumed {history.interaction_id} from {where}={resume}, "
                    f"an event id the stream never had (its ids: {known}, ...)"
                )
                self.errors.append(message)
                return self._error(
                    flavor,
                    request,
                    400,
                    f"Unknown {history.api.resume_param} '{resume}' for interaction "
                    f"'{history.interaction_id}'.",
                    target,
                    now,
                    history.interaction_id,
                    operation="stream",
                    api=history.api,
                )
            start = position
        self.transcript.add_request(RequestRecord(now, "GET", target, 200, history.interaction_id, "stream"))
        return self._serve_stream(flavor, request, history, start, resume, now, asynchronous)

    def _stream_request(self, interaction_id: str) -> RequestRecord | None:
        """The transcript entry of the stream request being answered, if it has one."""
        last = self.transcript.requests[-1] if self.transcript.requests else None
        if last is not None and last.operation == "stream" and last.interaction_id == interaction_id:
            return last
        return None

    def _position_after(self, history: History, event_id: str) -> int | None:
        ids = [event.event_id for event in self.events(history)]
        if event_id in ids:
            return ids.index(event_id) + 1
        # A position the recording itself resumed after, whose event it never held.
        first = history.resume_points.get(event_id)
        return ids.index(first) if first in ids else None

    def _serve_stream(
        self,
        flavor: Flavor,
        request: Any,
        history: History,
        start: int,
        resume: str | None,
        now: float,
        asynchronous: bool,
    ) -> Any:
        previous = self.transcript.connections_of(history.interaction_id)
        if previous and previous[-1].unread and resume is not None:
            # The client closed part-way through a chunk: where it resumes tells what it read.
            previous[-1].keep_through(resume, previous[-1].unread + 1)
        param = history.api.resume_param
        self.transcript.apis[history.interaction_id] = history.api.name
        connection = self.transcript.open_connection(history.interaction_id, now, resume, param)
        if previous and not previous[-1].reached_end:
            injected = self.faults.take_reconnect()
            if injected is not None:
                connection.refused = injected.label
                self.transcript.faults.append(
                    f"reconnect #{connection.number} to {history.interaction_id}: {injected.label}"
                )
                stream_request = self._stream_request(history.interaction_id)
                if stream_request is not None:
                    stream_request.note = "injected"
                if injected.refuses:
                    if stream_request is not None:
                        stream_request.status = None
                    raise flavor.exception(*REFUSED_ERROR)
                if stream_request is not None:
                    stream_request.status = injected.status
                    stream_request.retry_after = injected.retry_after
                return self._error(
                    flavor,
                    request,
                    injected.status or 503,
                    protocol.default_message(injected.status or 503),
                    "",
                    now,
                    history.interaction_id,
                    operation="stream",
                    retry_after=injected.retry_after,
                    note="injected",
                    record=stream_request is None,
                    api=history.api,
                )
        events = self.events(history)
        plan = StreamPlan.of(history, events)
        planned = self.faults.cuts_for(history.interaction_id, plan.types)
        cuts = [*history.recorded_cuts, *planned] if self.faults.protocol is None else planned
        headers = [(k, v) for k, v in history.stream_headers if k.lower() not in _DROPPED_HEADERS]
        served = ServedResponse(200, headers, connection.at)
        self.on_exchange(Exchange(now, self._incoming, served))

        pieces = self._pieces(flavor, request, history, plan, cuts, start, connection, served)

        async def achunks() -> AsyncIterator[bytes]:
            for piece in pieces:
                yield piece

        def close() -> None:
            pieces.close()  # closing the response tells the stream at once, not when collected

        async def aclose() -> None:
            close()

        if asynchronous:
            stream = async_stream(flavor, achunks, aclose)
        else:
            stream = sync_stream(flavor, lambda: pieces, close)
        return flavor.response(200, headers, stream, request)

    def _pieces(
        self,
        flavor: Flavor,
        request: Any,
        history: History,
        plan: StreamPlan,
        cuts: list[Cut],
        start: int,
        connection: Connection,
        served: ServedResponse,
    ) -> Generator[bytes, None, None]:
        events = plan.events
        by_position = {(c.position, c.mid_event): c for c in cuts}
        # A chunk starts at the event a cut falls inside, and after the event a cut follows.
        breaks = frozenset(c.position - 1 if c.mid_event else c.position for c in cuts)
        run = connection.run(events, start)
        served.add(run)
        times, reach, count, closes = run.times, self.reach, len(events), plan.closes
        ends = history.done is None and history.tail_error is None
        index = start
        try:
            while index < count:
                position = index + 1
                inside = by_position.get((position, True)) if by_position else None
                if inside is not None and self.faults.take_cut(history.interaction_id, inside):
                    event = events[index]
                    data = event.data
                    partial = inside.partial or data[: max(1, len(data) // 2)]
                    connection.deliver(Delivery(event.event_id, event.event_type, self.now(), complete=False))
                    self._cut(connection, f"inside {event.event_id or f'event {position}'} ({inside.label})")
                    served.add(Disconnect(self.now() - connection.at, *inside.error, partial))
                    connection.unread = 0
                    yield partial
                    raise flavor.exception(*inside.error)
                end = plan.chunk_end(index, breaks)
                now = reach(plan.times[end - 1])
                times.extend([now] * (end - index))
                if closes[end - 1]:  # only such an event closes a chunk, so only the last can be one
                    last = events[end - 1]
                    if last.status is not None:
                        self.transcript.saw_status(now, history.interaction_id, last.status, "stream")
                    if last.ends_stream:
                        connection.read_terminal = True
                if ends and end == count:
                    connection.reached_end = True
                connection.unread = end - index - 1
                yield plan.chunk(index, end)
                connection.unread = 0
                index = end
                after = by_position.get((end, False)) if by_position else None
                if after is None or not self.faults.take_cut(history.interaction_id, after):
                    continue
                connection.reached_end = False  # a cut after the last event still ends it early
                name = events[end - 1].event_id or f"event {end}"
                if after.how == "end":
                    self._cut(connection, f"ended cleanly after {name} ({after.label})")
                    return
                if after.how == "stall":
                    self._stall(request, connection, history, name, after)
                else:
                    self._cut(connection, f"after {name} ({after.label})")
                served.add(Disconnect(self.now() - connection.at, *after.error))
                raise flavor.exception(*after.error)
        except GeneratorExit:
            connection.closed_early = True
            raise
        if history.done is not None:
            connection.reached_end = True
            served.add(served_event(history.done, self.now() - connection.at))
            yield event_to_bytes(history.done)
        elif history.tail_error is not None:
            served.add(history.tail_error)
            if history.tail_error.partial:
                yield history.tail_error.partial
            raise flavor.exception(history.tail_error.error, history.tail_error.message)
        elif start >= count:
            connection.reached_end = True

    def _cut(self, connection: Connection, how: str) -> None:
        connection.cut = how
        self.transcript.faults.append(f"connection #{connection.number}: cut {how}")

    def _stall(self, request: Any, connection: Connection, history: History, name: str, cut: Cut) -> None:
        """The stream sends nothing more: the client's read timeout fires, on the session's clock."""
        timeout = _read_timeout(request)
        if timeout is None:
            self.stalls.append(
                f"the stream of {history.interaction_id} stalled after {name} ({cut.label}) and the "
                "client set no read timeout: against a real server it would wait forever; give the "
                "client a read timeout (httpx.Timeout(read=...)) and reconnect when it fires"
            )
            self._cut(connection, f"stalled after {name} ({cut.label}); the client had no read timeout")
            return
        self.reach(self.now() + timeout)
        self._cut(connection, f"stalled after {name} ({cut.label}); read timeout after {timeout:g}s")


_RETRY_HEADERS = frozenset({"retry-after", "retry-after-ms", "content-length"})


def _read_timeout(request: Any) -> float | None:
    timeout = getattr(request, "extensions", {}).get("timeout")
    value = timeout.get("read") if isinstance(timeout, Mapping) else None
    return float(value) if isinstance(value, (int, float)) else None


def _recorded_errors(exchanges: list[Exchange]) -> dict[tuple[int, str], RecordedResponse]:
    """The first recorded error answer of each kind (HTTP status, error status)."""
    found: dict[tuple[int, str], RecordedResponse] = {}
    for exchange in exchanges:
        response = exchange.response
        if response is None or response.status < 400 or response.body is None:
            continue
        value = response.body.value if response.body.kind == "json" else None
        error = value.get("error") if isinstance(value, Mapping) else None
        if isinstance(error, Mapping):
            reason = str(error.get("status") or protocol.STATUS_NAMES.get(response.status, "UNKNOWN"))
            found.setdefault((response.status, reason), response)
    return found


def _function_calls(history: History, events: list[HistoryEvent]) -> tuple[str, ...]:
    """The ids of the function calls an interaction made, from its stream and its polls."""
    ids: list[str] = []
    for event in events:
        if "function_call" not in (event.record.data or ""):
            continue
        step = (event.payload or {}).get("step")
        if isinstance(step, Mapping) and step.get("type") == "function_call" and step.get("id"):
            ids.append(str(step["id"]))
    for _, response in history.snapshots:
        value = response.body.value if response.body is not None else None
        steps = value.get("steps") if isinstance(value, Mapping) else None
        for step in steps if isinstance(steps, list) else []:
            if isinstance(step, Mapping) and step.get("type") == "function_call" and step.get("id"):
                ids.append(str(step["id"]))
    return tuple(dict.fromkeys(ids))


def _refusal(exchange: Exchange) -> bool:
    return exchange.response is not None and exchange.response.status == 400


def _accepted(exchange: Exchange) -> bool:
    return not _refusal(exchange)


_INJECTED_STATUS = {
    "failure": protocol.FAILED,
    "cancellation": protocol.CANCELLED,
    "requires_action": protocol.REQUIRES_ACTION,
}


def _snapshot_status(response: RecordedResponse) -> str | None:
    value = response.body.value if response.body is not None else None
    return str(value["status"]) if isinstance(value, Mapping) and "status" in value else None


def _snapshot_as_of(history: History, at: float) -> RecordedResponse | None:
    """The recorded poll answer that shows the interaction as of ``at``.

    The latest poll recorded by then, unless the stream had already shown a newer status: then
    the first later poll that shows it (a poll made right after a stream ends sees its end).
    """
    if not history.snapshots:
        return None
    earlier = bisect.bisect_right(history.snapshot_times(), at)
    status = history.status_at(at)
    chosen = history.snapshots[earlier - 1] if earlier else None
    if chosen is None or _snapshot_status(chosen[1]) != status:
        since = chosen[0] if chosen is not None else float("-inf")
        newer = next(
            (s for s in history.snapshots if s[0] > since and _snapshot_status(s[1]) == status), None
        )
        chosen = newer or chosen or history.snapshots[0]
    return chosen[1]


@dataclass(frozen=True)
class _Answer:
    """A poll answer, serialised once: status, headers, the body and its bytes."""

    status: int
    headers: list[tuple[str, str]]
    body: Any
    data: bytes
    shown_status: str | None
    wire_headers: list[tuple[str, str]]
    """The headers as sent with :attr:`data`."""
    served: RecordedResponse
    """The answer as the session's exchanges show it (shared: read, never changed)."""

    @classmethod
    def of(cls, status: int, headers: list[tuple[str, str]], body: Any, sent: Body) -> _Answer:
        """``body``: the answer's JSON document; ``sent``: the body whose bytes go out."""
        shown = body.get("status") if isinstance(body, Mapping) else None
        data = body_to_bytes(sent)
        shown_status = shown if isinstance(shown, str) else None
        served = RecordedResponse(status, list(headers), body=None if body is None else sent)
        return cls(status, headers, body, data, shown_status, _wire_headers(headers, data), served)


def _layout(history: History) -> str:
    """The JSON layout of the history's recorded poll answers (compact where they show none)."""
    body = history.snapshots[0][1].body if history.snapshots else None
    return body.style if body is not None and body.kind == "json" else _COMPACT


def _response(flavor: Flavor, request: Any, status: int, headers: list[tuple[str, str]], data: bytes) -> Any:
    return flavor.complete_response(status, _wire_headers(headers, data), data, request)


def _wire_headers(headers: list[tuple[str, str]], data: bytes) -> list[tuple[str, str]]:
    """``headers`` as sent with the body ``data``: its length, none about the recorded wire."""
    sent = [(k, v) for k, v in headers if k.lower() not in _DROPPED_HEADERS]
    sent.append(("content-length", str(len(data))))
    return sent
