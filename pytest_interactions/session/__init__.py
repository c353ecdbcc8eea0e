"""Sessions: one test's record mode, cassette, interception and transcript."""

from pytest_interactions.faults import FaultNotAppliedError
from pytest_interactions.session._modes import ALIASES, DESCRIPTIONS, SUPPORTED, parse_mode
from pytest_interactions.session._session import Session, SessionConfig
from pytest_interactions.session._use import (
    ProtocolCheckError,
    raise_for_session,
    session_findings,
    session_report,
    use_cassette,
)

__all__ = [
    "ALIASES",
    "DESCRIPTIONS",
    "SUPPORTED",
    "FaultNotAppliedError",
    "ProtocolCheckError",
    "Session",
    "SessionConfig",
    "parse_mode",
    "raise_for_session",
    "session_findings",
    "session_report",
    "use_cassette",
]
