"""Recording against the embedded emulator runs on its scenario clock; against a given API, on real time.

A poll loop that sleeps 10 s between polls of a ten-minute run records that run: sixty polls ten
scenario seconds apart, written as such in the cassette, without waiting ten minutes. A streaming
client blocked on the next event moves scenario time to it. These tests read the recorded times,
never the wall clock.
"""

from __future__ import annotations

import textwrap

# Imported here so that in-process pytester runs find them loaded (they unload what they import,
# and a client library imported twice raises exceptions its other copy does not know).
import httpcore._backends.anyio  # noqa: F401
import pytest

from pytest_interactions.cassette import Exchange, StreamEvent, load_cassette
from pytest_interactions.emulator import Emulator

FAST = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")
INI = "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"

SUITE = '''
import asyncio
import time

import httpx
import pytest

from pytest_interactions.emulator import Script

SPAN = 600.0
START = {"model": "gemini-3.5-flash", "input": "The history of tea, in depth", "background": True}
TERMINAL = ("completed", "failed", "cancelled", "incomplete", "requires_action")


def ten_minutes(request):
    """A deep-research-like run: a thought summary every minute, the answer after ten."""
    script = Script(pace=0.5)
    for minute in range(1, 10):
        summary = {"type": "thought_summary", "content": {"type": "text", "text": f"Minute {minute}."}}
        script.step({"type": "thought"}, [summary], gap=minute * 60.0 - script.duration)
    script.text("Ten minutes later, here is the answer.", gap=SPAN - 10.0 - script.duration)
    return script.finish(gap=SPAN - script.duration)


@pytest.fixture
def api(interactions):
    if interactions.emulator is not None:
        interactions.emulator.scenarios.register("ten-minutes", ten_minutes, when=lambda request: True)
    return interactions


def sync_client(api):
    return httpx.Client(base_url=api.base_url + "/v1beta", headers={"x-goog-api-key": api.api_key})


def async_client(api):
    # A stream waits a minute between events: no read timeout, as a real client of long runs.
    timeout = httpx.Timeout(5.0, read=None)
    return httpx.AsyncClient(
        base_url=api.base_url + "/v1beta", headers={"x-goog-api-key": api.api_key}, timeout=timeout
    )


@pytest.mark.interactions
def test_sync_poll(api):
    with sync_client(api) as http:
        it = http.post("/interactions", json=START).raise_for_status().json()
        while it["status"] not in TERMINAL:
            time.sleep(10)
            it = http.get(f"/interactions/{it['id']}").raise_for_status().json()
    assert it["status"] == "completed"
    assert api.now >= SPAN


@pytest.mark.interactions
async def test_async_poll(api):
    async with async_client(api) as http:
        it = (await http.post("/interactions", json=START)).raise_for_status().json()
        while it["status"] not in TERMINAL:
            await asyncio.sleep(10)
            it = (await http.get(f"/interactions/{it['id']}")).raise_for_status().json()
    assert it["status"] == "completed"
    assert api.now >= SPAN


@pytest.mark.interactions
def test_sync_stream(api):
    with sync_client(api) as http:
        with http.stream("POST", "/interactions", json={**START, "stream": True}) as response:
            events = [line for line in response.iter_lines() if line.startswith("event:")]
    assert "event: interaction.completed" in events


@pytest.mark.interactions
async def test_async_stream(api):
    async with async_client(api) as http:
        async with http.stream("POST", "/interactions", json={**START, "stream": True}) as response:
            events = [line async for line in response.aiter_lines() if line.startswith("event:")]
    assert "event: interaction.completed" in events
'''


def _suite(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_long=SUITE)


def _cassette(pytester: pytest.Pytester, test: str) -> list[Exchange]:
    return load_cassette(pytester.path / "cassettes" / "test_long" / f"{test}.yaml").exchanges


def _event_times(exchange: Exchange) -> list[float]:
    assert exchange.response is not None
    assert exchange.response.events is not None
    return [item.at for item in exchange.response.events if isinstance(item, StreamEvent)]


@pytest.mark.timeout(300)  # on real time it would take ten minutes a test
def test_a_ten_minute_session_records_on_scenario_time_and_replays(pytester: pytest.Pytester) -> None:
    _suite(pytester)
    pytester.runpytest("--interactions-record-mode=all", *FAST).assert_outcomes(passed=4)

    for test in ("test_sync_poll", "test_async_poll"):
        exchanges = _cassette(pytester, test)
        # The create, then one poll every 10 scenario seconds until the run completes at 600 s.
        assert [e.at for e in exchanges] == [10.0 * n for n in range(61)], test
        assert all(e.response is not None and e.response.after == 0.0 for e in exchanges)
        last = exchanges[-1].response
        assert last is not None
        assert last.body is not None
        assert last.body.value["status"] == "completed"

    for test in ("test_sync_stream", "test_async_stream"):
        (exchange,) = _cassette(pytester, test)
        times = _event_times(exchange)
        # Each event arrives when the scenario has it happen: a summary at every whole minute.
        assert {60.0 * minute for minute in range(1, 10)} <= set(times), (test, times)
        assert times == sorted(times)
        assert times[-1] >= 600.0

    pytester.runpytest(*FAST).assert_outcomes(passed=4)


def test_recording_against_a_given_api_stays_on_real_time(pytester: pytest.Pytester) -> None:
    """The same test against ``--interactions-base-url``: sleeps wait for real, times are real."""
    pytester.makeini(INI)
    pytester.makepyfile(
        test_pause=textwrap.dedent(
            """
            import time
            from datetime import datetime, timezone

            import httpx
            import pytest


            @pytest.mark.interactions
            def test_pause(interactions):
                with httpx.Client(base_url=interactions.base_url + "/v1beta") as http:
                    start = {"model": "m", "input": "q", "background": True}
                    http.post("/interactions", json=start, headers={"x-goog-api-key": "k"})
                    time.sleep(0.2)
                    http.post("/interactions", json=start, headers={"x-goog-api-key": "k"})
                print("TODAY", datetime.now(timezone.utc).date())
            """
        )
    )
    cassette = pytester.path / "cassettes" / "test_pause" / "test_pause.yaml"

    on_emulator = pytester.runpytest("--interactions-record-mode=all", "-s", *FAST)
    on_emulator.assert_outcomes(passed=1)
    on_emulator.stdout.fnmatch_lines(["*TODAY 2026-05-20"])  # the scenario's epoch
    first, second = load_cassette(cassette).exchanges
    assert second.at - first.at == 0.2

    with Emulator(api_keys={"k"}) as api:
        base_url = api.base_url
        target = f"--interactions-base-url={base_url}"
        live = pytester.runpytest("--interactions-record-mode=all", target, *FAST)
    live.assert_outcomes(passed=1)
    recorded = load_cassette(cassette)
    first, second = recorded.exchanges
    assert second.at - first.at > 0.2  # the sleep, and the second request's own time on the wire
    assert recorded.meta["started_at"] != "2026-05-20T12:00:00+00:00"
    assert recorded.meta["base_url"] == base_url


def test_a_cassette_written_on_scenario_time_starts_at_its_epoch(pytester: pytest.Pytester) -> None:
    _suite(pytester)
    pytester.runpytest("--interactions-record-mode=all", "-k", "test_sync_poll", *FAST).assert_outcomes(
        passed=1
    )
    meta = load_cassette(pytester.path / "cassettes" / "test_long" / "test_sync_poll.yaml").meta
    assert meta["started_at"] == "2026-05-20T12:00:00+00:00"
    assert meta["base_url"] == "http://emulator.invalid"


def test_a_test_can_record_against_the_emulator_on_real_time(pytester: pytest.Pytester) -> None:
    """``virtual_time=False``: the embedded emulator runs at its speed and sleeps wait for real; the
    cassette still names the emulator's stable address and starts at its epoch."""
    pytester.makeini(INI)
    pytester.makepyfile(
        test_real=textwrap.dedent(
            """
            import time

            import httpx
            import pytest


            @pytest.mark.interactions(virtual_time=False)
            def test_real(interactions):
                assert not interactions.emulator.clock.manual
                with httpx.Client(base_url=interactions.base_url + "/v1beta") as http:
                    start = {"model": "m", "input": "q", "background": True}
                    http.post("/interactions", json=start, headers={"x-goog-api-key": "k"})
                    time.sleep(0.2)
                    http.post("/interactions", json=start, headers={"x-goog-api-key": "k"})
            """
        )
    )
    pytester.runpytest("--interactions-record-mode=all", *FAST).assert_outcomes(passed=1)
    recorded = load_cassette(pytester.path / "cassettes" / "test_real" / "test_real.yaml")
    first, second = recorded.exchanges
    assert second.at - first.at > 0.2
    assert recorded.meta["started_at"] == "2026-05-20T12:00:00+00:00"
    assert second.request.url == "http://emulator.invalid/v1beta/interactions"
