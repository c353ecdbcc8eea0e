"""The same polling session under asyncio, pytest-trio and anyio on trio: recorded, then replayed on
virtual time (a minute between polls takes no real time); a session started inside a running trio
run is refused at once with the reason instead of hanging."""

from __future__ import annotations

# Imported here so that in-process pytester runs find them loaded: they unload what they import,
# and httpx would then meet httpcore exception classes it does not know.
import httpcore  # noqa: F401
import httpx  # noqa: F401
import pytest

pytest.importorskip("pytest_trio")
pytest.importorskip("trio")

INI = "[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n"

MODULE = """
import asyncio

import httpx
import pytest
import trio

from pytest_interactions.clock import real_monotonic

BODY = {"model": "gemini-3.5-flash", "input": "Poll me", "background": True}


async def poll(interactions, sleep):
    \"\"\"Create, then poll every minute (a moment while recording) until the interaction completes.\"\"\"
    interval = 0.01 if interactions.recording else 60
    async with httpx.AsyncClient(
        base_url=interactions.base_url + "/v1beta", headers={"x-goog-api-key": interactions.api_key}
    ) as http:
        interaction_id = (await http.post("/interactions", json=BODY)).json()["id"]
        polls = 0
        while True:
            await sleep(interval)
            polls += 1
            if (await http.get(f"/interactions/{interaction_id}")).json()["status"] == "completed":
                return polls


def check(interactions, polls, started):
    if interactions.recording:
        return
    assert interactions.now >= 60 * polls  # every minute passed on the session's clock
    assert real_monotonic() - started < 10  # and not for real


@pytest.mark.asyncio
@pytest.mark.interactions
async def test_asyncio(interactions):
    started = real_monotonic()
    check(interactions, await poll(interactions, asyncio.sleep), started)


@pytest.mark.trio
@pytest.mark.interactions
async def test_trio(interactions):
    started = real_monotonic()
    check(interactions, await poll(interactions, trio.sleep), started)


@pytest.fixture
def anyio_backend():
    return "trio"


@pytest.mark.anyio
@pytest.mark.interactions
async def test_anyio_on_trio(interactions):
    import anyio

    started = real_monotonic()
    check(interactions, await poll(interactions, anyio.sleep), started)
"""

INSIDE = """
import pytest
import trio

from pytest_interactions import use_cassette


@pytest.mark.trio
async def test_session_inside_the_run():
    with use_cassette("recorded.yaml", "none"):
        await trio.sleep(3600)
"""

#: A cassette as vcrpy writes them, with one exchange.
CASSETTE = """\
interactions:
- request: {method: GET, uri: 'http://127.0.0.1:9/x', body: null, headers: {}}
  response: {status: {code: 200, message: OK}, headers: {}, body: {string: ''}}
version: 1
"""


def test_asyncio_trio_and_anyio_on_trio_replay_on_virtual_time(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_frameworks=MODULE)
    recorded = pytester.runpytest("--interactions-record-mode=once", "-p", "no:cacheprovider")
    recorded.assert_outcomes(passed=3)
    assert len(list((pytester.path / "cassettes").rglob("*.yaml"))) == 3
    replayed = pytester.runpytest("-p", "no:cacheprovider", "-v")
    replayed.assert_outcomes(passed=3)


def test_a_session_started_inside_a_running_trio_run_is_refused(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_inside=INSIDE)
    (pytester.path / "recorded.yaml").write_text(CASSETTE)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*VirtualTimeError: virtual time cannot drive this trio run: it started before the session*"]
    )
