"""``use_cassette``: a session outside pytest, or several at once in one test."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pytest_interactions.replay import UnmatchedRequestError
from pytest_interactions.session._session import Session, SessionConfig


@contextlib.contextmanager
def use_cassette(
    path: str | Path, record_mode: str = "none", *, fallback: bool = False, **options: Any
) -> Iterator[Session]:
    """Record or replay the httpx / httpx2 requests made in this context (thread or task).

    The cassette is written when the block ends; a request no recording answered fails the
    block even if the client swallowed the error.
    """
    session = Session(SessionConfig(Path(path), record_mode, **options))
    try:
        with session.activate(fallback=fallback):
            yield session
    finally:
        session.save()
    if session.errors:
        raise UnmatchedRequestError("\n\n".join(session.errors))
