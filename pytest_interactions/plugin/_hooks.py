"""Hooks: failing a test whose requests went unanswered, and the report header."""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import pytest

from pytest_interactions.plugin import _options
from pytest_interactions.plugin._failures import message_report, raise_as_itself
from pytest_interactions.plugin._keys import BLOCK_KEY, FAILED_KEY, SESSION_KEY, SHARED_KEY, UNPLAYED_KEY
from pytest_interactions.plugin._marker import parse_marker
from pytest_interactions.plugin._naming import CUT_PARAM, cassette_path, marker_kwargs
from pytest_interactions.plugin._shared import SharedCassettes, run_id
from pytest_interactions.plugin._versions import versions_line

# Sessions, replay and cassettes are imported when a test needs them: the plugin's start stays cheap.
if TYPE_CHECKING:
    from pytest_interactions.plugin._handle import Interactions
    from pytest_interactions.session import Session


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers; plan who records each shared cassette (every xdist worker agrees)."""
    _options.register_markers(config)
    run, owner = run_id(config)
    shared = SharedCassettes(run, owner=owner)
    shared.wait_timeout = float(config.getini("interactions_wait_timeout"))
    config.stash[SHARED_KEY] = shared


def pytest_unconfigure(config: pytest.Config) -> None:
    shared = config.stash.get(SHARED_KEY, None)
    if shared is not None:
        shared.close()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Once -k, --lf and any reordering are done (and before pytest-xdist reports the collection):
    each shared cassette's recorder is chosen and runs before its users."""
    shared = session.config.stash.get(SHARED_KEY, None)
    if shared is not None:
        session.items[:] = shared.plan(session.config, session.items)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    """Remember whether the test failed (for the rule on saving cassettes of failed tests), and
    keep guarded values out of the failure report: locals (``-l``) and messages are redacted."""
    report = yield
    if report.failed and call.when in ("setup", "call"):
        item.stash[FAILED_KEY] = True
    shown = message_report(item, call)
    if shown is not None:
        report.longrepr = shown
    handle = item.stash.get(SESSION_KEY, None)
    longrepr = getattr(report, "longrepr", None)
    if handle is not None and longrepr is not None:
        text = str(longrepr)
        redacted = handle.session.redact(text)
        if redacted != text:
            report.longrepr = redacted
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    """A recorder that never opened its session (skipped, or failed before) still frees the others."""
    try:
        return (yield)
    finally:
        shared = item.config.stash.get(SHARED_KEY, None)
        if shared is not None:
            for group in shared.recorded_by(item.nodeid):
                if len(group.users) > 1:
                    shared.finished(
                        group.path, f"{item.nodeid} did not record it (it did not run its session)"
                    )


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Where recordings go, and the versions of the libraries they depend on."""
    target = _options.base_url(config) or "the embedded emulator"
    return [
        f"interactions: record mode {_options.record_mode(config)}, "
        f"cassettes in {_options.cassette_dir(config)}/, recording against {target}",
        f"interactions: {versions_line()}",
    ]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """Fail the test when a request went unanswered, even if the client swallowed the error, or the
    checks found mistakes: raising the documented class (``xfail(raises=ProtocolCheckError)``)."""
    try:
        result = yield
    except BaseException as exc:
        handle = item.stash.get(SESSION_KEY, None)
        if handle is None:
            raise
        from pytest_interactions.session import session_findings

        findings = session_findings(handle.session, besides=str(exc))
        if findings:
            # The test failed on its own; what the toolkit found often explains why, so it is
            # shown right under the test's own error.
            if hasattr(exc, "add_note"):
                exc.add_note(f"\npytest-interactions also found:\n{findings}")
            else:
                item.add_report_section("call", "pytest-interactions", findings)
        raise
    block = item.stash.get(BLOCK_KEY, None)
    if block is not None and block.attempts:
        from pytest_interactions.transport import NetworkBlockedError

        raise_as_itself(item, NetworkBlockedError("\n".join(dict.fromkeys(block.attempts))))
    handle = item.stash.get(SESSION_KEY, None)
    if handle is not None:
        error = _session_error(handle)
        if error is not None:
            raise_as_itself(item, error)
        failure = _unplayed(item, handle.session)
        if failure is not None:
            pytest.fail(failure, pytrace=False)
    return result


def _session_error(handle: Interactions) -> Exception | None:
    """What went wrong in the finished session, as the documented exception to raise; mistakes the
    test already raised and caught (``interactions.raise_for_violations()``) are not raised again."""
    from pytest_interactions.faults import FaultNotAppliedError
    from pytest_interactions.replay import ReconnectLoopError, StallWithoutTimeoutError, UnmatchedRequestError
    from pytest_interactions.session import ProtocolCheckError, raise_for_session
    from pytest_interactions.transport import NetworkBlockedError

    session = handle.session
    try:
        raise_for_session(session)
    except ProtocolCheckError as exc:
        if not handle.all_violations_raised():
            return exc
    except (
        UnmatchedRequestError,
        StallWithoutTimeoutError,
        ReconnectLoopError,
        FaultNotAppliedError,
        NetworkBlockedError,
    ) as exc:
        return exc
    else:
        return None
    # What raise_for_session checks after the mistakes, which stopped it.
    blocked = session.blocked()
    if blocked:
        return NetworkBlockedError("\n".join(blocked))
    unapplied = session.unapplied_faults()
    return FaultNotAppliedError("\n".join(unapplied)) if unapplied else None


def _unplayed(item: pytest.Item, session: Session) -> str | None:
    """Report recorded exchanges the replay never used, or fail the test on them, as configured."""
    rule = _options.unplayed(item.config)
    unused = session.unplayed() if rule != "ignore" else []
    if not unused:
        return None
    shown = [f"  line {e.line}: {e.request.method} {e.request.url}" for e in unused[:10]]
    more = [f"  ... and {len(unused) - 10} more"] if len(unused) > 10 else []
    text = "\n".join(
        [f"{len(unused)} recorded exchange(s) of {session.path} were never replayed:", *shown, *more]
    )
    if rule == "fail":
        return f"UnplayedExchangesError: {text}"
    item.config.stash.setdefault(UNPLAYED_KEY, []).append(f"{item.nodeid}: {text}")
    return None


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """The exchanges replayed tests never used (with ``--interactions-unplayed=report``)."""
    reports = config.stash.get(UNPLAYED_KEY, [])
    if reports:
        terminalreporter.section("pytest-interactions: unplayed exchanges")
        for report in reports:
            terminalreporter.line(report)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``disconnect="each-event"``: one run per cut point of the recorded stream."""
    kwargs = marker_kwargs(metafunc.definition)
    if kwargs.get("disconnect") != "each-event":
        return

    from pytest_interactions.plugin._each_event import parametrize
    from pytest_interactions.session import parse_mode

    try:
        parse_marker(kwargs)
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    path = cassette_path(metafunc.config, metafunc.definition, kwargs)
    if CUT_PARAM not in metafunc.fixturenames:
        metafunc.fixturenames.append(CUT_PARAM)
    mode = parse_mode(kwargs.get("record_mode") or _options.record_mode(metafunc.config)).value
    config = metafunc.config
    rerecords = mode == "all" or config.getoption("--interactions-no-faults")
    parametrize(
        metafunc, path, recording=bool(rerecords or config.getoption("--interactions-disable-recording"))
    )
