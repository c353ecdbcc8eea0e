"""Sessions: one test's record mode, cassette, interception and transcript."""

from pytest_interactions.session._modes import DESCRIPTIONS, SUPPORTED, parse_mode
from pytest_interactions.session._session import Session, SessionConfig
from pytest_interactions.session._use import use_cassette

__all__ = ["DESCRIPTIONS", "SUPPORTED", "Session", "SessionConfig", "parse_mode", "use_cassette"]
