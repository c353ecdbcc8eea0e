"""Interception of HTTP clients per context: httpx and httpx2 transports, aiohttp and requests bridged
to them, other libraries refused while a session is active."""

from pytest_interactions.transport._answers import (
    Answer,
    Complete,
    Refused,
    Streamed,
    TransportFailure,
)
from pytest_interactions.transport._flavors import Flavor, available
from pytest_interactions.transport._guard import UninterceptedRequestError
from pytest_interactions.transport._intercept import Handler, current, intercept, is_installed
from pytest_interactions.transport._messages import (
    aread_request,
    async_stream,
    read_request,
    read_timeout,
    request_record,
    sync_stream,
)
from pytest_interactions.transport._network import (
    Blocking,
    NetworkBlockedError,
    block_network,
    blocked_attempts,
)

__all__ = [
    "Answer",
    "Blocking",
    "Complete",
    "Flavor",
    "Handler",
    "NetworkBlockedError",
    "Refused",
    "Streamed",
    "TransportFailure",
    "UninterceptedRequestError",
    "aread_request",
    "async_stream",
    "available",
    "block_network",
    "blocked_attempts",
    "current",
    "intercept",
    "is_installed",
    "read_request",
    "read_timeout",
    "request_record",
    "sync_stream",
]
