"""The error body shape of the API (Google's ``{"error": {code, message, status}}``)."""

from __future__ import annotations

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


def error_body(code: int, message: str, status: str | None = None) -> dict[str, Any]:
    """Build the JSON body of an HTTP error answer."""
    return {
        "error": {
            "code": code,
            "message": message,
            "status": status or STATUS_NAMES.get(code, "UNKNOWN"),
        }
    }
