"""Poll answers: what a GET of an interaction shows as of a moment of the recording.

A recorded answer where the recording polled by then (the one showing the status the run had),
else the fold of the stream events shown by then, in the API's grammar and in the layout of the
recorded answers. Each answer is serialised once, then shared by every poll that shows it.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_interactions.cassette import Body, RecordedResponse, body_to_bytes, json_value
from pytest_interactions.replay._history import History, HistoryEvent

JSON_HEADERS = [("content-type", "application/json; charset=UTF-8")]
COMPACT = "compact-ascii"
"""How replay lays out JSON it makes up: as json.dumps does, without spaces."""
DROPPED_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding", "connection"})
"""Recorded headers about the recorded wire, not about what replay sends."""


@dataclass(frozen=True)
class PollAnswer:
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
    def of(cls, status: int, headers: list[tuple[str, str]], body: Any, sent: Body) -> PollAnswer:
        """``body``: the answer's JSON document; ``sent``: the body whose bytes go out."""
        shown = body.get("status") if isinstance(body, Mapping) else None
        data = body_to_bytes(sent)
        shown_status = shown if isinstance(shown, str) else None
        served = RecordedResponse(status, list(headers), body=None if body is None else sent)
        return cls(status, headers, body, data, shown_status, wire_headers(headers, data), served)


def wire_headers(headers: list[tuple[str, str]], data: bytes) -> list[tuple[str, str]]:
    """``headers`` as sent with the body ``data``: its length, none about the recorded wire."""
    sent = [(k, v) for k, v in headers if k.lower() not in DROPPED_HEADERS]
    sent.append(("content-length", str(len(data))))
    return sent


def built(
    history: History, events: Sequence[HistoryEvent], at: float
) -> tuple[int, list[tuple[str, str]], Any, Body]:
    """Status, headers and body of the poll answer as of ``at``, and the body as it goes out:
    a recorded answer as it came in, a folded one (of ``events``) in the recorded answers' layout."""
    response = snapshot_as_of(history, at)
    if response is not None and response.body is not None:
        # Shared, never changed: an answer that must differ copies it first.
        body = json_value(response.body)
        return response.status, list(response.headers), {} if body is None else body, response.body
    if response is not None:
        return response.status, list(response.headers), {}, Body("json", {}, COMPACT)
    payloads = [p for e in events if e.at <= at and (p := e.payload) is not None]
    folded = history.api.fold(payloads)
    return 200, list(JSON_HEADERS), folded, Body("json", folded, layout(history))


def layout(history: History) -> str:
    """The JSON layout of the history's recorded poll answers (compact where they show none)."""
    body = history.snapshots[0][1].body if history.snapshots else None
    return body.style if body is not None and body.kind == "json" else COMPACT


def _snapshot_status(response: RecordedResponse) -> str | None:
    value = response.body.value if response.body is not None else None
    return str(value["status"]) if isinstance(value, Mapping) and "status" in value else None


def snapshot_as_of(history: History, at: float) -> RecordedResponse | None:
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
