"""One request being answered by replay, read once: what it asks, of which API, and when."""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlsplit

from pytest_interactions import protocol
from pytest_interactions.cassette import RecordedRequest
from pytest_interactions.protocol import ApiDefinition, Operation, Route


class Call(NamedTuple):
    """A request as replay answers it (its secrets already scrubbed), at the session's ``now``.

    Immutable, and made for every request: a named tuple, read once, costs the least.
    """

    request: RecordedRequest
    now: float
    read_timeout: float | None
    """The client's read timeout in seconds (``None``: it would wait forever)."""
    method: str
    """Upper case."""
    path: str
    query: str
    target: str
    """The path and query, as the transcript shows the request."""
    api: ApiDefinition | None
    """The API whose paths the request's is (``None``: no known API's)."""
    route: Route | None
    operation: Operation | None
    interaction_id: str | None
    wants_stream: bool
    """A GET of an interaction's stream (``stream=true``)."""

    @classmethod
    def of(cls, request: RecordedRequest, now: float, read_timeout: float | None = None) -> Call:
        path, query = _path_and_query(request.url)
        method = request.method.upper()
        found = protocol.route_of(request.method, path)
        api, route = found if found is not None else (None, None)
        return cls(
            request,
            now,
            read_timeout,
            method,
            path,
            query,
            path + "?" + query if query else path,
            api,
            route,
            route.operation if route is not None else None,
            route.interaction_id if route is not None else None,
            method == "GET" and "stream=true" in query.lower(),
        )


def _path_and_query(url: str) -> tuple[str, str]:
    """The path and query of an absolute URL, as ``urlsplit`` reads them (made for every request:
    the plain cases are read without it)."""
    scheme, sep, rest = url.partition("://")
    if not sep or "#" in rest or "\\" in rest or not scheme.isalpha():
        parts = urlsplit(url)
        return parts.path, parts.query
    slash, mark = rest.find("/"), rest.find("?")
    start = slash if mark < 0 or (0 <= slash < mark) else mark
    if start < 0:
        return "", ""
    path, _, query = rest[start:].partition("?")
    return path, query
