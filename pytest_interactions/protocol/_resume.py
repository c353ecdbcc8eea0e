"""Resume dialects: where a stream's event ids live and how a client asks to resume."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl


@dataclass(frozen=True)
class ResumeDialect:
    """One way of naming stream positions and resuming after them."""

    name: str
    json_field: str | None
    """The JSON field of an event's data holding its id (``None``: the SSE ``id:`` field)."""
    query_param: str | None
    """The query parameter a resuming request carries (``None``: a header)."""
    header: str | None
    """The header a resuming request carries (``None``: a query parameter)."""
    numbers_every_event: bool = False
    """Every event of a stream carries its id (OpenAI's ``sequence_number``): one without it is
    the server's omission, and the event is counted by its position instead."""

    def event_id(self, data: str | None, sse_id: str | None) -> str | None:
        """The id of an event, read where this dialect keeps it."""
        if self.json_field is None:
            return sse_id
        if not data:
            return None
        try:
            payload = json.loads(data)
        except ValueError:
            return None
        if not isinstance(payload, Mapping):
            return None
        value = payload.get(self.json_field)
        return None if value is None else str(value)

    def resume_from(self, query: str, headers: Mapping[str, str]) -> str | None:
        """The position a request asks to resume after, or ``None`` for a fresh stream."""
        if self.query_param is not None:
            for key, value in parse_qsl(query, keep_blank_values=True):
                if key == self.query_param:
                    return value
        if self.header is not None:
            lowered = {k.lower(): v for k, v in headers.items()}
            return lowered.get(self.header.lower())
        return None


GEMINI = ResumeDialect("gemini", json_field="event_id", query_param="last_event_id", header=None)
WHATWG = ResumeDialect("whatwg", json_field=None, query_param=None, header="Last-Event-ID")
OPENAI = ResumeDialect(
    "openai",
    json_field="sequence_number",
    query_param="starting_after",
    header=None,
    numbers_every_event=True,
)

DIALECTS: dict[str, ResumeDialect] = {d.name: d for d in (GEMINI, WHATWG, OPENAI)}
