"""A cassette shared by many tests is recorded once per run, by a test without faults; the others
replay it in the same run with their faults, whatever the order, selection or number of workers."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

# Imported here so that in-process pytester runs find them loaded (they unload what they import).
from google import genai  # noqa: F401
from google.genai import _interactions  # noqa: F401
from recorded_suite import FAST, QUIET, write

SUITE = """
import os

SHARED = dict(cassette="shared.yaml")


def session(interactions):
    client = sdk(interactions)
    interaction_id = start(client)
    assert sdk_read(client, interaction_id).text == interactions.recorded_text(interaction_id)
    return interactions


@pytest.mark.interactions(**SHARED, disconnect="after:3")
def test_cut_after_three(interactions):
    assert len(session(interactions).transcript.connections) == 2
    assert not os.environ.get("BREAK")


@pytest.mark.interactions(**SHARED, disconnect="mid-event:4")
def test_cut_inside_the_fourth(interactions):
    assert len(session(interactions).transcript.connections) == 2


@pytest.mark.interactions(**SHARED, reconnect="refuse", reconnect_times=2, disconnect="after:2")
def test_refused_twice(interactions):
    assert len(session(interactions).transcript.connections) == 4


@pytest.mark.interactions(**SHARED, disconnect="every:3")
def test_cut_every_third(interactions):
    assert len(session(interactions).transcript.connections) >= 3


@pytest.mark.interactions(**SHARED, disconnect="event:step.delta:2")
def test_cut_after_the_second_delta(interactions):
    assert len(session(interactions).transcript.connections) == 2


@pytest.mark.interactions(**SHARED)
def test_plain_one(interactions):
    session(interactions)


@pytest.mark.interactions(**SHARED)
def test_plain_two(interactions):
    session(interactions)
    assert not os.environ.get("BREAK")


@pytest.mark.interactions(**SHARED)
async def test_plain_async(interactions):
    client = sdk(interactions)
    created = await client.aio.interactions.create(model=MODEL, input=QUESTION, background=True)
    assert (await asdk_read(client, created.id)).text == interactions.recorded_text(created.id)


@pytest.mark.interactions(**SHARED, disconnect="after:5", checks=["resume", "duplicates"])
def test_checked_resume(interactions):
    session(interactions)


@pytest.mark.interactions(**SHARED)
def test_plain_three(interactions):
    session(interactions)
"""

#: Counts every cassette write of the inner runs, in every process.
CONFTEST = """
import os

import pytest_interactions.session._session as session

# In-process runs import this conftest again: wrap the original once.
_save = getattr(session, "_uncounted_save", session.save_cassette)
session._uncounted_save = _save


def counted(path, *args, **kwargs):
    with open(os.environ["CASSETTE_WRITES"], "a") as log:
        log.write(f"{path.name}\\n")
    return _save(path, *args, **kwargs)


session.save_cassette = counted


def pytest_unconfigure(config):
    session.save_cassette = _save  # in-process runs share the module with the outer run
"""

TESTS = 10


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    write(pytester, SUITE)
    pytester.makeconftest(CONFTEST)
    monkeypatch.setenv("CASSETTE_WRITES", str(pytester.path / "writes.log"))
    return pytester


def writes(pytester: pytest.Pytester) -> list[str]:
    log = pytester.path / "writes.log"
    found = log.read_text().split() if log.exists() else []
    log.unlink(missing_ok=True)
    return found


def cassette(pytester: pytest.Pytester) -> Path:
    return pytester.path / "cassettes" / "shared.yaml"


@pytest.mark.parametrize(
    "how",
    [
        pytest.param((), id="serial"),
        pytest.param(("-p", "randomly", "--randomly-seed=3"), id="random-order"),
        pytest.param(("-n", "2"), id="xdist"),
    ],
)
def test_recorded_once_then_replayed_with_faults(suite: pytest.Pytester, how: tuple[str, ...]) -> None:
    run = suite.runpytest_subprocess if "-n" in how else suite.runpytest
    fast = QUIET if "randomly" in how else FAST
    recorded = run("--interactions-record-mode=once", *fast, *how)
    recorded.assert_outcomes(passed=TESTS)
    assert writes(suite) == ["shared.yaml"]

    replayed = run(*fast, *how)
    replayed.assert_outcomes(passed=TESTS)
    assert writes(suite) == []

    rewritten = run("--interactions-record-mode=rewrite", *fast, *how)
    rewritten.assert_outcomes(passed=TESTS)
    assert writes(suite) == ["shared.yaml"]  # once per run, not once per test


def test_a_fault_test_alone_says_it_needs_a_recording(suite: pytest.Pytester) -> None:
    result = suite.runpytest("--interactions-record-mode=once", "-k", "test_cut_after_three", *FAST)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*RecordingUnavailableError: *shared.yaml has no recording yet, and this test's faults need "
            "one: no test of this run records it without faults*",
        ]
    )
    assert not cassette(suite).exists()
    assert writes(suite) == []

    # Selected with a test that plans no faults, it gets its recording from that one.
    both = suite.runpytest("--interactions-record-mode=once", "-k", "after_three or plain_two", *FAST)
    both.assert_outcomes(passed=2)
    assert writes(suite) == ["shared.yaml"]


def test_last_failed_tests_get_their_recording_from_one_of_them(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--lf selects two tests, one with faults: the other one records, whatever the full suite holds."""
    with_cache = ("-p", "no:hypothesispytest", "-p", "no:randomly")  # --lf needs the cache
    suite.runpytest("--interactions-record-mode=once", *with_cache).assert_outcomes(passed=TESTS)
    monkeypatch.setenv("BREAK", "1")
    suite.runpytest(*with_cache).assert_outcomes(passed=TESTS - 2, failed=2)
    monkeypatch.delenv("BREAK")
    cassette(suite).unlink()
    writes(suite)

    rerun = suite.runpytest(
        "--lf", "--interactions-record-mode=once", "-o", "interactions_wait_timeout=30", *with_cache
    )
    rerun.assert_outcomes(passed=2)
    assert writes(suite) == ["shared.yaml"]


def test_a_live_run_touches_no_cassette(suite: pytest.Pytester) -> None:
    """--interactions-disable-recording: against the emulator, nothing read, recorded or written."""
    result = suite.runpytest("--interactions-disable-recording", "-k", "plain", *FAST)
    result.assert_outcomes(passed=4)
    assert writes(suite) == []
    assert not cassette(suite).exists()


DYING = """
import os
import time

import httpx
import pytest

SHARED = pytest.mark.interactions(cassette="shared.yaml")


def ask(interactions):
    with httpx.Client(base_url=interactions.base_url + "/v1beta", headers={"x-goog-api-key": "k"}) as http:
        return http.post("/interactions", json={"model": "m", "input": "tides"}).json()


@SHARED
def test_records_then_dies(interactions):
    ask(interactions)
    if os.environ.get("RECORDER_DIES") and interactions.recording:
        time.sleep(1.0)  # the other test is waiting by now
        os._exit(1)  # the worker is killed mid-recording


@SHARED
def test_waits_for_it(interactions):
    assert ask(interactions)["status"] == "completed"
"""


def test_a_recorder_that_dies_is_noticed_within_seconds(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The waiting test sees the recorder's process gone and records what it needs itself,
    instead of waiting out interactions_wait_timeout."""
    pytester.makepyfile(test_dying=DYING)
    pytester.makeini("[pytest]\ninteractions_wait_timeout = 120\n")
    monkeypatch.setenv("RECORDER_DIES", "1")
    started = time.monotonic()
    result = pytester.runpytest_subprocess("--interactions-record-mode=once", "-n", "2", *FAST)
    assert time.monotonic() - started < 60
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed") == 1, result.stdout.str()
    assert "test_waits_for_it" not in "\\n".join(line for line in result.outlines if "FAILED" in line)
