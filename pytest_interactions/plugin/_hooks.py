"""Hooks: failing a test whose requests went unanswered, and the report header."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest

from pytest_interactions.plugin import _options
from pytest_interactions.plugin._each_event import PARAM, parametrize
from pytest_interactions.plugin._handle import _test_name, default_cassette_path
from pytest_interactions.plugin._marker import parse_marker
from pytest_interactions.replay import UnmatchedRequestError
from pytest_interactions.session import (
    FaultNotAppliedError,
    ProtocolCheckError,
    raise_for_session,
    session_report,
)


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

    try:
        result = yield
    except BaseException as exc:
        handle = item.stash.get(SESSION_KEY, None)
        report = session_report(handle.session) if handle is not None else None
        if report and hasattr(exc, "add_note"):
            exc.add_note(report)  # the test failed on its own; the protocol mistakes explain why
        raise
    handle = item.stash.get(SESSION_KEY, None)
    if handle is not None:
        failure: str | None = None
        try:
            raise_for_session(handle.session)
        except (UnmatchedRequestError, ProtocolCheckError, FaultNotAppliedError) as exc:
            failure = f"{type(exc).__name__}: {exc}"
        if failure is not None:  # outside the except: the report shows the message once, not chained
            pytest.fail(failure, pytrace=False)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, object, object]:
    """No failure report shows a guarded value: locals (``-l``) and messages have it redacted."""
    from pytest_interactions.plugin._fixtures import SESSION_KEY

    report = yield
    handle = item.stash.get(SESSION_KEY, None)
    longrepr = getattr(report, "longrepr", None)
    if handle is not None and longrepr is not None:
        text = str(longrepr)
        redacted = handle.session.redact(text)
        if redacted != text:
            report.longrepr = redacted  # type: ignore[attr-defined]
    return report


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``disconnect="each-event"``: one run per cut point of the recorded stream."""
    marker = metafunc.definition.get_closest_marker(_options.MARKER)
    if marker is None or marker.kwargs.get("disconnect") != "each-event":
        return
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
