"""``use_cassette``: a session outside pytest, or several at once in one test."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pytest_interactions._errors import Error
from pytest_interactions.faults import FaultNotAppliedError
from pytest_interactions.protocol import render_report
from pytest_interactions.replay import ReconnectLoopError, StallWithoutTimeoutError, UnmatchedRequestError
from pytest_interactions.session._config import SessionConfig
from pytest_interactions.session._session import Session
from pytest_interactions.transport import NetworkBlockedError


class ProtocolCheckError(Error, AssertionError):
    """The client under test broke the protocol (a wrong resume, a lost event, an illegal state)."""


@contextlib.contextmanager
def use_cassette(
    path: str | Path, record_mode: str = "none", *, fallback: bool = False, **options: Any
) -> Iterator[Session]:
    """Record or replay the HTTP requests made in this context (thread or task).

    httpx, httpx2, aiohttp and requests are intercepted; other HTTP libraries are refused.

    ``options`` are those of :class:`SessionConfig` (``faults=``, ``checks=``, ``virtual_time=``,
    ``replay=``, ``match_on=``, ``secrets=``, ``recording_clock=``). The cassette is written when
    the block ends; a request no recording answered, or a protocol mistake found by the checks,
    fails the block even if the client swallowed the error.
    """
    session = Session(SessionConfig(Path(path), record_mode, **options))
    try:
        with session.activate(fallback=fallback):
            yield session
    finally:
        session.save()
    raise_for_session(session)


def session_report(session: Session, *, raised: bool = False) -> str | None:
    """The protocol mistakes of a finished session with its timeline, or ``None`` when there are none
    (``raised``: the test failed with an error of its own)."""
    violations = session.violations(raised=raised)
    if not violations:
        return None
    report = render_report(session.transcript, violations, str(session.path), virtual=session.virtual_time)
    return session.redact(report)


def session_findings(session: Session, *, besides: str = "") -> str | None:
    """Everything the toolkit found wrong in a finished session, as one text (``None``: nothing).

    Shown next to the test's own error when the test failed too, so that the reason is never
    hidden; what ``besides`` (that error's message) already says is not repeated.
    """
    found = [*session.problems(), *session.stalls(), *session.loops(), *session.blocked()]
    parts = [problem for problem in found if problem not in besides]
    report = session_report(session, raised=True)
    if report:
        parts.append(report)
    unapplied = session.unapplied_faults()
    if unapplied:
        parts.append("planned faults that did not happen:\n  " + "\n  ".join(unapplied))
    return "\n\n".join(parts) if parts else None


def raise_for_session(session: Session) -> None:
    """Raise what went wrong in a finished session: unanswered requests, then protocol mistakes.

    Unanswered requests often follow from a mistake (a client that chained too early goes off
    the recording), so their error carries the protocol report too.
    """
    problems = session.problems()
    report = session_report(session)
    if problems:
        raise UnmatchedRequestError("\n\n".join([*problems, *([report] if report else [])]))
    stalls = session.stalls()
    if stalls:
        raise StallWithoutTimeoutError("\n".join(stalls))
    loops = session.loops()
    if loops:
        raise ReconnectLoopError("\n\n".join([*loops, *([report] if report else [])]))
    if report:
        raise ProtocolCheckError(report)
    blocked = session.blocked()
    if blocked:
        raise NetworkBlockedError("\n".join(blocked))
    unapplied = session.unapplied_faults()
    if unapplied:
        raise FaultNotAppliedError("\n".join(unapplied))
