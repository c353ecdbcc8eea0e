"""pytest glue: options, ini keys, markers and fixtures (registered through ``pytest11``)."""

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

#: Optional modes, each a plugin of its own.
pytest_plugins = ["pytest_interactions.plugin._contract", "pytest_interactions.plugin._html_report"]

__all__ = [
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
