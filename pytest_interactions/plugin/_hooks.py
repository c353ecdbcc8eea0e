"""Hooks: failing a test whose requests went unanswered, and the report header."""

from __future__ import annotations

from collections.abc import Generator

import pytest

from pytest_interactions.plugin import _options
from pytest_interactions.replay import UnmatchedRequestError


def pytest_report_header(config: pytest.Config) -> str:
    target = _options.base_url(config) or "the embedded emulator"
    return (
        f"interactions: record mode {_options.record_mode(config)}, "
        f"cassettes in {_options.cassette_dir(config)}/, recording against {target}"
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """Fail the test when a request went unanswered, even if the client swallowed the error."""
    from pytest_interactions.plugin._fixtures import SESSION_KEY

    result = yield
    handle = item.stash.get(SESSION_KEY, None)
    if handle is not None and handle.session.errors:
        raise UnmatchedRequestError("\n\n".join(handle.session.errors))
    return result
