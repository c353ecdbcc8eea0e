"""Answering creates beyond the tape: injected create faults, continuations, creates sent again.

A continuation create (a token a run handed out) and a create sent again after its stream dropped
both make the server generate recorded work again: each is answered as a new run made up from the
recording (see :mod:`._regenerations`), and noted in the transcript so that the checks read the
new run as the stream it replaces.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping

from pytest_interactions.cassette import Exchange, body_to_bytes, json_value
from pytest_interactions.faults import REFUSED_ERROR, UNANSWERED_ERROR
from pytest_interactions.faults import Answer as FaultAnswer
from pytest_interactions.protocol import Regeneration, RequestRecord
from pytest_interactions.replay._call import Call
from pytest_interactions.replay._context import Serving
from pytest_interactions.replay._errors import UnmatchedRequestError
from pytest_interactions.replay._history import History, interaction_of
from pytest_interactions.replay._made_up import MadeUpError
from pytest_interactions.replay._regenerations import Tokens, made_up_id, regenerated, renamed_body
from pytest_interactions.replay._replayer import Replayer
from pytest_interactions.replay._snapshots import wire_headers
from pytest_interactions.transport import Answer, Complete, Refused


class CreateResponder:
    """Answers one session's creates that the tape alone cannot."""

    def __init__(
        self,
        serving: Serving,
        tape: Replayer,
        histories: MutableMapping[str, History],
        made: MutableMapping[str, History],
        tokens: Callable[[], Tokens],
        serve_tape: Callable[[Call, Exchange], Answer],
        serve_stream: Callable[[Call, History], Answer],
    ) -> None:
        self.serving = serving
        self.tape = tape
        self.histories = histories
        self.made = made
        """Runs made up in this session, by id (they join :attr:`histories` for every later request)."""
        self._tokens = tokens
        self._serve_tape = serve_tape
        self._serve_stream = serve_stream

    # -- injected faults ----------------------------------------------------------------------

    def injected(self, call: Call) -> Answer | None:
        """The plan's answer to this create (``creates=``), if one is left."""
        serving = self.serving
        answer = serving.firing.take_create()
        if answer is None:
            return None
        number = sum(1 for r in serving.transcript.requests if r.operation == "create") + 1
        serving.transcript.faults.append(f"create #{number}: {answer.label}")
        if answer.refuses:
            serving.transcript.add_request(
                RequestRecord(call.now, call.method, call.target, None, None, "create", "injected")
            )
            return Refused(*(UNANSWERED_ERROR if answer.drops else REFUSED_ERROR))
        api = call.api
        assert api is not None
        error = MadeUpError.injected(answer.status or 503, answer.retry_after)
        return serving.error(call, api, error, None, "create", note="injected")

    # -- generating recorded work again -------------------------------------------------------

    def continuation(self, call: Call, token: str) -> Answer:
        """A create carrying a continuation token: the recorded hop that carried it, else the
        recorded run's work after the event that handed it out, as a new run."""
        tokens = self._tokens()
        recorded = tokens.creates.get(token, [])
        for number, exchange in enumerate(recorded):
            if self.tape.take_exchange(exchange):
                self.serving.note(exchange)
                self._note_recorded(call, token, tokens, recorded[number - 1] if number else None, exchange)
                return self._serve_tape(call, exchange)
        if recorded:
            # The hop's own create sent again (a drop before the hop's first checkpoint).
            source = self.histories.get(interaction_of(recorded[-1]) or "")
            if source is not None and source.events:
                return self._again(call, source, 0, token)
            if source is not None:
                return self._unary_again(call, recorded[-1], source, token)
        place = tokens.places.get(token)
        if place is not None:
            source = self.histories[place.interaction_id]
            if place.keep < len(source.events):
                return self._again(call, source, place.keep, token)
            raise self._beyond_recording(call, token, source)
        raise self._unknown_token(call, token, tokens)

    def _note_recorded(
        self, call: Call, token: str, tokens: Tokens, earlier: Exchange | None, exchange: Exchange
    ) -> None:
        """A recorded continuation that picks up a run cut mid-stream (from a checkpoint, or the
        hop's own create sent again): the checks count the new run as carrying that one on."""
        new_id = interaction_of(exchange)
        if earlier is not None:
            source, after = self.histories.get(interaction_of(earlier) or ""), None
        else:
            place = tokens.places.get(token)
            source = self.histories.get(place.interaction_id) if place is not None else None
            if source is None or place is None or source.events[place.keep - 1].ends_stream:
                return  # the token of a hop that ended: the next hop, not a recovery
            after = source.events[place.keep - 1].event_id or f"event {place.keep}"
        if source is None or new_id is None:
            return
        self.serving.transcript.add_regeneration(
            Regeneration(call.now, source.interaction_id, new_id, after, None, token, source.resumable, False)
        )

    def sent_again(self, call: Call) -> Answer | None:
        """A create answered before, sent again after its stream dropped: the recorded work as a
        new run (``None``: it was not, or its stream never dropped)."""
        exchange = self.tape.answered_before(call.request)
        source = self.histories.get(interaction_of(exchange) or "") if exchange is not None else None
        if source is None or not source.events:
            return None
        if not self._cut_short(source):
            return None
        assert exchange is not None
        if exchange.response is not None and exchange.response.events is None:
            return self._unary_again(call, exchange, source, None)  # a background create's answer
        return self._again(call, source, 0, None)

    def note_sent_again(self, call: Call, exchange: Exchange) -> None:
        """A create the recording answered again (the client sent it again after its stream dropped,
        live too): the new run replaces the stream the client gave up on."""
        earlier = self.tape.answered_before(call.request, besides=exchange)
        source = self.histories.get(interaction_of(earlier) or "") if earlier is not None else None
        new_id = interaction_of(exchange)
        if source is None or new_id is None or new_id == source.interaction_id or not self._cut_short(source):
            return
        self.serving.transcript.add_regeneration(
            Regeneration(call.now, source.interaction_id, new_id, None, None, None, source.resumable, False)
        )

    def _cut_short(self, source: History) -> bool:
        """Whether the client's latest stream of ``source``'s work ended before the run did."""
        transcript = self.serving.transcript
        connections = transcript.connections_of(source.interaction_id)
        for record in transcript.regenerations:
            if record.source == source.interaction_id:
                connections += transcript.connections_of(record.interaction_id)
        last = max(connections, key=lambda c: c.number) if connections else None
        return last is not None and not last.reached_end and not last.read_terminal

    def _again(self, call: Call, source: History, keep: int, token: str | None) -> Answer:
        transcript = self.serving.transcript
        attempt = sum(1 for r in transcript.regenerations if r.source == source.interaction_id)
        new_id = made_up_id(source.interaction_id, f"{keep}:{attempt}")
        history = regenerated(source, keep, new_id, call.now)
        self.made[new_id] = history
        after = (source.events[keep - 1].event_id or f"event {keep}") if keep else None
        # From a point inside the run, the new run carries on the client's stream (the checks
        # read both as one); from its start, it replaces the stream and is judged on its own.
        record = Regeneration(
            call.now,
            source.interaction_id,
            new_id,
            after,
            source.events[0].event_id,
            token,
            source.resumable,
            same_events=keep > 0,
        )
        recovers = self._cut_short(source)
        transcript.add_regeneration(record)
        injected = self.serving.firing.take_reconnect() if recovers else None
        if injected is not None:
            # A recovery by create meets the reconnect answers the plan declares, as a GET would.
            return self._refused(call, history, injected)
        transcript.add_request(RequestRecord(call.now, call.method, call.target, 200, new_id, "create"))
        return self._serve_stream(call, history)

    def _refused(self, call: Call, history: History, injected: FaultAnswer) -> Answer:
        serving = self.serving
        connection = serving.transcript.open_connection(
            history.interaction_id, call.now, None, history.api.resume_param
        )
        connection.refused = injected.label
        serving.transcript.faults.append(f"reconnect #{connection.number} (a create): {injected.label}")
        if injected.refuses:
            serving.transcript.add_request(
                RequestRecord(call.now, call.method, call.target, None, None, "create", "injected")
            )
            return Refused(*REFUSED_ERROR)
        error = MadeUpError.injected(injected.status or 503, injected.retry_after)
        return serving.error(call, history.api, error, None, "create", note="injected")

    def _unary_again(self, call: Call, exchange: Exchange, source: History, token: str | None) -> Answer:
        """A unary create sent again: its recorded answer, naming a new run."""
        response = exchange.response
        assert response is not None
        transcript = self.serving.transcript
        attempt = sum(1 for r in transcript.regenerations if r.source == source.interaction_id)
        new_id = made_up_id(source.interaction_id, f"0:{attempt}")
        if source.events:  # the new run's stream and polls are the recorded run's, renamed
            self.made[new_id] = regenerated(source, 0, new_id, call.now)
        transcript.add_regeneration(
            Regeneration(
                call.now,
                source.interaction_id,
                new_id,
                None,
                None,
                token,
                source.resumable,
                same_events=False,
            )
        )
        transcript.add_request(
            RequestRecord(call.now, call.method, call.target, response.status, new_id, "create")
        )
        data = renamed_body(body_to_bytes(response.body), source.interaction_id, new_id)
        headers = wire_headers(response.headers, data)
        value = json_value(response.body)
        if isinstance(value, dict) and isinstance(value.get("status"), str):
            transcript.saw_status(call.now, new_id, str(value["status"]), "create")
        return Complete(response.status, headers, data)

    def _beyond_recording(self, call: Call, token: str, source: History) -> UnmatchedRequestError:
        message = (
            f"{call.method} {call.target} continues {source.interaction_id} from its last "
            f"continuation_token={token!r}, but the recording stops there: it never continued the "
            "run, so it cannot say what the next hop generates; record the session through to "
            "its last hop (--interactions-record-mode=all)"
        )
        self.serving.problems.append(message)
        return UnmatchedRequestError(message)

    def _unknown_token(self, call: Call, token: str, tokens: Tokens) -> UnmatchedRequestError:
        known = ", ".join([*tokens.places][:5]) or "none"
        message = (
            f"{call.method} {call.target} continues from continuation_token={token!r}, which no "
            f"recorded run handed out (the recording's tokens: {known}): replay answers a "
            "continuation only from a token the recording holds, and recording again would not "
            "hold this one either; continue from a token the client received in this replay"
        )
        self.serving.problems.append(message)
        return UnmatchedRequestError(message)
