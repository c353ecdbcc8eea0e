"""pytest glue: options, ini keys, markers and fixtures (registered through ``pytest11``)."""

from pytest_interactions.plugin._fixtures import interactions_server
from pytest_interactions.plugin._options import pytest_addoption, pytest_configure

__all__ = ["interactions_server", "pytest_addoption", "pytest_configure"]
