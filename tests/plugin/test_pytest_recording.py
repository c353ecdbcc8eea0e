"""pytest-recording and this plugin in one suite: both work side by side, warnings as errors, and a
test moves from ``@pytest.mark.vcr`` to ``@pytest.mark.interactions`` keeping its vcrpy cassette."""

from __future__ import annotations

import gc

import pytest

pytest.importorskip("pytest_recording")

INI = """\
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
filterwarnings = error
"""

MODULE = """\
import httpx
import pytest

BODY = {"model": "gemini-3.5-flash", "input": "What is SSE?", "background": True}


@pytest.fixture(scope="module")
def vcr_config():
    # The emulator listens on a new port each run: match on what the test asks, not where.
    return {"match_on": ["method", "path", "body"]}


@pytest.fixture
def base_url(request):
    if request.config.getoption("--record-mode") == "none" and not request.node.get_closest_marker(
        "interactions"
    ):
        return "http://127.0.0.1:9"  # replay: nothing listens there; the cassette answers
    server = request.getfixturevalue("interactions_server")
    return server.base_url


def create(base_url, key="k"):
    answer = httpx.post(
        f"{base_url}/v1beta/interactions", json=BODY, headers={"x-goog-api-key": key}, timeout=10
    )
    answer.raise_for_status()
    return answer.json()


@pytest.mark.{first}
def test_first(base_url, {first_fixture}):
    base = {first_base}
    assert create(base)["status"] in ("in_progress", "completed")


@pytest.mark.interactions
def test_second(interactions):
    assert create(interactions.base_url, interactions.api_key)["status"] in ("in_progress", "completed")
"""

VCR = {"first": "vcr", "first_fixture": "request", "first_base": "base_url"}
MOVED = {
    "first": 'interactions(cassette="test_suite/test_first.yaml")',
    "first_fixture": "interactions",
    "first_base": "interactions.base_url",
}


@pytest.fixture(autouse=True)
def _earlier_garbage_collected() -> None:
    """The suite below runs with warnings as errors, in this process: a socket another test left
    to the garbage collector must not be collected, and warned about, inside it."""
    gc.collect()


def module(names: dict[str, str]) -> str:
    source = MODULE
    for key, value in names.items():
        source = source.replace("{" + key + "}", value)
    return source


def test_both_plugins_record_and_replay_side_by_side_and_a_test_moves_over(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_suite=module(VCR))
    pytester.mkdir("cassettes")

    # Recording: pytest-recording writes its vcrpy cassette, this plugin its own. In a new process,
    # so that both plugins load from scratch (a warning while loading them would be an error).
    recorded = pytester.runpytest_subprocess("--record-mode=once", "--interactions-record-mode=once")
    recorded.assert_outcomes(passed=2)
    vcr_cassette = pytester.path / "cassettes" / "test_suite" / "test_first.yaml"
    ours = pytester.path / "cassettes" / "test_suite" / "test_second.yaml"
    assert "interactions:" in vcr_cassette.read_text()  # vcrpy's format
    assert "exchanges:" in ours.read_text()

    # Replay: both answer from their cassettes, with nothing listening.
    replayed = pytester.runpytest_subprocess("--record-mode=none")
    replayed.assert_outcomes(passed=2)

    # The first test moves to this plugin and replays the cassette pytest-recording wrote.
    pytester.makepyfile(test_suite=module(MOVED))
    moved = pytester.runpytest("--record-mode=none")
    moved.assert_outcomes(passed=2)
    assert "interactions:" in vcr_cassette.read_text()  # read as it is, not rewritten


def test_a_moved_test_still_fails_on_a_request_its_vcrpy_cassette_does_not_answer(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_suite=module(VCR))
    pytester.mkdir("cassettes")
    pytester.runpytest("--record-mode=once", "--interactions-record-mode=once").assert_outcomes(passed=2)
    changed = module(MOVED).replace('"input": "What is SSE?"', '"input": "Something else"')
    pytester.makepyfile(test_suite=changed)
    result = pytester.runpytest("--record-mode=none")
    result.assert_outcomes(passed=0, failed=2)
    result.stdout.fnmatch_lines(["*no recorded exchange in *test_first.yaml answers POST *"])


MIGRATED = """\
import httpx
import pytest


@pytest.fixture(scope="module")
def vcr_config():
    return {
        "filter_headers": [("x-ticket-token", "XXX"), "authorization"],
        "match_on": ["method", "path"],
        "before_record_request": lambda request: request,
    }


@pytest.mark.interactions
def test_ticket(interactions):
    headers = {"x-goog-api-key": interactions.api_key, "x-ticket-token": "tkt-7f3a9c2e"}
    body = {"model": "gemini-3.5-flash", "input": "Hi", "background": True}
    answer = httpx.post(f"{interactions.base_url}/v1beta/interactions", json=body, headers=headers)
    assert answer.status_code == 200
"""


def test_a_migrated_vcr_config_keeps_its_secrets_and_names_what_it_cannot_honour(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(INI.replace("filterwarnings = error\n", ""))
    pytester.makepyfile(test_migrated=MIGRATED)
    result = pytester.runpytest("--interactions-record-mode=once", "-p", "no:randomly")
    result.assert_outcomes(passed=1)
    cassette = (pytester.path / "cassettes" / "test_migrated" / "test_ticket.yaml").read_text()
    assert "tkt-7f3a9c2e" not in cassette  # scrubbed as pytest-recording scrubbed it
    assert "x-ticket-token" in cassette
    result.stdout.fnmatch_lines(
        [
            "*VcrConfigWarning: vcr_config key not honoured by pytest-interactions: before_record_request: "
            "it takes vcrpy's Request: give interactions_config's before_record_request*",
        ]
    )
    assert result.stdout.str().count("VcrConfigWarning") == 1


def test_cassettes_are_found_where_pytest_recording_kept_them(pytester: pytest.Pytester) -> None:
    """With ``interactions_cassette_layout = pytest-recording``, a moved test replays the cassette
    at ``<its folder>/cassettes/<module>/<test>.yaml``, as pytest-recording wrote it."""
    tests = pytester.mkdir("tests")
    (tests / "test_suite.py").write_text(module(VCR))
    pytester.makeini(INI + "interactions_cassette_layout = pytest-recording\n")
    recorded = pytester.runpytest_subprocess("--record-mode=once", "--interactions-record-mode=once")
    recorded.assert_outcomes(passed=2)
    written = tests / "cassettes" / "test_suite" / "test_first.yaml"
    assert "interactions:" in written.read_text()  # where pytest-recording keeps its cassettes

    moved = module(MOVED).replace('interactions(cassette="test_suite/test_first.yaml")', "interactions")
    (tests / "test_suite.py").write_text(moved)
    replayed = pytester.runpytest("--record-mode=none")
    replayed.assert_outcomes(passed=2)
    assert "interactions:" in written.read_text()  # read as it is, not rewritten
