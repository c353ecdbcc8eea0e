"""pytest-interactions: record, replay and fault-inject Interactions API sessions in pytest.

The public names are loaded on first use, so that importing the package stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Both small modules of their own, which every layer may import without the names below.
from pytest_interactions._errors import Error
from pytest_interactions._version import __version__

_PUBLIC = {
    "Interactions": "pytest_interactions.plugin",
    "use_cassette": "pytest_interactions.session",
    "Emulator": "pytest_interactions.emulator",
    "FaultPlan": "pytest_interactions.faults",
    # What a failing test may raise, so that suites can catch or name it.
    "CassetteError": "pytest_interactions.cassette",
    "CorruptCassetteError": "pytest_interactions.cassette",
    "SecretLeakError": "pytest_interactions.cassette",
    "UnmatchedRequestError": "pytest_interactions.replay",
    "StallWithoutTimeoutError": "pytest_interactions.replay",
    "ReconnectLoopError": "pytest_interactions.replay",
    "ProtocolCheckError": "pytest_interactions.session",
    "FaultNotAppliedError": "pytest_interactions.faults",
    "FaultSpecError": "pytest_interactions.faults",
    "RecordingUnavailableError": "pytest_interactions.plugin",
    "NetworkBlockedError": "pytest_interactions.transport",
}

__all__ = [
    "CassetteError",
    "CorruptCassetteError",
    "Emulator",
    "Error",
    "FaultNotAppliedError",
    "FaultPlan",
    "FaultSpecError",
    "Interactions",
    "NetworkBlockedError",
    "ProtocolCheckError",
    "ReconnectLoopError",
    "RecordingUnavailableError",
    "SecretLeakError",
    "StallWithoutTimeoutError",
    "UnmatchedRequestError",
    "__version__",
    "use_cassette",
]

if TYPE_CHECKING:
    from pytest_interactions.cassette import CassetteError, CorruptCassetteError, SecretLeakError
    from pytest_interactions.emulator import Emulator
    from pytest_interactions.faults import FaultNotAppliedError, FaultPlan, FaultSpecError
    from pytest_interactions.plugin import Interactions, RecordingUnavailableError
    from pytest_interactions.replay import ReconnectLoopError, StallWithoutTimeoutError, UnmatchedRequestError
    from pytest_interactions.session import ProtocolCheckError, use_cassette
    from pytest_interactions.transport import NetworkBlockedError


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'pytest_interactions' has no attribute {name!r}")
