"""A cassette told as a transcript, so that the failure report's renderers can show it.

Each stream is read in its API's grammar: event types, ids (Gemini's event_id, OpenAI's
sequence_number), statuses and the resume parameter are the API definition's.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pytest_interactions.cassette import Cassette, Disconnect
from pytest_interactions.contract._session import OTHER, STREAM, json_answer, read_session
from pytest_interactions.protocol import Delivery, RequestRecord, Transcript


def cassette_transcript(cassette: Cassette) -> Transcript:
    """What the recorded session did, on recorded time: requests, streams, statuses."""
    transcript = Transcript()
    for step in read_session(cassette):
        exchange, response = step.exchange, step.exchange.response
        parts = urlsplit(exchange.request.url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        note = ""
        if exchange.error is not None:
            note = f"failed: {exchange.error.error}: {exchange.error.message}"
        transcript.add_request(
            RequestRecord(
                exchange.at,
                exchange.request.method,
                target,
                response.status if response is not None else None,
                step.interaction_id,
                None if step.operation == OTHER else step.operation,
                note,
            )
        )
        if response is None:
            continue
        api = step.api
        if step.interaction_id is not None and api is not None:
            transcript.apis.setdefault(step.interaction_id, api.name)
        if step.operation == STREAM and step.interaction_id is not None and api is not None:
            connection = transcript.open_connection(
                step.interaction_id, exchange.at, step.resume_from, api.resume_param
            )
            for item in response.events or []:
                at = exchange.at + item.at
                if isinstance(item, Disconnect):
                    connection.cut = f"{item.error}: {item.message}" if item.message else item.error
                    if item.partial:
                        connection.deliveries.append(
                            Delivery(
                                None,
                                "(part of an event)",
                                at,
                                complete=False,
                                data=item.partial.decode(errors="replace"),
                            )
                        )
                    continue
                if api.done_data is not None and item.data == api.done_data:
                    connection.reached_end = True
                    continue
                payload = step.payload(item)
                kind = (api.event_type(payload) if payload else None) or item.event or "message"
                connection.deliveries.append(Delivery(step.event_id(item), kind, at, data=item.data))
                if payload and api.ends_stream(payload):
                    connection.read_terminal = True
                status = api.status_carried(payload) if payload else None
                if status is not None:
                    transcript.saw_status(at, step.interaction_id, status, f"stream #{connection.number}")
            if step.finished:
                connection.reached_end = True
            continue
        answer = json_answer(exchange)
        status = answer.get("status") if isinstance(answer, dict) else None
        if step.interaction_id is not None and response.status < 400 and isinstance(status, str):
            source = "poll" if step.operation == "get" else step.operation
            transcript.saw_status(exchange.at + response.after, step.interaction_id, status, source)
    return transcript
