"""An asyncio test may ask for the ``interactions`` fixture from inside its coroutine
(``request.getfixturevalue``): the session starts in the test's task and still ends cleanly after it."""

from __future__ import annotations

import pytest
from recorded_suite import FAST, INI

SUITE = """
import httpx
import pytest


async def fetch(base_url):
    async with httpx.AsyncClient() as http:
        return (await http.get(base_url + "/greeting")).text


async def test_requested_inside_the_test(request):
    interactions = request.getfixturevalue("interactions")  # set up inside the running coroutine
    assert not interactions.recording
    assert await fetch(interactions.base_url) == "hello from the cassette"


async def test_requested_as_an_argument(interactions):  # set up before the coroutine runs
    assert await fetch(interactions.base_url) == "hello from the cassette"
"""

#: A cassette as vcrpy writes them, with one exchange.
CASSETTE = """\
interactions:
- request: {method: GET, uri: 'http://127.0.0.1:9/greeting', body: null, headers: {}}
  response: {status: {code: 200, message: OK}, headers: {}, body: {string: hello from the cassette}}
version: 1
"""


def test_the_fixture_requested_inside_an_asyncio_test_tears_down(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)  # asyncio_mode = auto
    pytester.makepyfile(test_late=SUITE)
    for test in ("test_requested_inside_the_test", "test_requested_as_an_argument"):
        path = pytester.path / "cassettes" / "test_late" / f"{test}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(CASSETTE)
    result = pytester.runpytest(*FAST)
    result.assert_outcomes(passed=2)  # no error at teardown
