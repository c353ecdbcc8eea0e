"""``--interactions-html DIR``: each failing test's session as an HTML timeline, its protocol
violations marked where they happened; the failure report names the file."""

from __future__ import annotations

import hashlib
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from pytest_interactions.plugin._keys import SESSION_KEY
from pytest_interactions.plugin._naming import MAX_NAME, file_name

OPTION = "--interactions-html"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("interactions").addoption(
        OPTION,
        metavar="DIR",
        default=None,
        help="write an HTML timeline of each failing test's session into DIR, violations marked",
    )


def page_path(directory: Path, nodeid: str) -> Path:
    """One file per test: its node id made safe for a file name the way a cassette's name is (a
    long one keeps its start and gains a hash). An id that loses more than its path separators on
    the way gains a hash too, so that two ids never share a page."""
    module, _, test = nodeid.partition("::")
    plain = f"{module.replace('/', '_')}_{test.replace('::', '_')}".strip("_")
    name = file_name(plain)[: -len(".yaml")]
    if name == plain or len(plain) > MAX_NAME:
        return directory / f"{name}.html"
    return directory / f"{name}-{hashlib.sha1(nodeid.encode('utf-8')).hexdigest()[:10]}.html"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    target = item.config.getoption(OPTION)
    handle = item.stash.get(SESSION_KEY, None)
    if not target or handle is None or call.when != "call":
        return
    report: pytest.TestReport = outcome.get_result()
    if not report.failed:
        return
    from pytest_interactions.contract import cassette_transcript
    from pytest_interactions.protocol import render_html

    transcript = handle.transcript
    if not transcript.requests:  # recording: the session's story is what the cassette will hold
        transcript = cassette_transcript(handle.session.cassette_as_written())
    directory = Path(target)
    if not directory.is_absolute():
        directory = Path(item.config.rootpath) / directory
    path = page_path(directory, item.nodeid)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        page = render_html(transcript, handle.violations(), title=item.nodeid)
        path.write_text(handle.session.redact(page), encoding="utf-8")
    except OSError as exc:
        report.sections.append(("interactions timeline", f"could not write {path}: {exc.strerror or exc}"))
        return
    report.sections.append(("interactions timeline", f"HTML timeline of this session: {path}"))
