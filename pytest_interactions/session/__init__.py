"""Sessions: one test's record mode, cassette, interception and transcript.

The names are loaded on first use, so that the plugin's start does not import vcrpy and the rest.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_PUBLIC = {
    "ALIASES": "pytest_interactions.session._modes",
    "ALIAS_NAMES": "pytest_interactions.session._mode_names",
    "DESCRIPTIONS": "pytest_interactions.session._mode_names",
    "SUPPORTED": "pytest_interactions.session._modes",
    "parse_mode": "pytest_interactions.session._modes",
    "FaultNotAppliedError": "pytest_interactions.faults",
    "Session": "pytest_interactions.session._session",
    "SessionConfig": "pytest_interactions.session._config",
    "Answering": "pytest_interactions.session._config",
    "load_for_replay": "pytest_interactions.session._loaded",
    "CutPoint": "pytest_interactions.session._cut_points",
    "cut_points": "pytest_interactions.session._cut_points",
    "ProtocolCheckError": "pytest_interactions.session._use",
    "raise_for_session": "pytest_interactions.session._use",
    "session_findings": "pytest_interactions.session._use",
    "session_report": "pytest_interactions.session._use",
    "use_cassette": "pytest_interactions.session._use",
    "EMULATOR_BASE_URL": "pytest_interactions.session._scenario_time",
    "ScenarioTime": "pytest_interactions.session._scenario_time",
    "record_on_emulator": "pytest_interactions.session._scenario_time",
}

__all__ = [
    "ALIASES",
    "ALIAS_NAMES",
    "DESCRIPTIONS",
    "EMULATOR_BASE_URL",
    "SUPPORTED",
    "Answering",
    "CutPoint",
    "FaultNotAppliedError",
    "ProtocolCheckError",
    "ScenarioTime",
    "Session",
    "SessionConfig",
    "cut_points",
    "load_for_replay",
    "parse_mode",
    "raise_for_session",
    "record_on_emulator",
    "session_findings",
    "session_report",
    "use_cassette",
]

if TYPE_CHECKING:
    from pytest_interactions.faults import FaultNotAppliedError
    from pytest_interactions.session._config import Answering, SessionConfig
    from pytest_interactions.session._cut_points import CutPoint, cut_points
    from pytest_interactions.session._loaded import load_for_replay
    from pytest_interactions.session._mode_names import ALIAS_NAMES, DESCRIPTIONS
    from pytest_interactions.session._modes import ALIASES, SUPPORTED, parse_mode
    from pytest_interactions.session._scenario_time import EMULATOR_BASE_URL, ScenarioTime, record_on_emulator
    from pytest_interactions.session._session import Session
    from pytest_interactions.session._use import (
        ProtocolCheckError,
        raise_for_session,
        session_findings,
        session_report,
        use_cassette,
    )


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'pytest_interactions.session' has no attribute {name!r}")
