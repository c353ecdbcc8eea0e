"""How faults apply, and what a test is told when one cannot or did not.

One rule for every fault kind: a fault the recording has no place for fails the test at setup,
naming the fault and what the recording holds; a fault the client never reached fails it at the
end. When the test body fails too, the toolkit's findings are shown under the test's own error.
"""

from __future__ import annotations

import pytest

# Imported here so that in-process pytester runs find them loaded (they unload what they import).
from google import genai  # noqa: F401
from google.genai import _interactions  # noqa: F401
from recorded_suite import INI, failure, lines, record, replay, write


def test_faults_that_cannot_apply_fail_alike_at_setup(pytester: pytest.Pytester) -> None:
    """A cassette with polls and no stream: each-event, after:N, reconnect answers and an injected
    ending beyond its polls all fail the same way, before the test runs."""
    write(
        pytester,
        """
        def poll(interactions):
            with http(interactions) as client:
                return http_poll(client, http_start(client), interval=5)


        @pytest.mark.interactions(cassette="polls.yaml")
        def test_record(interactions):
            assert poll(interactions)["status"] == "completed"


        @pytest.mark.interactions(cassette="polls.yaml", disconnect="each-event")
        def test_each_event(interactions):
            poll(interactions)


        @pytest.mark.interactions(cassette="polls.yaml", disconnect="after:3")
        def test_after(interactions):
            poll(interactions)


        @pytest.mark.interactions(cassette="polls.yaml", disconnect="stall:2")
        def test_stall(interactions):
            poll(interactions)


        @pytest.mark.interactions(cassette="polls.yaml", reconnect=503)
        def test_reconnect(interactions):
            poll(interactions)


        @pytest.mark.interactions(cassette="polls.yaml", inject="failure:poll:40")
        def test_inject(interactions):
            poll(interactions)
        """,
    )
    record(pytester, 1, "-k", "test_record", directory="")
    result = replay(pytester, "-rA")
    result.assert_outcomes(passed=1, errors=5)
    result.stdout.fnmatch_lines(
        [
            lines("ERROR at setup of test_each_event[no-stream]"),
            lines(
                "FaultNotAppliedError: disconnect='each-event' cannot apply to",
                "polls.yaml",
                "no recorded stream",
            ),
            lines("ERROR at setup of test_after"),
            lines("disconnect='after:3' cannot apply: the cassette has no recorded stream"),
            lines("ERROR at setup of test_stall"),
            lines("disconnect='stall:2' cannot apply: the cassette has no recorded stream"),
            lines("ERROR at setup of test_reconnect"),
            lines("reconnect answers (503 x1) cannot apply: nothing cuts a stream"),
            lines("ERROR at setup of test_inject"),
            lines("inject='failure:poll:40' cannot apply: no recorded interaction has more than 40 polls"),
        ],
        consecutive=False,
    )


def test_a_poll_only_client_sees_an_injected_ending(pytester: pytest.Pytester) -> None:
    """``inject`` acts on clients that only poll: polls after the point show the injected status."""
    write(
        pytester,
        """
        INTERVAL = 0.01  # as recorded: each poll of the replay meets one recorded poll


        def seen(interactions):
            return [s.status for s in interactions.transcript.statuses if s.source == "poll"]


        @pytest.mark.interactions(inject="failure:poll:2")
        def test_httpx(interactions):
            with http(interactions) as client:
                it = http_poll(client, http_start(client), interval=INTERVAL)
            if interactions.recording:
                assert it["status"] == "completed"
                return
            assert it["status"] == "failed"
            assert it["errors"][0]["code"] == "injected_failure"
            *before, last = seen(interactions)  # the recorded states first, then the failure
            assert len(before) >= 2 and set(before) == {"in_progress"} and last == "failed"
            assert interactions.violations() == []


        @pytest.mark.interactions(inject="cancellation:1")  # no stream recorded: N counts polls
        def test_sdk(interactions):
            client = sdk(interactions)
            it = sdk_poll(client, start(client), interval=INTERVAL)
            assert it.status == ("completed" if interactions.recording else "cancelled")


        @pytest.mark.interactions(inject="requires_action:poll:1")
        async def test_httpx_async(interactions):
            async with ahttp(interactions) as client:
                interaction_id = await ahttp_start(client)
                it = await ahttp_poll(client, interaction_id, interval=INTERVAL)
            assert it["status"] == ("completed" if interactions.recording else "requires_action")
        """,
    )
    record(pytester, 3, "--interactions-emulator-speed=1")  # runs of 1.25 s: many polls each
    result = replay(pytester)
    # The last client takes the pause for the end: the requires_action check names it.
    result.assert_outcomes(passed=2, failed=1)
    failure(result, "test_httpx_async", lines("[requires_action] v1_", "reported 'requires_action'"))


def test_a_run_can_show_its_injected_ending_from_the_first_poll(pytester: pytest.Pytester) -> None:
    """``inject="failure:poll:0"``: the create answered in progress, the first poll already failed;
    ``failure:0`` is refused in the marker's own words, without a traceback through the fixture."""
    write(
        pytester,
        """
        @pytest.mark.interactions(inject="failure:poll:0")
        def test_first_poll(interactions):
            with http(interactions) as client:
                interaction_id = http_start(client)
                it = client.get(f"/interactions/{interaction_id}").json()
            assert it["status"] == ("in_progress" if interactions.recording else "failed")


        @pytest.mark.interactions(inject="failure:0", cassette="test_first_poll.yaml")
        def test_no_event_kept(interactions):
            pass
        """,
    )
    record(pytester, 1, "-k", "test_first_poll")
    result = replay(pytester)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*inject='failure:0': a run keeps at least its first stream event (the one that names it); "
            "for a run that shows failure from its first poll on, use inject='failure:poll:0'",
        ]
    )
    assert "_handle.py" not in result.stdout.str()


def test_a_loop_that_reconnects_after_the_end_is_stopped_and_named(pytester: pytest.Pytester) -> None:
    """A client that reconnects for ever (here: after the run has ended) fails, with the timeline,
    instead of spinning on virtual time without a word."""
    write(
        pytester,
        """
        @pytest.mark.interactions
        def test_forever(interactions):
            with http(interactions) as client:
                interaction_id = http_start(client)
                url = f"/interactions/{interaction_id}?stream=true"
                for _ in range(3 if interactions.recording else 10_000):
                    with client.stream("GET", url) as answer:
                        answer.read()
        """,
    )
    pytester.makeini(INI + "interactions_max_streams = 20\n")
    record(pytester, 1)
    result = replay(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*ReconnectLoopError: the client opened 20 streams of v1_* and asked for another (20 of them "
            "had already reached the end of the run): a reconnect loop that never ends*",
        ]
    )


def test_the_toolkits_findings_are_shown_beside_the_tests_own_error(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        @pytest.mark.interactions(cassette="stream.yaml")
        def test_record(interactions):
            client = sdk(interactions)
            sdk_read(client, start(client))


        @pytest.mark.interactions(cassette="stream.yaml", disconnect="after:4")
        def test_expects_a_give_up_and_resumes_wrongly(interactions):
            client = sdk(interactions)
            interaction_id = start(client)
            with pytest.raises(GaveUp):
                sdk_read(client, interaction_id, resume="none")


        @pytest.mark.interactions(cassette="stream.yaml", disconnect="after:4")
        def test_never_streams_and_fails(interactions):
            client = sdk(interactions)
            it = sdk_poll(client, start(client))
            assert it.status == "cancelled"
        """,
    )
    record(pytester, 1, "-k", "test_record", directory="")
    result = replay(pytester)
    result.assert_outcomes(passed=1, failed=2)
    failure(
        result,
        "test_expects_a_give_up_and_resumes_wrongly",
        "E*DID NOT RAISE*GaveUp*",
        "E*pytest-interactions also found:",
        lines("[resume] reconnect #2 to v1_", "did not carry last_event_id"),
    )
    failure(
        result,
        "test_never_streams_and_fails",
        "E*assert 'completed' == 'cancelled'",
        "E*pytest-interactions also found:",
        lines("disconnect=after:4 never cut a stream: the client opened no stream it applies to"),
    )


def test_a_declared_give_up_is_checked_where_it_stops(pytester: pytest.Pytester) -> None:
    """``gives_up_after=K``: the client must stop after exactly K failed reconnects in a row."""
    write(
        pytester,
        """
        REFUSED = dict(cassette="stream.yaml", disconnect="after:3", reconnect="refuse", reconnect_times=5)


        def give_up(interactions, attempts):
            with http(interactions) as client:
                interaction_id = http_start(client)
                with pytest.raises(GaveUp):
                    sse_read(client, interaction_id, attempts=attempts)


        @pytest.mark.interactions(cassette="stream.yaml")
        def test_record(interactions):
            with http(interactions) as client:
                sse_read(client, http_start(client))


        @pytest.mark.interactions(**REFUSED, gives_up_after=3)
        def test_gives_up_after_three(interactions):
            give_up(interactions, attempts=4)  # one stream, three refused reconnects


        @pytest.mark.interactions(**REFUSED, gives_up_after=3)
        def test_gives_up_too_soon(interactions):
            give_up(interactions, attempts=2)


        @pytest.mark.interactions(**REFUSED, gives_up_after=3)
        def test_never_gives_up(interactions):
            with http(interactions) as client:
                sse_read(client, http_start(client))


        @pytest.mark.interactions(**REFUSED)
        def test_gives_up_undeclared(interactions):
            give_up(interactions, attempts=4)
        """,
    )
    record(pytester, 1, "-k", "test_record", directory="")
    result = replay(pytester)
    result.assert_outcomes(passed=2, failed=3)
    failure(
        result,
        "test_gives_up_too_soon",
        lines("[complete] the client gave up after 1 failed reconnect(s), earlier than the 3 declared"),
    )
    failure(
        result,
        "test_never_gives_up",
        lines(
            "[complete] the client kept reconnecting after 3 failed reconnects (5 in a row)",
            "instead of giving up",
        ),
    )
    failure(result, "test_gives_up_undeclared", lines("[complete] the client stopped reading the stream"))


def test_a_reconnect_that_ignores_retry_after_is_named(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        FAULTS = dict(cassette="stream.yaml", disconnect="after:3", reconnect=429, retry_after=30)


        @pytest.mark.interactions(cassette="stream.yaml")
        def test_record(interactions):
            with http(interactions) as client:
                sse_read(client, http_start(client))


        @pytest.mark.interactions(**FAULTS)
        def test_waits(interactions):
            with http(interactions) as client:
                sse_read(client, http_start(client))
            assert interactions.now >= 30


        @pytest.mark.interactions(**FAULTS)
        def test_sdk_waits(interactions):  # the SDK honours Retry-After on its own
            client = sdk(interactions)
            sdk_read(client, start(client))


        @pytest.mark.interactions(**FAULTS)
        def test_hasty(interactions):
            with http(interactions) as client:
                sse_read_hasty(client, http_start(client))
        """,
    )
    record(pytester, 1, "-k", "test_record", directory="")
    result = replay(pytester)
    # The SDK's requests differ from the recorded httpx ones only in headers: it replays too.
    result.assert_outcomes(passed=3, failed=1)
    failure(
        result,
        "test_hasty",
        lines(
            "[retry_after] GET /v1beta/interactions/v1_",
            "answered 429",
            "Retry-After: 30s",
            "tried again after 0.000s",
        ),
    )


def test_function_call_mistakes(pytester: pytest.Pytester) -> None:
    """A function_result for a call that was never made is named by the checks; arguments joined
    wrongly from their ``arguments_delta`` pieces never reach the wire, so the test compares them
    with ``interactions.recorded_calls``."""
    write(
        pytester,
        """
        def ask(client):
            return http_start(client, input="What is the weather in Paris right now?", tools=[WEATHER_TOOL])


        def answer(client, first, call_id):
            result = {"type": "function_result", "call_id": call_id, "name": "get_weather", "result": "sunny"}
            return client.post(
                "/interactions",
                json={"model": MODEL, "background": True, "input": [result],
                      "previous_interaction_id": first},
            )


        @pytest.mark.interactions(checks=True)
        def test_answers_its_call(interactions):
            with http(interactions) as client:
                first = ask(client)
                calls = sse_calls(client, first)
                assert calls == interactions.recorded_calls(first)
                assert answer(client, first, calls[0]["id"]).status_code == 200


        @pytest.mark.interactions(checks=True)
        def test_answers_another_call(interactions):
            with http(interactions) as client:
                first = ask(client)
                sse_calls(client, first)
                answer(client, first, "call_that_never_was")


        @pytest.mark.interactions
        def test_overwrites_arguments(interactions):
            with http(interactions) as client:
                first = ask(client)
                calls = sse_calls(client, first, overwrite=True)
            if not interactions.recording:
                assert calls == interactions.recorded_calls(first)
        """,
    )
    record(pytester, 3)
    result = replay(pytester)
    result.assert_outcomes(passed=1, failed=2)
    failure(
        result,
        "test_answers_another_call",
        lines(
            "[requires_action] a function_result at t=",
            "call_id='call_that_never_was'",
            "matches no function call of v1_",
        ),
    )
    failure(result, "test_overwrites_arguments", "E*assert*==*", "E*arguments*")
