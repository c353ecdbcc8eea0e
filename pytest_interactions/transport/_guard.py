"""Requests through HTTP libraries that are not intercepted fail loudly while a session is active.

urllib3 (used directly), ``urllib.request`` and ``http.client`` would otherwise reach the network
while recording and be refused or swallowed in replay, so that the test could never run offline.
Each such request raises :class:`UninterceptedRequestError`, naming the library and the call site,
and the session notes it, so that the test fails even if the client swallows the error.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import sys
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

from pytest_interactions._errors import Error

_Patch = tuple[Any, str, Any]

#: Module prefixes of the HTTP machinery between the caller and the socket, outermost name first.
LIBRARIES: tuple[tuple[str, str], ...] = (
    ("requests", "requests"),
    ("urllib3", "urllib3"),
    ("urllib.request", "urllib.request"),
    ("http.client", "http.client"),
)
_MACHINERY = ("pytest_interactions.transport", "functools", "contextlib")

_passing: contextvars.ContextVar[bool] = contextvars.ContextVar("pytest_interactions_passing", default=False)


class UninterceptedRequestError(Error, RuntimeError):
    """An HTTP request, made while a session is active, through a library it does not intercept."""


@contextlib.contextmanager
def passing() -> Iterator[None]:
    """Let an intercepted library's own request through (recording sends it on for real)."""
    token = _passing.set(True)
    try:
        yield
    finally:
        _passing.reset(token)


def _module(frame: FrameType) -> str:
    return str(frame.f_globals.get("__name__", ""))


def _library_of(module: str) -> str | None:
    for prefix, name in LIBRARIES:
        if module == prefix or module.startswith(prefix + "."):
            return name
    return None


def describe(frame: FrameType | None) -> tuple[str, str]:
    """The outermost HTTP library below the caller, and the caller's ``file:line (function)``."""
    library = "http.client"
    while frame is not None:
        module = _module(frame)
        found = _library_of(module)
        if found is not None:
            library = found
        elif not module.startswith(_MACHINERY):
            code = frame.f_code
            return library, f"{code.co_filename}:{frame.f_lineno} ({code.co_name})"
        frame = frame.f_back
    return library, "(unknown call site)"


def refuse(handler: Any, method: str, url: str) -> UninterceptedRequestError:
    """The error for a request that bypasses interception, noted by ``handler``'s session."""
    library, site = describe(sys._getframe(2))
    message = (
        f"pytest-interactions does not intercept {library}: {method} {url} from {site} would "
        f"{'reach the network' if getattr(handler, 'recording', False) else 'bypass the cassette'}. "
        "Use httpx, httpx2, aiohttp or requests for this call (or make it outside the session)."
    )
    note = getattr(handler, "bypassed", None)
    if note is not None:
        note(message)
    return UninterceptedRequestError(message)


def install(current: Callable[[], Any]) -> list[_Patch]:
    """Guard ``http.client`` connections and urllib3 pools (covering urllib.request too)."""
    import http.client

    patches: list[_Patch] = []
    original_put = http.client.HTTPConnection.__dict__["putrequest"]

    @functools.wraps(original_put)
    def putrequest(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        handler = current()
        if handler is not None and not _passing.get():
            target = url if "://" in url else f"http://{self.host}:{self.port}{url}"
            raise refuse(handler, method, target)
        return original_put(self, method, url, *args, **kwargs)

    http.client.HTTPConnection.putrequest = putrequest  # type: ignore[method-assign]
    patches.append((http.client.HTTPConnection, "putrequest", original_put))
    try:
        from urllib3.connectionpool import HTTPConnectionPool
    except ImportError:
        return patches
    original_open = HTTPConnectionPool.__dict__["urlopen"]

    @functools.wraps(original_open)
    def urlopen(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        handler = current()
        if handler is not None and not _passing.get():
            target = url if "://" in url else f"{self.scheme}://{self.host}:{self.port}{url}"
            raise refuse(handler, method, target)
        return original_open(self, method, url, *args, **kwargs)

    HTTPConnectionPool.urlopen = urlopen  # type: ignore[method-assign]
    patches.append((HTTPConnectionPool, "urlopen", original_open))
    return patches
