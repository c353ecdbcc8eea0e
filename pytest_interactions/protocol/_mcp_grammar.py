"""The rules a recorded MCP Streamable HTTP session follows: JSON-RPC 2.0 messages on the
server's stream, under SSE ids that a reconnect can name (``Last-Event-ID``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_interactions.protocol._grammars import Finding, Grammar, Message, json_payload

#: Every rule an MCP recording is checked against, by name: what it requires.
RULES: dict[str, str] = {
    "required-fields": "each message is a JSON-RPC 2.0 object (jsonrpc: '2.0')",
    "event-ids": "an SSE id names one message of a stream",
}
#: Where each rule comes from.
SOURCES: dict[str, str] = {
    "required-fields": "the MCP specification (Streamable HTTP transport) and JSON-RPC 2.0",
    "event-ids": "the MCP specification: event ids identify a message within a stream, for resumption",
}


def _jsonrpc(value: Any, ref: Any, what: str) -> list[Finding]:
    if isinstance(value, list):
        return [f for item in value for f in _jsonrpc(item, ref, what)]
    if not isinstance(value, Mapping) or value.get("jsonrpc") != "2.0":
        return [Finding("required-fields", f"{what} is not a JSON-RPC 2.0 message", ref)]
    return []


@dataclass
class SessionStreams:
    """Checks the server's streams of one MCP session."""

    session: str
    statuses: list[tuple[Any, str]] = field(default_factory=list)
    """MCP has no run statuses: always empty."""
    ids: set[str] = field(default_factory=set)

    def check(
        self, messages: Sequence[Message], resume_from: str | None, finished: bool, resumable: bool = True
    ) -> list[Finding]:
        found: list[Finding] = []
        for message in messages:
            if message.sse_id is not None:
                if message.sse_id in self.ids:
                    found.append(
                        Finding(
                            "event-ids", f"SSE id {message.sse_id} appears twice in one stream", message.ref
                        )
                    )
                self.ids.add(message.sse_id)
            if not message.data:
                continue  # a priming event: an id with no data
            payload = json_payload(message, found)
            if payload is not None:
                found += _jsonrpc(payload, message.ref, "the message")
        return found


def _error_name(value: Any) -> str | None:
    error = value.get("error") if isinstance(value, Mapping) else None
    code = error.get("code") if isinstance(error, Mapping) else None
    return None if code is None else str(code)


#: MCP Streamable HTTP's grammar, for the contract tools.
MCP_GRAMMAR = Grammar(
    noun="session",
    rules=RULES,
    sources=SOURCES,
    streams=lambda session, answered: SessionStreams(session),
    check_answer=lambda value, ref, what, stored=True: _jsonrpc(value, ref, what),
    check_error=lambda value, ref, what, stored=True: [],
    event_token=lambda payload: str(payload.get("method") or ("result" if "result" in payload else "error")),
    error_name=_error_name,
)
