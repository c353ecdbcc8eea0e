"""Sessions: one test's record mode, cassette, interception and transcript."""

from pytest_interactions.faults import FaultNotAppliedError
from pytest_interactions.session._modes import DESCRIPTIONS, SUPPORTED, parse_mode
from pytest_interactions.session._scenario_time import EMULATOR_BASE_URL, ScenarioTime, record_on_emulator
from pytest_interactions.session._session import Session, SessionConfig
from pytest_interactions.session._use import (
    ProtocolCheckError,
    raise_for_session,
    session_findings,
    session_report,
    use_cassette,
)

__all__ = [
    "DESCRIPTIONS",
    "EMULATOR_BASE_URL",
    "SUPPORTED",
    "FaultNotAppliedError",
    "ProtocolCheckError",
    "ScenarioTime",
    "Session",
    "SessionConfig",
    "parse_mode",
    "raise_for_session",
    "record_on_emulator",
    "session_findings",
    "session_report",
    "use_cassette",
]
