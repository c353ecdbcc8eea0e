"""The error answers of the API (Google's ``{"error": {code, message, status}}``), defined once.

The emulator and the replay server both build their error bodies here, so that a client that
branches on an error meets the same HTTP status, ``status`` string and layout in both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

#: Canonical Google status strings for the HTTP codes the API answers with.
STATUS_NAMES: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    408: "DEADLINE_EXCEEDED",
    409: "ABORTED",
    411: "LENGTH_REQUIRED",
    413: "REQUEST_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RESOURCE_EXHAUSTED",
    431: "INVALID_ARGUMENT",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
    505: "UNIMPLEMENTED",
}


#: What the API says when it answers these codes on its own (rate limits, overload).
DEFAULT_MESSAGES: dict[int, str] = {
    429: "Resource has been exhausted (e.g. check quota).",
    503: "The service is currently unavailable.",
}


def default_message(code: int) -> str:
    """The message of an error answer nobody asked for by name (an injected 429 or 503)."""
    return DEFAULT_MESSAGES.get(code, "Injected error.")


def retry_headers(seconds: float | None) -> list[tuple[str, str]]:
    """``Retry-After`` (whole seconds, rounded up) and ``retry-after-ms`` for a wait of ``seconds``."""
    if seconds is None:
        return []
    return [("retry-after", str(max(1, math.ceil(seconds)))), ("retry-after-ms", str(round(seconds * 1000)))]


def error_body(code: int, message: str, status: str | None = None) -> dict[str, Any]:
    """Build the JSON body of an HTTP error answer; ``status`` defaults to the code's usual one."""
    return {
        "error": {
            "code": code,
            "message": message,
            "status": status or STATUS_NAMES.get(code, "UNKNOWN"),
        }
    }


@dataclass(frozen=True)
class ErrorKind:
    """One kind of error answer: its HTTP status code and its Google ``status`` string.

    Two kinds may share a code (400 ``INVALID_ARGUMENT`` and 400 ``FAILED_PRECONDITION``):
    the ``status`` string is what tells them apart for a client.
    """

    code: int
    status: str

    def body(self, message: str) -> dict[str, Any]:
        """The JSON body of an answer of this kind."""
        return error_body(self.code, message, self.status)

    def matches(self, code: int, body: Any) -> bool:
        """Whether a (recorded) answer with this HTTP code and JSON body is of this kind."""
        if code != self.code or not isinstance(body, dict):
            return False
        error = body.get("error")
        return isinstance(error, dict) and error.get("status") == self.status


def error_kind(code: int, status: str | None = None) -> ErrorKind:
    """The kind for an HTTP code, with the code's usual ``status`` string unless one is given."""
    return ErrorKind(code, status or STATUS_NAMES.get(code, "UNKNOWN"))


#: A malformed or invalid request: bad JSON, a wrong field, an unknown ``last_event_id``,
#: a ``function_result`` whose ``call_id`` answers no call, a managed agent without ``environment``.
INVALID_ARGUMENT = ErrorKind(400, "INVALID_ARGUMENT")
#: A create chained (``previous_interaction_id``) onto an interaction that is still running.
EARLY_CHAIN = ErrorKind(400, "FAILED_PRECONDITION")
#: No API key at all.
PERMISSION_DENIED = ErrorKind(403, "PERMISSION_DENIED")
#: An unknown or deleted interaction, or an unknown path.
NOT_FOUND = ErrorKind(404, "NOT_FOUND")
#: A rate limit or quota (answered with ``Retry-After``).
RESOURCE_EXHAUSTED = ErrorKind(429, "RESOURCE_EXHAUSTED")
#: The service is overloaded or down for a moment (answered with ``Retry-After``).
UNAVAILABLE = ErrorKind(503, "UNAVAILABLE")
