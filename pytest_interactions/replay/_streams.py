"""Serving streams: the recorded events after the position a client resumes from, cut where the
fault plan says, handed over chunk by chunk as the client reads, on the session's clock."""

from __future__ import annotations

import dataclasses
from collections.abc import Generator

from pytest_interactions.cassette import Disconnect, Exchange, event_to_bytes
from pytest_interactions.faults import REFUSED_ERROR, Cut
from pytest_interactions.protocol import Connection, Delivery, RequestRecord
from pytest_interactions.replay._call import Call
from pytest_interactions.replay._context import Serving
from pytest_interactions.replay._errors import ReconnectLoopError
from pytest_interactions.replay._faulted import FaultedHistory
from pytest_interactions.replay._history import POSITIONAL, History
from pytest_interactions.replay._made_up import MadeUpError
from pytest_interactions.replay._served import ServedResponse, StreamPlan, served_event
from pytest_interactions.replay._snapshots import DROPPED_HEADERS
from pytest_interactions.transport import Answer, Complete, Refused, Streamed, TransportFailure


class StreamResponder:
    """Answers one session's stream requests and serves the streams its creates open."""

    def __init__(self, serving: Serving) -> None:
        self.serving = serving

    def answer(self, call: Call, view: FaultedHistory) -> Answer:
        """A GET of the interaction's stream, resuming where the request says."""
        serving, history = self.serving, view.history
        serving.touched.add(history.interaction_id)
        connections = serving.transcript.connections_of(history.interaction_id)
        if len(connections) >= serving.max_streams:
            raise self._loop(view, len(connections), sum(c.reached_end for c in connections))
        if not history.resumable:
            # A run whose stream cannot be read again (an OpenAI response made without background).
            message = (
                f"{history.api.noun.capitalize()} '{history.interaction_id}' cannot be streamed again: "
                "it was not created in background mode."
            )
            return serving.error(
                call, history.api, MadeUpError(400, message), history.interaction_id, "stream"
            )
        resume = history.dialect.resume_from(call.query, dict(call.request.headers))
        start = 0
        if resume is not None:
            position = self._position_after(view, resume)
            if position is None:
                where = history.dialect.query_param or history.dialect.header
                known = ", ".join(history.event_ids[:3])
                if known.startswith(POSITIONAL):
                    serving.problems.append(
                        f"the client resumed {history.interaction_id} from {where}={resume}, but the "
                        f"recorded events carry no {where} (the server left it out): where the resume "
                        "should start cannot be judged, and replay cannot serve it"
                    )
                else:
                    serving.problems.append(
                        f"the client resumed {history.interaction_id} from {where}={resume}, "
                        f"an event id the stream never had (its ids: {known}, ...)"
                    )
                message = (
                    f"Unknown {history.api.resume_param} '{resume}' for interaction "
                    f"'{history.interaction_id}'."
                )
                return serving.error(
                    call, history.api, MadeUpError(400, message), history.interaction_id, "stream"
                )
            start = position
        serving.transcript.add_request(
            RequestRecord(call.now, "GET", call.target, 200, history.interaction_id, "stream")
        )
        return self.serve(call, view, start, resume)

    def _loop(self, view: FaultedHistory, opened: int, ended: int) -> ReconnectLoopError:
        message = (
            f"the client opened {opened} streams of {view.interaction_id} and asked for another "
            f"({ended} of them had already reached the end of the run): a reconnect loop that never "
            f"ends; stop reconnecting once the run's ending event has arrived (the limit, "
            f"{self.serving.max_streams}, is the ini key interactions_max_streams)"
        )
        if not self.serving.loops:
            self.serving.loops.append(message)
        return ReconnectLoopError(message)

    def _position_after(self, view: FaultedHistory, event_id: str) -> int | None:
        ids = [event.event_id for event in view.events]
        if event_id in ids:
            return ids.index(event_id) + 1
        # A position the recording itself resumed after, whose event it never held.
        first = view.history.resume_points.get(event_id)
        return ids.index(first) if first in ids else None

    def cut_before_named(self, view: FaultedHistory) -> bool:
        """A planned cut, not yet fired, falls inside the stream's first event: the one that names
        the interaction (a create's stream tells its id in no other way)."""
        if not view.events:
            return False
        planned = self.serving.firing.plan.cuts_for(view.interaction_id, view.plan().types)
        return any(
            cut.position == 1
            and cut.mid_event
            and not self.serving.firing.has_fired(view.interaction_id, 1, True)
            for cut in planned
        )

    def serve(self, call: Call, view: FaultedHistory, start: int, resume: str | None) -> Answer:
        """The stream of ``view`` from event ``start`` (0-based) on, or an injected answer when this
        is a reconnect after a cut and the plan has one for it."""
        serving, history = self.serving, view.history
        transcript = serving.transcript
        previous = transcript.connections_of(history.interaction_id)
        if previous and previous[-1].unread and resume is not None:
            # The client closed part-way through a chunk: where it resumes tells what it read.
            previous[-1].keep_through(resume, previous[-1].unread + 1)
        transcript.apis[history.interaction_id] = history.api.name
        connection = transcript.open_connection(
            history.interaction_id, call.now, resume, history.api.resume_param
        )
        if previous and not previous[-1].reached_end:
            injected = self._injected(call, view, connection)
            if injected is not None:
                return injected
        plan = view.plan()
        planned = self._planned_cuts(history, plan.types)
        cuts = [*history.recorded_cuts, *planned] if view.fault is None else planned
        headers = [(k, v) for k, v in history.stream_headers if k.lower() not in DROPPED_HEADERS]
        served = ServedResponse(200, headers, connection.at)
        serving.note(Exchange(call.now, call.request, served))
        pieces = self._pieces(call, view, plan, cuts, start, connection, served)
        return Streamed(200, headers, pieces, pieces.close)

    def _planned_cuts(self, history: History, types: list[str]) -> list[Cut]:
        """The plan's cuts of ``history``; a made-up run is cut where the recorded run it
        generates again is (each cut fires once across the two)."""
        plan = self.serving.firing.plan
        if history.origin is None:
            return plan.cuts_for(history.interaction_id, types)
        owner, shift = history.origin
        source = self.serving.views.histories.get(owner)
        if source is None:
            return []
        lowest = 2 if shift else 1  # a run's first event is its own, unless it is the source's too
        return [
            dataclasses.replace(cut, position=cut.position - shift)
            for cut in plan.cuts_for(owner, self.serving.views.of(source).plan().types)
            if cut.position - shift >= lowest
        ]

    def _injected(self, call: Call, view: FaultedHistory, connection: Connection) -> Answer | None:
        """The plan's answer to this reconnect (a refusal, an HTTP error), if it has one left."""
        serving = self.serving
        injected = serving.firing.take_reconnect()
        if injected is None:
            return None
        connection.refused = injected.label
        serving.transcript.faults.append(
            f"reconnect #{connection.number} to {view.interaction_id}: {injected.label}"
        )
        stream_request = self._stream_request(view.interaction_id)
        if stream_request is not None:
            stream_request.note = "injected"
        if injected.refuses:
            if stream_request is not None:
                stream_request.status = None
            return Refused(*REFUSED_ERROR)
        if stream_request is not None:
            stream_request.status = injected.status
            stream_request.retry_after = injected.retry_after
        error = MadeUpError.injected(injected.status, injected.retry_after)
        answer: Complete = serving.error(
            call,
            view.history.api,
            error,
            view.interaction_id,
            "stream",
            note="injected",
            record=stream_request is None,
            target="",
        )
        return answer

    def _stream_request(self, interaction_id: str) -> RequestRecord | None:
        """The transcript entry of the stream request being answered, if it has one."""
        requests = self.serving.transcript.requests
        last = requests[-1] if requests else None
        if last is not None and last.operation == "stream" and last.interaction_id == interaction_id:
            return last
        return None

    def _pieces(
        self,
        call: Call,
        view: FaultedHistory,
        plan: StreamPlan,
        cuts: list[Cut],
        start: int,
        connection: Connection,
        served: ServedResponse,
    ) -> Generator[bytes, None, None]:
        serving, history = self.serving, view.history
        firing, lock, transcript = serving.firing, serving.lock, serving.transcript
        events = plan.events
        by_position = {(c.position, c.mid_event): c for c in cuts}
        # A chunk starts at the event a cut falls inside, and after the event a cut follows.
        breaks = frozenset(c.position - 1 if c.mid_event else c.position for c in cuts)
        run = connection.run(events, start)
        served.add(run)
        times, reach, count, closes = run.times, serving.reach, len(events), plan.closes
        ends = history.done is None and history.tail_error is None
        interaction_id = history.interaction_id
        owner, shift = history.origin or (interaction_id, 0)

        def take(cut: Cut) -> bool:
            return firing.take_cut(
                owner, dataclasses.replace(cut, position=cut.position + shift) if shift else cut
            )

        index = start
        try:
            while index < count:
                position = index + 1
                inside = by_position.get((position, True)) if by_position else None
                if inside is not None and take(inside):
                    with lock:
                        event = events[index]
                        data = event.data
                        partial = inside.partial or data[: max(1, len(data) // 2)]
                        connection.deliver(
                            Delivery(event.event_id, event.event_type, serving.now(), complete=False)
                        )
                        self._cut(
                            connection, f"inside {event.event_id or f'event {position}'} ({inside.label})"
                        )
                        served.add(Disconnect(serving.now() - connection.at, *inside.error, partial))
                        connection.unread = 0
                    yield partial
                    raise TransportFailure(*inside.error)
                end = plan.chunk_end(index, breaks)
                # What a chunk changes is its own connection's; the session's state is locked only
                # where it is written (a status seen, a cut), and time passes unlocked (served at a
                # real pace, it waits).
                now = reach(plan.times[end - 1])
                times.extend([now] * (end - index))
                if closes[end - 1]:  # only such an event closes a chunk, so only the last can be one
                    last = events[end - 1]
                    if last.status is not None:
                        with lock:
                            transcript.saw_status(now, interaction_id, last.status, "stream")
                    if last.ends_stream:
                        connection.read_terminal = True
                if ends and end == count:
                    connection.reached_end = True
                connection.unread = end - index - 1
                yield plan.chunk(index, end)
                connection.unread = 0
                index = end
                after = by_position.get((end, False)) if by_position else None
                if after is None or not take(after):
                    continue
                with lock:
                    connection.reached_end = False  # a cut after the last event still ends it early
                    name = events[end - 1].event_id or f"event {end}"
                    if after.how == "end":
                        self._cut(connection, f"ended cleanly after {name} ({after.label})")
                        return
                    if after.how == "stall":
                        self._stall(call, connection, view, name, after)
                    else:
                        self._cut(connection, f"after {name} ({after.label})")
                    served.add(Disconnect(serving.now() - connection.at, *after.error))
                raise TransportFailure(*after.error)
        except GeneratorExit:
            connection.closed_early = True
            raise
        if history.done is not None:
            connection.reached_end = True
            served.add(served_event(history.done, serving.now() - connection.at))
            yield event_to_bytes(history.done)
        elif history.tail_error is not None:
            served.add(history.tail_error)
            if history.tail_error.partial:
                yield history.tail_error.partial
            raise TransportFailure(history.tail_error.error, history.tail_error.message)
        elif start >= count:
            connection.reached_end = True

    def _cut(self, connection: Connection, how: str) -> None:
        connection.cut = how
        self.serving.transcript.faults.append(f"connection #{connection.number}: cut {how}")

    def _stall(self, call: Call, connection: Connection, view: FaultedHistory, name: str, cut: Cut) -> None:
        """The stream sends nothing more: the client's read timeout fires, on the session's clock."""
        timeout = call.read_timeout
        if timeout is None:
            self.serving.stalls.append(
                f"the stream of {view.interaction_id} stalled after {name} ({cut.label}) and the "
                "client set no read timeout: against a real server it would wait forever; give the "
                "client a read timeout (httpx.Timeout(read=...)) and reconnect when it fires"
            )
            self._cut(connection, f"stalled after {name} ({cut.label}); the client had no read timeout")
            return
        self.serving.reach(self.serving.now() + timeout)
        self._cut(connection, f"stalled after {name} ({cut.label}); read timeout after {timeout:g}s")
