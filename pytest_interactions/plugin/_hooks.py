"""Hooks: failing a test whose requests went unanswered, and the report header."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest

from pytest_interactions.plugin import _options
from pytest_interactions.plugin._fixtures import SESSION_KEY


def pytest_report_header(config: pytest.Config) -> str:
    target = _options.base_url(config) or "the embedded emulator"
    return (
        f"interactions: record mode {_options.record_mode(config)}, "
        f"cassettes in {_options.cassette_dir(config)}/, recording against {target}"
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """Fail the test when a request went unanswered, even if the client swallowed the error."""
    try:
        result = yield
    except BaseException as exc:
        handle = item.stash.get(SESSION_KEY, None)
        if handle is None:
            raise
        from pytest_interactions.session import session_findings

        findings = session_findings(handle.session)
        if findings:
            # The test failed on its own; what the toolkit found often explains why, so it is
            # shown right under the test's own error.
            if hasattr(exc, "add_note"):
                exc.add_note(f"\npytest-interactions also found:\n{findings}")
            else:
                item.add_report_section("call", "pytest-interactions", findings)
        raise
    handle = item.stash.get(SESSION_KEY, None)
    if handle is not None:
        from pytest_interactions.replay import UnmatchedRequestError
        from pytest_interactions.session import FaultNotAppliedError, ProtocolCheckError, raise_for_session

        failure: str | None = None
        try:
            raise_for_session(handle.session)
        except (UnmatchedRequestError, ProtocolCheckError, FaultNotAppliedError) as exc:
            failure = f"{type(exc).__name__}: {exc}"
        if failure is not None:  # outside the except: the report shows the message once, not chained
            pytest.fail(failure, pytrace=False)
    return result


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``disconnect="each-event"``: one run per cut point of the recorded stream."""
    marker = metafunc.definition.get_closest_marker(_options.MARKER)
    if marker is None or marker.kwargs.get("disconnect") != "each-event":
        return
    from pytest_interactions.plugin._each_event import PARAM, parametrize
    from pytest_interactions.plugin._handle import _test_name, default_cassette_path
    from pytest_interactions.plugin._marker import parse_marker

    try:
        options = parse_marker(marker.kwargs)
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    path = default_cassette_path(
        metafunc.config,
        Path(str(metafunc.definition.path)),
        _test_name(metafunc.definition),
        options.cassette,
    )
    if PARAM not in metafunc.fixturenames:
        metafunc.fixturenames.append(PARAM)
    parametrize(metafunc, path)
