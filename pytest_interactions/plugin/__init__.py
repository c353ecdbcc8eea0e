"""pytest glue: options, ini keys, markers and fixtures (registered through ``pytest11``)."""

import pytest

# vcrpy's matchers explain a mismatch with plain asserts, which pytest-recording has rewritten for
# readable messages; registered before this plugin imports vcrpy, so that with both plugins
# installed the module is rewritten whichever loads first, and no warning says it could not be.
pytest.register_assert_rewrite("vcr.matchers")

from pytest_interactions.plugin._fixtures import _interactions_marker, interactions, interactions_server  # noqa: E402
from pytest_interactions.plugin._hooks import (  # noqa: E402
    pytest_generate_tests,
    pytest_report_header,
    pytest_runtest_call,
)
from pytest_interactions.plugin._options import pytest_addoption, pytest_configure  # noqa: E402

__all__ = [
    "_interactions_marker",
    "interactions",
    "interactions_server",
    "pytest_addoption",
    "pytest_configure",
    "pytest_generate_tests",
    "pytest_report_header",
    "pytest_runtest_call",
]
