"""Error answers replay makes up (injected faults, refused chains, unknown resume positions).

Each is in the shape its API gives errors. Where the cassette holds an answer of the same kind
(HTTP status and error status), its headers and body are used, so that code branching on errors
sees what it saw while recording; otherwise the API definition's one form of the error body.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass

from pytest_interactions import protocol
from pytest_interactions.cassette import Body, Exchange, RecordedResponse
from pytest_interactions.protocol import ApiDefinition
from pytest_interactions.replay._snapshots import JSON_HEADERS, wire_headers
from pytest_interactions.transport import Complete

_RETRY_HEADERS = frozenset({"retry-after", "retry-after-ms", "content-length"})


@dataclass(frozen=True)
class MadeUpError:
    """An error answer to make: HTTP status, message, error status (default: the HTTP status's
    name), and the Retry-After to send with it."""

    status: int
    message: str
    reason: str | None = None
    retry_after: float | None = None

    @classmethod
    def injected(cls, status: int | None, retry_after: float | None) -> MadeUpError:
        """An injected answer's error, with the message the API gives for its status."""
        code = status or 503
        return cls(code, protocol.default_message(code), retry_after=retry_after)

    @property
    def error_status(self) -> str:
        return self.reason or protocol.STATUS_NAMES.get(self.status, "UNKNOWN")


class ErrorAnswers:
    """Makes error answers, reusing the cassette's own where it holds one of the same kind."""

    def __init__(self, exchanges: list[Exchange]) -> None:
        self._recorded = _recorded_errors(exchanges)

    def answer(self, api: ApiDefinition, error: MadeUpError) -> tuple[Complete, RecordedResponse]:
        """The answer as sent, and as the session's exchanges show it."""
        reason = error.error_status
        recorded = self._recorded.get((error.status, reason))
        if recorded is not None and recorded.body is not None:
            body = copy.deepcopy(recorded.body.value)
            headers = [(k, v) for k, v in recorded.headers if k.lower() not in _RETRY_HEADERS]
        else:
            body = api.error_body(error.status, error.message, reason)
            headers = list(JSON_HEADERS)
        headers += protocol.retry_headers(error.retry_after)
        data = json.dumps(body).encode("utf-8")
        shown = RecordedResponse(error.status, list(headers), body=Body("json", body))
        return Complete(error.status, wire_headers(headers, data), data), shown


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
