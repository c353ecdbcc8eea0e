"""pytest glue: options, ini keys, markers and fixtures (registered through ``pytest11``).

``Interactions`` (the fixture's type) is loaded on first use, so that the plugin's start does not
import the session layers.
"""

import importlib
from typing import TYPE_CHECKING, Any

import pytest

# vcrpy's matchers explain a mismatch with plain asserts, which pytest-recording has rewritten for
# readable messages; registered before this plugin imports vcrpy, so that with both plugins
# installed the module is rewritten whichever loads first, and no warning says it could not be.
pytest.register_assert_rewrite("vcr.matchers")

from pytest_interactions.plugin._fixtures import (  # noqa: E402
    _interactions_marker,
    _interactions_network,
    interactions,
    interactions_config,
    interactions_server,
)
from pytest_interactions.plugin._hooks import (  # noqa: E402
    pytest_collection_finish,
    pytest_configure,
    pytest_generate_tests,
    pytest_report_header,
    pytest_runtest_call,
    pytest_runtest_makereport,
    pytest_runtest_teardown,
    pytest_terminal_summary,
    pytest_unconfigure,
)
from pytest_interactions.plugin._options import pytest_addoption  # noqa: E402
from pytest_interactions.plugin._shared import RecordingUnavailableError  # noqa: E402

#: Optional modes, each a plugin of its own.
pytest_plugins = ["pytest_interactions.plugin._contract", "pytest_interactions.plugin._html_report"]

__all__ = [
    "Interactions",
    "RecordingUnavailableError",
    "_interactions_marker",
    "_interactions_network",
    "interactions",
    "interactions_config",
    "interactions_server",
    "pytest_addoption",
    "pytest_collection_finish",
    "pytest_configure",
    "pytest_generate_tests",
    "pytest_report_header",
    "pytest_runtest_call",
    "pytest_runtest_makereport",
    "pytest_runtest_teardown",
    "pytest_terminal_summary",
    "pytest_unconfigure",
]

if TYPE_CHECKING:
    from pytest_interactions.plugin._handle import Interactions

_LAZY = {"Interactions": "pytest_interactions.plugin._handle"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'pytest_interactions.plugin' has no attribute {name!r}")
