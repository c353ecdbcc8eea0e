"""``--interactions-html DIR``: a failing test's session is written as an HTML page with its
violations marked, and the failure report names the file; passing tests write nothing."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

CLIENTS = (Path(__file__).parent / "session_clients.py").read_text()
FAST = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")
INI = "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"

SUITE = """
import pytest

from clients import *


@pytest.mark.interactions(disconnect="after:4")
def test_resumes_{name}(interactions):
    with http(interactions) as client:
        interaction_id = http_start(client)
        text = sse_read(client, interaction_id, resume="{resume}").text
    assert text == interactions.recorded_text(interaction_id)
"""


class Marks(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.checks: list[str | None] = []
        self.events = 0
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if "violation" in (attributes.get("class") or "").split():
            self.checks.append(attributes.get("data-check"))
        if "event" in (attributes.get("class") or "").split():
            self.events += 1


@pytest.mark.parametrize(
    ("name", "resume", "fails"), [("wrongly", "previous", True), ("rightly", "last", False)]
)
def test_a_failing_test_gets_its_page(pytester: pytest.Pytester, name: str, resume: str, fails: bool) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(clients=CLIENTS)
    pytester.makepyfile(test_session=SUITE.format(name=name, resume=resume))
    pytester.runpytest_subprocess(
        "--interactions-record-mode=once", "--interactions-no-faults", *FAST
    ).assert_outcomes(passed=1)
    result = pytester.runpytest_subprocess("--interactions-html=pages", *FAST)
    page = pytester.path / "pages" / f"test_session.py_test_resumes_{name}.html"
    if not fails:
        result.assert_outcomes(passed=1)
        assert not page.exists()
        return
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*interactions timeline*", f"HTML timeline of this session: {page}"])
    marks = Marks(page.read_text())
    assert marks.checks == ["resume", "duplicates"]
    assert marks.events > 4


def test_two_tests_never_share_a_page() -> None:
    """Ids that differ only in characters a file name cannot hold get distinct pages; plain ids
    keep plain names."""
    from pytest_interactions.plugin._html_report import page_path

    ids = ["tests/test_x.py::test_p[a/b]", "tests/test_x.py::test_p[a:b]", "tests/test_x.py::test_p[a_b]"]
    pages = {page_path(Path("pages"), nodeid) for nodeid in ids}
    assert len(pages) == 3
    assert page_path(Path("pages"), "tests/test_x.py::test_p[a_b]") == Path(
        "pages/tests_test_x.py_test_p[a_b].html"
    )
