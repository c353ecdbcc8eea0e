"""Which line of the application sent a request: the first frame outside the HTTP libraries, the
SDKs, the event loops and this plugin, so that a finding can point at the code to fix."""

from __future__ import annotations

import os
import sys
from types import FrameType

#: Top-level packages whose frames are never the application's: HTTP stacks, SDKs and agent
#: frameworks, event loops and the standard library's plumbing, pytest, and this plugin.
LIBRARIES = frozenset(
    {
        "aiohttp", "anyio", "asyncio", "concurrent", "contextlib", "functools", "h11", "h2",
        "httpcore", "httpx", "httpx2", "httpx_sse", "requests", "urllib3", "socket", "ssl",
        "selectors", "threading", "trio", "sniffio", "google", "openai", "agents", "pydantic",
        "pydantic_ai", "pydantic_core", "pydantic_graph", "langchain", "langchain_core",
        "langchain_google_genai", "tenacity", "backoff", "opentelemetry", "logfire",
        "pytest_interactions", "_pytest", "pluggy", "pytest", "pytest_asyncio", "typing",
    }
)  # fmt: skip


def application_line(skip: int = 1) -> str | None:
    """``file:line in function`` of the innermost frame outside :data:`LIBRARIES` (``None``: all of
    the stack is theirs). Paths under the working directory are shown relative to it."""
    frame: FrameType | None = sys._getframe(skip)
    while frame is not None:
        module = frame.f_globals.get("__name__") or ""
        if module.partition(".")[0] not in LIBRARIES:
            code = frame.f_code
            return f"{_shown(code.co_filename)}:{frame.f_lineno} in {code.co_name}"
        frame = frame.f_back
    return None


def _shown(filename: str) -> str:
    try:
        relative = os.path.relpath(filename)
    except ValueError:  # another drive
        return filename
    return filename if relative.startswith("..") else relative
