"""The HTTP libraries whose transports can be intercepted: httpx and httpx2."""

from __future__ import annotations

import functools
import importlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from pytest_interactions.transport._answers import Answer, Complete, Refused, Streamed, TransportFailure

LIBRARIES: tuple[str, ...] = ("httpx", "httpx2")


@dataclass(frozen=True)
class Flavor:
    """One HTTP library: where its transports, responses, streams and exceptions live."""

    name: str
    module: ModuleType

    @property
    def sync_transport(self) -> Any:
        return self.module.HTTPTransport

    @property
    def async_transport(self) -> Any:
        return self.module.AsyncHTTPTransport

    def exception(self, name: str, message: str) -> Exception:
        """The library's own exception class ``name`` (its ``TransportError`` if unknown)."""
        cls = getattr(self.module, name, None)
        base = self.module.TransportError
        if not (isinstance(cls, type) and issubclass(cls, Exception)):
            cls = base
        error: Exception = cls(message)
        return error

    def translate(self, failure: TransportFailure) -> Exception:
        """The library's own exception for ``failure``."""
        return self.exception(failure.name, failure.message)

    def respond(self, answer: Answer, request: Any, *, asynchronous: bool) -> Any:
        """The library's response for ``answer`` (read by a sync or an async client); raises the
        library's exception for a refusal, and for a stream's failure when it is read."""
        if isinstance(answer, Complete):
            return self.complete_response(answer.status, answer.headers, answer.data, request)
        if isinstance(answer, Refused):
            raise self.exception(answer.name, answer.message)
        cls = _async_answer_stream(self.module) if asynchronous else _sync_answer_stream(self.module)
        return self.response(answer.status, answer.headers, cls(answer, self.translate), request)

    def response(self, status: int, headers: list[tuple[str, str]], stream: Any, request: Any) -> Any:
        """A response whose body is read from ``stream`` as the client reads."""
        return self._response(status, headers, request, stream=stream)

    def complete_response(
        self, status: int, headers: list[tuple[str, str]], data: bytes, request: Any
    ) -> Any:
        """A response whose whole body is ``data``, already read (as httpx's ``MockTransport``
        answers; sync and async clients read it alike). ``headers`` say its length."""
        response = self._response(status, headers, request, stream=self.module.ByteStream(data))
        response.read()  # as content= would, without working out headers the answer already has
        return response

    def _response(self, status: int, headers: list[tuple[str, str]], request: Any, **body: Any) -> Any:
        extensions = {"http_version": b"HTTP/1.1"}
        return self.module.Response(status, headers=headers, request=request, extensions=extensions, **body)

    def owns(self, obj: object) -> bool:
        return type(obj).__module__.split(".")[0] == self.name


def available() -> list[Flavor]:
    """The libraries importable here."""
    flavors = []
    for name in LIBRARIES:
        try:
            flavors.append(Flavor(name, importlib.import_module(name)))
        except ImportError:
            continue
    return flavors


@functools.cache
def _sync_answer_stream(module: ModuleType) -> type:
    class AnswerStream(module.SyncByteStream):  # type: ignore[name-defined,misc]
        """A streamed answer's chunks as the library's sync body; failures as its exceptions."""

        def __init__(self, answer: Streamed, translate: Any) -> None:
            self._answer = answer
            self._translate = translate

        def __iter__(self) -> Iterator[bytes]:
            try:
                yield from self._answer.chunks
            except TransportFailure as failure:
                raise self._translate(failure) from None

        def close(self) -> None:
            self._answer.close()

    return AnswerStream


@functools.cache
def _async_answer_stream(module: ModuleType) -> type:
    class AsyncAnswerStream(module.AsyncByteStream):  # type: ignore[name-defined,misc]
        """A streamed answer's chunks as the library's async body; failures as its exceptions."""

        def __init__(self, answer: Streamed, translate: Any) -> None:
            self._answer = answer
            self._translate = translate

        async def __aiter__(self) -> AsyncIterator[bytes]:
            try:
                for chunk in self._answer.chunks:
                    yield chunk
            except TransportFailure as failure:
                raise self._translate(failure) from None

        async def aclose(self) -> None:
            self._answer.close()

    return AsyncAnswerStream
