"""Intercepting HTTP libraries while a session is active in the current context.

httpx and httpx2 transports are patched; aiohttp and requests are bridged to them (see
``_aiohttp``, ``_requests``); http.client, urllib.request and urllib3 used directly are refused
(see ``_guard``). The decision is taken per request from a context variable, so each test, thread
context and asyncio task sees its own session; the patches are removed when the last session ends.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Protocol

from pytest_interactions.transport import _aiohttp, _guard, _requests
from pytest_interactions.transport._flavors import Flavor, available


class Handler(Protocol):
    """What a session provides to answer intercepted requests."""

    def handle(self, flavor: Flavor, request: Any, send: Callable[[Any], Any]) -> Any: ...

    async def handle_async(
        self, flavor: Flavor, request: Any, send: Callable[[Any], Awaitable[Any]]
    ) -> Any: ...

    def bypassed(self, message: str) -> None:
        """Note a request that went around interception (the test must fail)."""


_current: contextvars.ContextVar[Handler | None] = contextvars.ContextVar(
    "pytest_interactions_handler", default=None
)
_lock = threading.RLock()
_active: list[Handler] = []
_fallback: list[Handler] = []
_originals: list[tuple[Any, str, Any]] = []


def current() -> Handler | None:
    """The handler for a request made here: this context's, else the process-wide fallback.

    The fallback covers threads started by the code under test, which do not inherit the
    test's context; it is used only while exactly one fallback session is active.
    """
    handler = _current.get()
    if handler is not None:
        return handler
    with _lock:
        return _fallback[0] if len(_fallback) == 1 else None


def _patch_sync(flavor: Flavor, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def handle_request(self: Any, request: Any) -> Any:
        __tracebackhide__ = True
        handler = current()
        if handler is None:
            return original(self, request)
        return handler.handle(flavor, request, lambda req: original(self, req))

    return handle_request


def _patch_async(flavor: Flavor, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    async def handle_async_request(self: Any, request: Any) -> Any:
        __tracebackhide__ = True
        handler = current()
        if handler is None:
            return await original(self, request)
        return await handler.handle_async(flavor, request, lambda req: original(self, req))

    return handle_async_request


def _install() -> None:
    # Building the patches (signatures, wrappers) costs more than a test's requests: they are
    # built once and put back while every patched attribute still holds what they replaced.
    prepared = _prepared[:]
    modules = _modules()
    if (
        prepared
        and modules == _prepared_modules[0]
        and all(owner.__dict__.get(name) is original for owner, name, original, _ in prepared)
    ):
        for owner, name, original, replacement in prepared:
            _originals.append((owner, name, original))
            setattr(owner, name, replacement)
        return
    _build()
    _prepared[:] = [(owner, name, original, owner.__dict__[name]) for owner, name, original in _originals]
    _prepared_modules[0] = _modules()


def _modules() -> tuple[int, ...]:
    """Which module objects the patched classes live in: a module imported afresh needs new patches."""
    return tuple(id(sys.modules.get(name)) for name in _PATCHED_MODULES)


def _build() -> None:
    for flavor in available():
        for cls, name, wrap in (
            (flavor.sync_transport, "handle_request", _patch_sync),
            (flavor.async_transport, "handle_async_request", _patch_async),
        ):
            original = cls.__dict__[name]
            _originals.append((cls, name, original))
            setattr(cls, name, wrap(flavor, original))
    for install in (_aiohttp.install, _requests.install, _guard.install):
        _originals.extend(install(current))


#: The patches as last built: (owner, attribute, original, replacement).
_prepared: list[tuple[Any, str, Any, Any]] = []
_prepared_modules: list[tuple[int, ...]] = [()]
_PATCHED_MODULES = (
    "httpx",
    "httpx2",
    "httpx._transports.default",
    "aiohttp",
    "aiohttp.client",
    "requests",
    "requests.adapters",
    "urllib3",
    "urllib3.connectionpool",
    "http.client",
)


def _uninstall() -> None:
    while _originals:
        cls, name, original = _originals.pop()
        setattr(cls, name, original)


def is_installed() -> bool:
    """True while any session is active (the transports are patched)."""
    with _lock:
        return bool(_originals)


@contextlib.contextmanager
def intercept(handler: Handler, *, fallback: bool = False) -> Iterator[None]:
    """Route intercepted requests of this context to ``handler`` for the duration."""
    with _lock:
        if not _active:
            _install()
        _active.append(handler)
        if fallback:
            _fallback.append(handler)
    token = _current.set(handler)
    try:
        yield
    finally:
        _unset(token, handler)
        with _lock:
            _active.remove(handler)
            if handler in _fallback:
                _fallback.remove(handler)
            if not _active:
                _uninstall()


def _unset(token: contextvars.Token[Handler | None], handler: Handler) -> None:
    """Put back the handler this context had before ``handler``. Left in another context than the
    one it was entered in (a pytest fixture set up inside an asyncio test, torn down outside it),
    the context it was set in ends with its task; this one loses ``handler`` if it holds it."""
    try:
        _current.reset(token)
    except ValueError:
        if _current.get() is handler:
            previous = token.old_value
            _current.set(None if previous is contextvars.Token.MISSING else previous)
