"""pytest-interactions: record, replay and fault-inject Interactions API sessions in pytest.

The public names are loaded on first use, so that importing the package stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_PUBLIC = {
    "Interactions": "pytest_interactions.plugin._handle",
    "use_cassette": "pytest_interactions.session",
    "Emulator": "pytest_interactions.emulator",
    "FaultPlan": "pytest_interactions.faults",
}

__all__ = ["Emulator", "FaultPlan", "Interactions", "__version__", "use_cassette"]

if TYPE_CHECKING:
    from pytest_interactions.emulator import Emulator
    from pytest_interactions.faults import FaultPlan
    from pytest_interactions.plugin._handle import Interactions
    from pytest_interactions.session import use_cassette


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'pytest_interactions' has no attribute {name!r}")
