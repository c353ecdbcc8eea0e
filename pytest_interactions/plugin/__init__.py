"""pytest glue: options, ini keys, markers and fixtures (registered through ``pytest11``)."""

from pytest_interactions.plugin._fixtures import _interactions_marker, interactions, interactions_server
from pytest_interactions.plugin._hooks import (
    pytest_generate_tests,
    pytest_report_header,
    pytest_runtest_call,
    pytest_runtest_makereport,
)
from pytest_interactions.plugin._options import pytest_addoption, pytest_configure

__all__ = [
    "_interactions_marker",
    "interactions",
    "interactions_server",
    "pytest_addoption",
    "pytest_configure",
    "pytest_generate_tests",
    "pytest_report_header",
    "pytest_runtest_call",
    "pytest_runtest_makereport",
]
