"""``--interactions-block-network``: no test of the run reaches the network, even one that swallows
the error; loopback and the allowed hosts stay reachable."""

from __future__ import annotations

# Imported here so that in-process pytester runs find it loaded (they unload what they import).
import httpx  # noqa: F401
import pytest
from test_interactions_marker import QUIET

SUITE = """
import httpx
import pytest


def test_swallows_the_error():
    try:
        httpx.get("http://api.example.invalid/v1beta/interactions")
    except Exception:
        pass  # the application logs and carries on


def test_raises_it():
    with pytest.raises(httpx.ConnectError):
        httpx.get("http://api.example.invalid/v1beta/interactions")


def test_loopback_is_fine(interactions_server):
    url = interactions_server.url("/v1beta/interactions/v1_nope")
    assert httpx.get(url, headers={"x-goog-api-key": "k"}).status_code == 404
"""


def test_a_blocked_request_fails_the_test_even_when_swallowed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_calls=SUITE)
    result = pytester.runpytest("--interactions-block-network", *QUIET)
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*NetworkBlockedError: pytest-interactions blocked a DNS look-up of api.example.invalid "
            "(--interactions-block-network), from *test_calls.py:7 in test_swallows_the_error*",
        ]
    )
    assert "test_loopback_is_fine FAILED" not in result.stdout.str()


def test_without_the_option_nothing_is_blocked(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_calls=SUITE)
    pytester.runpytest(*QUIET, "-k", "swallows or loopback").assert_outcomes(passed=2)


def test_allowed_hosts_are_let_through(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_calls=SUITE)
    pytester.makeini(
        "[pytest]\ninteractions_block_network = true\ninteractions_allow_hosts = api.example.invalid\n"
    )
    # The look-up is let through (and fails as .invalid names do): nothing is blocked, both pass.
    pytester.runpytest_subprocess(*QUIET, "-k", "swallows or raises").assert_outcomes(passed=2)
