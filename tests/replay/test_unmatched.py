"""A request the cassette does not answer fails loudly, and never reaches the network.

The failure names the cassette, the request, and the nearest recorded requests with what differs,
so that a changed prompt or a new parameter is found at a glance. A client that swallows the
exception does not hide it: the test fails anyway.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import httpx
import pytest

from pytest_interactions.cassette import CassetteError
from pytest_interactions.emulator import Emulator
from pytest_interactions.replay import UnmatchedRequestError
from pytest_interactions.session import use_cassette

#: pytest-asyncio (installed here) warns about its own unset ini key in every inner run.
#: (hypothesis's plugin is left out too: re-imported in every in-process run, it costs a second.)
QUIET = ("-p", "no:asyncio", "-p", "no:cacheprovider", "-p", "no:hypothesispytest")

ASKS = """
import os

import httpx
import pytest

QUESTION = os.environ.get("QUESTION", "What is SSE?")


def ask(interactions):
    with httpx.Client(base_url=interactions.base_url + "/v1beta",
                      headers={"x-goog-api-key": interactions.api_key}) as http:
        return http.post("/interactions", json={"model": "gemini-3.5-flash", "input": QUESTION})


@pytest.mark.interactions
def test_ask(interactions):
    assert ask(interactions).status_code == 200


@pytest.mark.interactions
def test_ask_and_swallow_errors(interactions):
    try:
        ask(interactions)
    except Exception:
        pass  # code under test that hides its failures
"""


@pytest.fixture
def recorded(pytester: pytest.Pytester) -> Path:
    """The test file, recorded once against the embedded emulator; returns the cassette dir."""
    pytester.makepyfile(test_asks=ASKS)
    pytester.runpytest("--interactions-record-mode=once", *QUIET).assert_outcomes(passed=2)
    return pytester.path / "cassettes" / "test_asks"


def test_an_unmatched_request_names_the_cassette_the_request_and_what_differs(
    pytester: pytest.Pytester, recorded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUESTION", "What is a WebSocket?")
    result = pytester.runpytest("-k", "test_ask and not swallow", *QUIET)
    result.assert_outcomes(failed=1)
    cassette = recorded / "test_ask.yaml"
    result.stdout.fnmatch_lines(
        [
            f"*UnmatchedRequestError: no recorded exchange in {cassette} answers "
            "POST http://emulator.invalid/v1beta/interactions",
            '*request body: {"model":*"gemini-3.5-flash",*"input":*"What is a WebSocket?"}',
            "*nearest recorded requests:",
            "*#0 (line *): POST http://emulator.invalid/v1beta/interactions",
            "*differs in body*",
            '*-  "input": "What is SSE?",',
            '*+  "input": "What is a WebSocket?",',
            "*record mode is 'none'*--interactions-record-mode=all*",
        ]
    )
    assert "differs in method" not in result.stdout.str()  # only what really differs is named
    assert "differs in path" not in result.stdout.str()


def test_a_swallowed_unmatched_request_still_fails_the_test(
    pytester: pytest.Pytester, recorded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUESTION", "Something else entirely")
    result = pytester.runpytest("-k", "swallow", *QUIET)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"*UnmatchedRequestError: no recorded exchange in {recorded}/test_ask_and_swallow_errors.yaml*",
            "*differs in body*",
        ]
    )


def test_the_same_request_replays_and_passes(pytester: pytest.Pytester, recorded: Path) -> None:
    pytester.runpytest(*QUIET).assert_outcomes(passed=2)


def test_a_missing_cassette_in_mode_none_names_its_path(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_asks=ASKS)
    result = pytester.runpytest("-k", "test_ask and not swallow", *QUIET)
    result.assert_outcomes(errors=1)
    missing = pytester.path / "cassettes" / "test_asks" / "test_ask.yaml"
    result.stdout.fnmatch_lines(
        [f"*CassetteError: {missing}: no such cassette, and record mode 'none' only replays*once*"]
    )
    assert not missing.exists()


# -- the same, without pytest's help --------------------------------------------------------------


def test_use_cassette_fails_at_its_end_when_an_error_was_swallowed(
    interactions_server: Emulator, tmp_path: Path
) -> None:
    cassette = tmp_path / "one.yaml"
    base = interactions_server.base_url + "/v1beta"
    with httpx.Client(base_url=base, headers={"x-goog-api-key": "k"}) as http:
        with use_cassette(cassette, "once"):
            http.post("/interactions", json={"model": "m", "input": "recorded"})

        session, swallow = use_cassette(cassette, "none"), contextlib.suppress(Exception)
        with pytest.raises(UnmatchedRequestError) as caught, session as replay, swallow:
            http.post("/interactions", json={"model": "m", "input": "not recorded"})  # swallowed
    message = str(caught.value)
    assert message == replay.errors[0]
    assert str(cassette) in message
    assert "POST " + base + "/interactions" in message
    assert "differs in body" in message
    assert len(interactions_server.requests) == 1  # replay never reached the server


def test_use_cassette_with_no_cassette_in_mode_none_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "missing.yaml"
    with pytest.raises(CassetteError, match="no such cassette") as caught, use_cassette(missing, "none"):
        pytest.fail("the session must not start")
    assert caught.value.path == missing
    assert str(caught.value).startswith(f"{missing}: ")
