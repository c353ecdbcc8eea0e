"""The ``pytest-interactions`` command line: ``serve``, ``demo``."""

from pytest_interactions.cli._main import main

__all__ = ["main"]
