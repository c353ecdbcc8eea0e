"""The replay server: a recorded session compiled into a deterministic, protocol-correct server.

GETs answer the recorded state as of the (virtual) time they are made; streams serve the
recorded events after whatever event the client resumes from, cut where the fault plan says;
everything the client does lands in the transcript for the checks.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
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
    event_to_bytes,
)
from pytest_interactions.faults import REFUSED_ERROR, Cut, FaultPlan, ProtocolFault
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
from pytest_interactions.replay._replayer import _DROPPED_HEADERS, Replayer
from pytest_interactions.transport import Flavor, async_stream, sync_stream

_JSON_HEADERS = [("content-type", "application/json; charset=UTF-8")]


@dataclass
class _Piece:
    data: bytes
    event: HistoryEvent | None = None
    complete: bool = True


class ReplayServer:
    """Answers intercepted requests from a compiled cassette, on the session's clock."""

    def __init__(
        self,
        tape: Replayer,
        *,
        now: Callable[[], float],
        advance_to: Callable[[float], None],
        faults: FaultPlan,
        transcript: Transcript,
        on_exchange: Callable[[Exchange], None] | None = None,
    ) -> None:
        self.tape = tape
        self.on_exchange = on_exchange or (lambda exchange: None)
        self.now = now
        self.advance_to = advance_to
        self.faults = faults
        self.transcript = transcript
        self.histories = compile_histories(tape.cassette)
        self.deleted: dict[str, float] = {}
        self._last_poll: dict[str, float] = {}
        self._events: dict[str, tuple[ProtocolFault | None, list[HistoryEvent]]] = {}
        self.errors: list[str] = []
        self._lock = threading.Lock()

    def unapplied_faults(self) -> list[str]:
        """Planned faults that never happened: a test that believes it exercised them must not pass."""
        found = []
        longest = max((len(h.events) for h in self.histories.values()), default=0)
        if self.faults.rules and self.faults.cuts_fired == 0:
            specs = ", ".join(rule.spec for rule in self.faults.rules)
            found.append(
                f"disconnect={specs} never cut a stream: the client opened no stream it applies to "
                f"(the longest recorded stream has {longest} events)"
            )
        fault = self.faults.protocol
        if fault is not None and longest <= fault.after_events:
            found.append(
                f"inject={fault.kind}:{fault.after_events} changed nothing: no recorded stream has more "
                f"than {fault.after_events} events (the longest has {longest})"
            )
        return found

    def streams(self) -> dict[str, list[str]]:
        """Every interaction's full event order, for the checks."""
        return {iid: [e.event_id for e in self.events(h) if e.event_id] for iid, h in self.histories.items()}

    # -- answering --------------------------------------------------------------------------

    def answer(self, flavor: Flavor, request: Any, incoming: RecordedRequest, *, asynchronous: bool) -> Any:
        """A response for ``incoming``, or ``None`` when the cassette has nothing for it."""
        self._incoming = incoming
        parts = urlsplit(incoming.url)
        route = protocol.parse_route(incoming.method, parts.path)
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
                    asynchronous=asynchronous,
                )
            if is_stream_request(incoming.method, incoming.url):
                return self._stream(
                    flavor, request, history, parts.query, incoming, target, now, asynchronous
                )
            return self._poll(flavor, request, history, target, now, asynchronous)
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
                    flavor, request, 400, refused, target, now, None, asynchronous=asynchronous
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
                return self._serve_stream(flavor, request, stream_history, 0, None, now, asynchronous)
        return self.tape.response(flavor, request, exchange, asynchronous=asynchronous)

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
        answers = any(isinstance(i, Mapping) and i.get("type") == "function_result" for i in items)
        self.transcript.add_chain(ChainRecord(now, previous_id, status, answers))
        if status == protocol.IN_PROGRESS and not body.get("continuation_token"):
            return (
                f"Previous interaction '{previous_id}' is still in_progress; "
                "wait for it to finish before chaining onto it."
            )
        return None

    # -- polls ------------------------------------------------------------------------------

    def _status_at(self, history: History, at: float) -> str | None:
        fault = self.faults.protocol
        if fault is not None:
            events = self.events(history)
            injected = [e for e in events if e.event_id and e.event_id.endswith("-injected")]
            if injected and at >= injected[0].at:
                return _INJECTED_STATUS[fault.kind]
        return history.status_at(at)

    def _paced(self, history: History, now: float) -> float:
        """The moment a poll is answered at.

        A client that polls again without letting any time pass is moved on to the next recorded
        moment of the interaction, as if it had waited for it; one that sleeps is answered as of now.
        """
        previous = self._last_poll.get(history.interaction_id)
        moments = sorted([at for at, _ in history.snapshots] + [e.at for e in history.events])
        if previous is not None and now <= previous:
            later = [at for at in moments if at > now]
            if later:
                self.advance_to(later[0])
        elif moments and now < moments[0]:
            self.advance_to(moments[0])  # the first recorded state is answered as of its time
        now = self.now()
        self._last_poll[history.interaction_id] = now
        return now

    def _snapshot(self, history: History, at: float) -> tuple[int, list[tuple[str, str]], Any]:
        response = _snapshot_as_of(history, at)
        if response is not None:
            body = copy.deepcopy(response.body.value) if response.body is not None else {}
            headers = list(response.headers)
            status = response.status
        else:
            fold = protocol.InteractionFold()
            fold.extend(e.payload for e in self.events(history) if e.payload is not None and e.at <= at)
            body, headers, status = fold.snapshot(), list(_JSON_HEADERS), 200
        fault = self.faults.protocol
        injected_status = self._status_at(history, at) if fault is not None else None
        if fault is not None and isinstance(body, dict) and injected_status == _INJECTED_STATUS[fault.kind]:
            body["status"] = injected_status
            if fault.kind == "failure":
                body["errors"] = [{"code": "injected_failure", "message": fault.message}]
        return status, headers, body

    def _poll(
        self, flavor: Flavor, request: Any, history: History, target: str, now: float, asynchronous: bool
    ) -> Any:
        injected = self.faults.take_poll()
        if injected is not None:
            self.transcript.faults.append(
                f"poll of {history.interaction_id} answered {injected.status} (injected)"
            )
            return self._error(
                flavor,
                request,
                injected.status or 503,
                "Injected error.",
                target,
                now,
                history.interaction_id,
                retry_after=injected.retry_after,
                note="injected",
                asynchronous=asynchronous,
            )
        now = self._paced(history, now)
        status, headers, body = self._snapshot(history, now)
        if isinstance(body, Mapping) and isinstance(body.get("status"), str):
            self.transcript.saw_status(now, history.interaction_id, str(body["status"]), "poll")
        self.transcript.add_request(RequestRecord(now, "GET", target, status, history.interaction_id, "get"))
        data = json.dumps(body, separators=(",", ":")).encode("utf-8")
        self._note(now, status, headers, body)
        return _response(flavor, request, status, headers, [data], asynchronous=asynchronous)

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
        retry_after: float | None = None,
        note: str = "",
        asynchronous: bool,
    ) -> Any:
        self.transcript.add_request(
            RequestRecord(now, request.method, target, status, interaction_id, note=note)
        )
        headers = list(_JSON_HEADERS)
        if retry_after is not None:
            headers += [
                ("retry-after", str(max(1, round(retry_after)))),
                ("retry-after-ms", str(round(retry_after * 1000))),
            ]
        error = protocol.error_body(status, message)
        data = json.dumps(error).encode("utf-8")
        self._note(now, status, headers, error)
        return _response(flavor, request, status, headers, [data], asynchronous=asynchronous)

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
        if fault is None or len(history.events) <= fault.after_events:
            return history.events
        kept = history.events[: fault.after_events]
        last = kept[-1]
        base = last.event_id or "event"
        payloads: list[dict[str, Any]] = []
        if fault.kind == "failure":
            payloads.append(
                {
                    "event_type": protocol.ERROR,
                    "error": {"code": "injected_failure", "message": fault.message},
                }
            )
            payloads.append(
                {
                    "event_type": protocol.STATUS_UPDATE,
                    "interaction_id": history.interaction_id,
                    "status": protocol.FAILED,
                }
            )
        elif fault.kind == "cancellation":
            payloads.append(
                {
                    "event_type": protocol.STATUS_UPDATE,
                    "interaction_id": history.interaction_id,
                    "status": protocol.CANCELLED,
                }
            )
        else:
            payloads.append(
                {
                    "event_type": protocol.INTERACTION_COMPLETED,
                    "interaction": {
                        "id": history.interaction_id,
                        "status": protocol.REQUIRES_ACTION,
                        "steps": [],
                    },
                }
            )
        injected = []
        for n, payload in enumerate(payloads, start=1):
            event_id = f"{base}-{n}-injected"
            if history.dialect is protocol.GEMINI:
                payload["event_id"] = event_id
            data = json.dumps(payload, separators=(",", ":"))
            record = StreamEvent(
                at=0.0,
                event=str(payload["event_type"]),
                data=data,
                id=event_id if history.dialect is protocol.WHATWG else None,
            )
            injected.append(HistoryEvent(last.at, record, event_id, str(payload["event_type"]), payload))
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
                    f"Unknown last_event_id '{resume}' for interaction '{history.interaction_id}'.",
                    target,
                    now,
                    history.interaction_id,
                    asynchronous=asynchronous,
                )
            start = position
        self.transcript.add_request(RequestRecord(now, "GET", target, 200, history.interaction_id, "stream"))
        return self._serve_stream(flavor, request, history, start, resume, now, asynchronous)

    def _position_after(self, history: History, event_id: str) -> int | None:
        for index, event in enumerate(self.events(history)):
            if event.event_id == event_id:
                return index + 1
        return None

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
        param = history.dialect.query_param or history.dialect.header or "last_event_id"
        connection = self.transcript.open_connection(history.interaction_id, now, resume, param)
        if previous and not previous[-1].reached_end:
            injected = self.faults.take_reconnect()
            if injected is not None:
                connection.refused = injected.label
                self.transcript.faults.append(
                    f"reconnect #{connection.number} to {history.interaction_id}: {injected.label}"
                )
                if injected.refuses:
                    raise flavor.exception(*REFUSED_ERROR)
                self.transcript.requests[-1].status = injected.status
                return self._error(
                    flavor,
                    request,
                    injected.status or 503,
                    "Injected error.",
                    "",
                    now,
                    history.interaction_id,
                    retry_after=injected.retry_after,
                    note="injected",
                    asynchronous=asynchronous,
                )
        events = self.events(history)
        planned = self.faults.cuts_for(history.interaction_id, [e.event_type for e in events])
        cuts = [*history.recorded_cuts, *planned] if self.faults.protocol is None else planned
        headers = [(k, v) for k, v in history.stream_headers if k.lower() not in _DROPPED_HEADERS]
        served = self._note(now, 200, headers)
        served.events = []

        def chunks() -> Iterator[bytes]:
            yield from self._pieces(flavor, history, events, cuts, start, connection, served)

        async def achunks() -> AsyncIterator[bytes]:
            for piece in chunks():
                yield piece

        stream = (
            async_stream(flavor, achunks, _aclose) if asynchronous else sync_stream(flavor, chunks, _close)
        )
        return flavor.response(200, headers, stream, request)

    def _pieces(
        self,
        flavor: Flavor,
        history: History,
        events: list[HistoryEvent],
        cuts: list[Cut],
        start: int,
        connection: Connection,
        served: RecordedResponse,
    ) -> Iterator[bytes]:
        assert served.events is not None
        log = served.events
        by_position = {(c.position, c.mid_event): c for c in cuts}
        for index in range(start, len(events)):
            event, position = events[index], index + 1
            data = event_to_bytes(event.record)
            inside = by_position.get((position, True))
            if inside is not None and self.faults.take_cut(history.interaction_id, inside):
                connection.deliveries.append(
                    Delivery(event.event_id, event.event_type, self.now(), complete=False)
                )
                connection.cut = f"inside {event.event_id or f'event {position}'} ({inside.label})"
                self.transcript.faults.append(f"connection #{connection.number}: cut {connection.cut}")
                log.append(
                    Disconnect(self.now() - connection.at, *inside.error, data[: max(1, len(data) // 2)])
                )
                yield data[: max(1, len(data) // 2)]
                raise flavor.exception(*inside.error)
            self.advance_to(event.at)
            connection.deliveries.append(Delivery(event.event_id, event.event_type, self.now()))
            status = protocol.status_carried(event.payload or {})
            if status is not None:
                self.transcript.saw_status(self.now(), history.interaction_id, status, "stream")
            last = index == len(events) - 1 and history.done is None and history.tail_error is None
            if last:
                connection.reached_end = True
            log.append(_served(event.record, self.now() - connection.at))
            yield data
            after = by_position.get((position, False))
            if after is not None and self.faults.take_cut(history.interaction_id, after):
                connection.cut = f"after {event.event_id or f'event {position}'} ({after.label})"
                self.transcript.faults.append(f"connection #{connection.number}: cut {connection.cut}")
                log.append(Disconnect(self.now() - connection.at, *after.error))
                raise flavor.exception(*after.error)
        if history.done is not None:
            connection.reached_end = True
            log.append(_served(history.done, self.now() - connection.at))
            yield event_to_bytes(history.done)
        elif history.tail_error is not None:
            log.append(history.tail_error)
            if history.tail_error.partial:
                yield history.tail_error.partial
            raise flavor.exception(history.tail_error.error, history.tail_error.message)
        elif start >= len(events):
            connection.reached_end = True


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
    earlier = [s for s in history.snapshots if s[0] <= at]
    status = history.status_at(at)
    chosen = earlier[-1] if earlier else None
    if chosen is None or _snapshot_status(chosen[1]) != status:
        since = chosen[0] if chosen is not None else float("-inf")
        newer = next(
            (s for s in history.snapshots if s[0] > since and _snapshot_status(s[1]) == status), None
        )
        chosen = newer or chosen or history.snapshots[0]
    return chosen[1]


def _served(record: StreamEvent, at: float) -> StreamEvent:
    return StreamEvent(at, record.event, record.data, record.id, record.retry, record.comments, record.raw)


def _close() -> None:
    return None


async def _aclose() -> None:
    return None


def _response(
    flavor: Flavor,
    request: Any,
    status: int,
    headers: list[tuple[str, str]],
    pieces: list[bytes],
    *,
    asynchronous: bool,
) -> Any:
    headers = [(k, v) for k, v in headers if k.lower() not in _DROPPED_HEADERS]
    headers.append(("content-length", str(sum(len(p) for p in pieces))))

    def chunks() -> Iterator[bytes]:
        yield from pieces

    async def achunks() -> AsyncIterator[bytes]:
        for piece in pieces:
            yield piece

    stream = async_stream(flavor, achunks, _aclose) if asynchronous else sync_stream(flavor, chunks, _close)
    return flavor.response(status, headers, stream, request)
