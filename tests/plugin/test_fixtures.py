"""The plugin as a user's test suite sees it: fixture, marker, options, ini keys (via ``pytester``)."""

from __future__ import annotations

import pytest

USES_THE_FIXTURE = """
import httpx
import pytest


def test_a_session(interactions_server):
    base = interactions_server.base_url + "/v1beta"
    headers = {"x-goog-api-key": "k"}
    created = httpx.post(base + "/interactions", json={"model": "gemini-3.5-flash", "input": "hi"},
                         headers=headers)
    assert created.status_code == 200
    assert created.json()["status"] == "completed"
    assert [r.method for r in interactions_server.requests] == ["POST"]


@pytest.mark.interactions_server(manual=True, max_streams=3, seed=7)
def test_marker_options(interactions_server):
    assert interactions_server.clock.manual
    assert interactions_server._server.max_streams == 3
    created = httpx.post(interactions_server.base_url + "/v1/interactions",
                         json={"model": "m", "input": "hi", "background": True},
                         headers={"x-goog-api-key": "k"}).json()
    assert created["status"] == "in_progress"
    interactions_server.advance(60)
    assert interactions_server.interaction(created["id"])["status"] == "completed"


def test_default_speed(interactions_server):
    assert interactions_server.clock.speed == 200.0
    assert not interactions_server.clock.manual


def test_each_test_gets_a_fresh_emulator(interactions_server):
    assert interactions_server.requests == []
    assert interactions_server.store.runs() == []
"""

#: pytest-asyncio (installed here) warns about its own unset ini key in every inner run.
QUIET = ("-p", "no:asyncio")

SPEED_PROBE = """
def test_speed(interactions_server):
    print("SPEED", interactions_server.clock.speed)
"""


def test_a_test_file_using_the_fixture_and_marker_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(USES_THE_FIXTURE)
    result = pytester.runpytest("--strict-markers", *QUIET)
    result.assert_outcomes(passed=4)


def test_the_emulator_is_stopped_after_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import socket
        import pytest

        seen = {}

        def test_one(interactions_server):
            seen["emulator"] = interactions_server
            seen["address"] = (interactions_server.host, interactions_server.port)

        def test_two():
            with pytest.raises(RuntimeError, match="not running"):
                seen["emulator"].base_url
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection(seen["address"], timeout=2)
        """
    )
    pytester.runpytest(*QUIET).assert_outcomes(passed=2)


@pytest.mark.parametrize(
    ("args", "ini", "speed"),
    [
        ([], None, "200.0"),
        (["--interactions-emulator-speed", "50"], None, "50.0"),
        ([], "25", "25.0"),
        (["--interactions-emulator-speed=75"], "25", "75.0"),
    ],
    ids=["default", "option", "ini", "option-beats-ini"],
)
def test_the_speed_comes_from_option_then_ini_then_default(
    pytester: pytest.Pytester, args: list[str], ini: str | None, speed: str
) -> None:
    if ini is not None:
        pytester.makeini(f"[pytest]\ninteractions_emulator_speed = {ini}\n")
    pytester.makepyfile(SPEED_PROBE)
    result = pytester.runpytest("-s", *QUIET, *args)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"*SPEED {speed}*"])


def test_the_marker_beats_the_option(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.interactions_server(speed=3)
        def test_speed(interactions_server):
            assert interactions_server.clock.speed == 3
        """
    )
    pytester.runpytest("--interactions-emulator-speed", "50", *QUIET).assert_outcomes(passed=1)


def test_help_mentions_the_speed_option(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help", *QUIET)
    result.stdout.fnmatch_lines(["*--interactions-emulator-speed*", "*interactions_emulator_speed*"])


def test_fixtures_lists_interactions_server(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest("--fixtures", *QUIET)
    result.stdout.fnmatch_lines(["interactions_server*", "*running Interactions API emulator*"])


def test_markers_lists_the_marker(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers", *QUIET)
    result.stdout.fnmatch_lines(["@pytest.mark.interactions_server(**options):*"])
