"""The HTTP libraries whose transports can be intercepted: httpx and httpx2."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any

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

    def response(self, status: int, headers: list[tuple[str, str]], stream: Any, request: Any) -> Any:
        """A response whose body is read from ``stream`` as the client reads."""
        return self._response(status, headers, request, stream=stream)

    def complete_response(
        self, status: int, headers: list[tuple[str, str]], data: bytes, request: Any
    ) -> Any:
        """A response whose whole body is ``data`` (sync and async clients read it alike)."""
        return self._response(status, headers, request, content=data)

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
