"""Libraries answered through httpx objects: aiohttp and requests.

Their requests are turned into ``httpx.Request`` objects, so that recording, replay, faults and
checks work on them unchanged; the answer (an ``httpx.Response`` whose stream is read as the
client reads) is turned back into the library's own response. Failures travel as
:class:`TransportFailure` and become the exception the library raises for the real thing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx

from pytest_interactions.transport._answers import TransportFailure
from pytest_interactions.transport._flavors import Flavor

#: Headers that describe the bytes on the wire, not the (decoded) body handed on.
WIRE_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})

#: Failure names (of any library) that mean the peer dropped the body before its end.
DROPS = frozenset(
    {
        "RemoteProtocolError",
        "ReadError",
        "ClientPayloadError",
        "ServerDisconnectedError",
        "ProtocolError",
        "ChunkedEncodingError",
        "IncompleteRead",
    }
)
#: Failure names that mean the connection could not be made.
REFUSALS = frozenset({"ConnectError", "ClientConnectorError", "ConnectionError", "NewConnectionError"})
#: Failure names that mean the server did not answer in time.
TIMEOUTS = frozenset(
    {"ReadTimeout", "TimeoutException", "ServerTimeoutError", "SocketTimeoutError", "ReadTimeoutError"}
)


@dataclass(frozen=True)
class BridgedFlavor(Flavor):
    """A library answered through httpx objects: responses and streams are httpx's."""

    def exception(self, name: str, message: str) -> Exception:
        return TransportFailure(name, message)

    def translate(self, failure: TransportFailure) -> Exception:
        return failure  # the bridge turns it into the library's own exception


def flavor(name: str) -> BridgedFlavor:
    """The flavor under which the requests of library ``name`` are recorded and replayed."""
    return BridgedFlavor(name, httpx)


def httpx_request(method: str, url: str, headers: Iterable[tuple[str, str]], content: bytes) -> httpx.Request:
    """The httpx form of a bridged request (what the cassette records and replay matches)."""
    return httpx.Request(method, url, headers=list(headers), content=content)


def body_headers(headers: Iterable[tuple[str, str]], *, decoded: bool) -> list[tuple[str, str]]:
    """Response headers for a body handed on ``decoded`` (the wire's encoding headers dropped)."""
    if not decoded:
        return [(k, v) for k, v in headers if k.lower() != "transfer-encoding"]
    return [(k, v) for k, v in headers if k.lower() not in WIRE_HEADERS]


def answer_parts(answer: Any) -> tuple[int, str, list[tuple[str, str]]]:
    """Status, reason phrase and headers of an httpx answer."""
    response: httpx.Response = answer
    headers = [(str(k), str(v)) for k, v in response.headers.multi_items()]
    return response.status_code, response.reason_phrase, headers
