"""Faults and checks as a test suite meets them: correct clients pass, wrong ones fail naming their mistake.

Each test writes a test module with ``pytester`` that drives the clients of ``session_clients.py``
(copied next to it as ``clients.py``): through the google-genai SDK and through httpx with
httpx-sse, sync and async. It records the module against the embedded emulator
(``--interactions-record-mode=once``), then replays it with the faults its markers declare.
"""

from __future__ import annotations

import pytest

# Imported here so that in-process pytester runs find them loaded (they unload what they import).
from google import genai  # noqa: F401
from google.genai import _interactions  # noqa: F401
from recorded_suite import FAST, failure, lines, record, recorded_events, replay, write

from pytest_interactions.cassette import load_cassette

# -- correct clients pass every fault ------------------------------------------------------------

#: The same session four ways; ``{marker}`` is the fault, ``{connections}`` the stream requests a
#: correct client makes under it.
FOUR_CLIENTS = """
@pytest.mark.interactions({marker})
def test_sdk(interactions):
    client = sdk(interactions)
    interaction_id = start(client)
    assert sdk_read(client, interaction_id).text == interactions.recorded_text(interaction_id)
    check(interactions)


@pytest.mark.interactions({marker})
def test_sse(interactions):
    with http(interactions) as client:
        interaction_id = http_start(client)
        assert sse_read(client, interaction_id).text == interactions.recorded_text(interaction_id)
    check(interactions)


@pytest.mark.interactions({marker})
async def test_sdk_async(interactions):
    client = sdk(interactions)
    created = await client.aio.interactions.create(model=MODEL, input=QUESTION, background=True)
    assert (await asdk_read(client, created.id)).text == interactions.recorded_text(created.id)
    check(interactions)


@pytest.mark.interactions({marker})
async def test_sse_async(interactions):
    async with ahttp(interactions) as client:
        interaction_id = await ahttp_start(client)
        text = (await asse_read(client, interaction_id)).text
        assert text == interactions.recorded_text(interaction_id)
    check(interactions)


def check(interactions):
    if interactions.recording:
        return
    assert interactions.violations() == []
    assert len(interactions.transcript.connections) == {connections}
"""


def test_correct_clients_pass_a_cut_after_every_event_of_the_stream(pytester: pytest.Pytester) -> None:
    write(pytester, FOUR_CLIENTS.format(marker='disconnect="each-event"', connections=2))
    result = pytester.runpytest("--interactions-record-mode=once", "-v", *FAST)
    result.assert_outcomes(passed=4)  # no cassette yet: each runs once, recording
    result.stdout.fnmatch_lines([lines("test_sdk[recording] PASSED")])
    cassette = pytester.path / "cassettes" / "test_session" / "test_sdk.yaml"
    assert cassette.exists()
    events = recorded_events(cassette)
    assert events >= 8

    result = replay(pytester, "-v")
    result.assert_outcomes(passed=4 * events)  # each run checked its one resume
    result.stdout.fnmatch_lines(
        [
            lines("test_sdk[cut-01-interaction.created] PASSED"),
            lines("test_sdk[cut-03-step.delta] PASSED"),
            lines(f"test_sdk[cut-{events:02d}-interaction.completed] PASSED"),
            lines("test_sse[cut-02-step.start] PASSED"),
            lines("test_sdk_async[cut-03-step.delta] PASSED"),
            lines(f"test_sse_async[cut-{events - 1:02d}-step.stop] PASSED"),
        ]
    )


@pytest.mark.parametrize(
    ("marker", "connections"),
    [
        pytest.param('disconnect="mid-event:4"', 2, id="mid-event"),
        pytest.param('disconnect="every:2"', 6, id="every-2"),
        pytest.param('disconnect="event:step.delta:2"', 2, id="second-delta"),
        pytest.param('disconnect="random:7:3"', 4, id="random"),
        pytest.param('disconnect="after:3", reconnect="refuse", reconnect_times=2', 4, id="refused"),
    ],
)
def test_correct_clients_pass_cuts_and_refused_reconnects(
    pytester: pytest.Pytester, marker: str, connections: int
) -> None:
    """Cut inside an event (the SDK and httpx-sse drop the half), after every other event, after
    the second text delta, at seeded random points (some inside events), or cut and then refused
    twice (ConnectError, which the SDK raises as APIConnectionError)."""
    write(pytester, FOUR_CLIENTS.format(marker=marker, connections=connections))
    record(pytester, 4)
    replay(pytester).assert_outcomes(passed=4)


def test_a_503_on_reconnect_is_waited_out_on_virtual_time(pytester: pytest.Pytester) -> None:
    """The SDK retries a 503 itself, after Retry-After; the httpx client sleeps it out itself."""
    write(
        pytester,
        """
        FAULTS = dict(disconnect="after:3", reconnect=503, reconnect_times=2, retry_after=30)


        def check(interactions, real):
            if interactions.recording:
                return
            refused = [c.refused for c in interactions.transcript.connections]
            assert refused == [None, "503 x2", "503 x2", None]
            assert interactions.now >= 60  # two Retry-After: 30 waits...
            assert real_monotonic() - real < 5  # ...that took no real time


        @pytest.mark.interactions(**FAULTS)
        def test_sdk(interactions):
            real = real_monotonic()
            client = sdk(interactions)
            interaction_id = start(client)
            assert sdk_read(client, interaction_id).text == interactions.recorded_text(interaction_id)
            check(interactions, real)


        @pytest.mark.interactions(**FAULTS)
        def test_sse(interactions):
            real = real_monotonic()
            with http(interactions) as client:
                interaction_id = http_start(client)
                assert sse_read(client, interaction_id).text == interactions.recorded_text(interaction_id)
            check(interactions, real)


        @pytest.mark.interactions(**FAULTS)
        async def test_sdk_async(interactions):
            real = real_monotonic()
            client = sdk(interactions)
            created = await client.aio.interactions.create(model=MODEL, input=QUESTION, background=True)
            assert (await asdk_read(client, created.id)).text == interactions.recorded_text(created.id)
            check(interactions, real)


        @pytest.mark.interactions(**FAULTS)
        async def test_sse_async(interactions):
            real = real_monotonic()
            async with ahttp(interactions) as client:
                interaction_id = await ahttp_start(client)
                text = (await asse_read(client, interaction_id)).text
                assert text == interactions.recorded_text(interaction_id)
            check(interactions, real)
        """,
    )
    record(pytester, 4)
    replay(pytester).assert_outcomes(passed=4)


def test_polls_answered_429_are_backed_off(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        FAULTS = dict(polls=429, poll_times=2, retry_after=5)


        def interval(interactions):
            return 0.05 if interactions.recording else 5  # more polls in the recording than in replay


        def check(interactions):
            if interactions.recording:
                return
            answered = [r.status for r in interactions.transcript.requests if r.method == "GET"]
            assert answered[:2] == [429, 429] and answered[-1] == 200
            assert interactions.now >= 15  # a 5 s poll interval, and two Retry-After: 5


        @pytest.mark.interactions(**FAULTS)
        def test_sdk(interactions):  # the SDK retries the 429s itself
            client = sdk(interactions)
            assert sdk_poll(client, start(client), interval=interval(interactions)).status == "completed"
            check(interactions)


        @pytest.mark.interactions(**FAULTS)
        def test_httpx(interactions):
            with http(interactions) as client:
                it = http_poll(client, http_start(client), interval=interval(interactions))
            assert it["status"] == "completed"
            check(interactions)


        @pytest.mark.interactions(**FAULTS)
        async def test_sdk_async(interactions):
            client = sdk(interactions)
            created = await client.aio.interactions.create(model=MODEL, input=QUESTION, background=True)
            it = await asdk_poll(client, created.id, interval=interval(interactions))
            assert it.status == "completed"
            check(interactions)


        @pytest.mark.interactions(**FAULTS)
        async def test_httpx_async(interactions):
            async with ahttp(interactions) as client:
                interaction_id = await ahttp_start(client)
                it = await ahttp_poll(client, interaction_id, interval=interval(interactions))
            assert it["status"] == "completed"
            check(interactions)
        """,
    )
    record(pytester, 4)
    replay(pytester).assert_outcomes(passed=4)


# -- wrong reconnect loops fail, naming the mistake ----------------------------------------------

#: The four clients of FOUR_CLIENTS resuming as ``{resume}`` says; each still ends with the right text
#: (it skips events it has already seen), so only the checks can tell.
WRONG_RESUME = """
@pytest.mark.interactions(disconnect="after:4")
def test_sdk(interactions):
    client = sdk(interactions)
    interaction_id = start(client)
    text = sdk_read(client, interaction_id, resume="{resume}").text
    assert text == interactions.recorded_text(interaction_id)


@pytest.mark.interactions(disconnect="after:4")
def test_sse(interactions):
    with http(interactions) as client:
        interaction_id = http_start(client)
        text = sse_read(client, interaction_id, resume="{resume}").text
    assert text == interactions.recorded_text(interaction_id)


@pytest.mark.interactions(disconnect="after:4")
async def test_sdk_async(interactions):
    client = sdk(interactions)
    created = await client.aio.interactions.create(model=MODEL, input=QUESTION, background=True)
    text = (await asdk_read(client, created.id, resume="{resume}")).text
    assert text == interactions.recorded_text(created.id)


@pytest.mark.interactions(disconnect="after:4")
async def test_sse_async(interactions):
    async with ahttp(interactions) as client:
        interaction_id = await ahttp_start(client)
        text = (await asse_read(client, interaction_id, resume="{resume}")).text
    assert text == interactions.recorded_text(interaction_id)
"""


def test_a_reconnect_without_last_event_id_is_named(pytester: pytest.Pytester) -> None:
    write(pytester, WRONG_RESUME.format(resume="none"))
    record(pytester, 4)  # nothing is cut while recording: the mistake does not show
    result = replay(pytester)
    result.assert_outcomes(failed=4)
    assert "During handling of the above exception" not in result.stdout.str()  # each report once
    mistake = (
        "[resume] reconnect #2 to v1_",
        "did not carry last_event_id (the stream starts again from the beginning); "
        "expected last_event_id=evt_000004, the last event the client fully received",
    )
    for test in ("test_sdk", "test_sse", "test_sdk_async", "test_sse_async"):
        failure(
            result,
            test,
            lines("ProtocolCheckError: pytest-interactions found 1 protocol mistake(s)"),
            lines(*mistake),
            # The events delivered twice follow from the wrong resume: folded under it.
            lines("it also shows as [duplicates] evt_000001..evt_000004 (4 events)", "delivered twice"),
            "timeline (virtual time since the test started):",
            lines("✂ cut after evt_000004 (after:4)"),
        )


def test_a_reconnect_from_the_event_before_the_last_is_named(pytester: pytest.Pytester) -> None:
    write(pytester, WRONG_RESUME.format(resume="previous"))
    record(pytester, 4)
    result = replay(pytester)
    result.assert_outcomes(failed=4)
    for test in ("test_sdk", "test_sse", "test_sdk_async", "test_sse_async"):
        failure(
            result,
            test,
            lines(
                "[resume] reconnect #2 to v1_",
                "carried last_event_id=evt_000003, an earlier event than the last one fully received "
                "(the events after it would arrive twice); expected last_event_id=evt_000004",
            ),
            lines("[duplicates] evt_000004 of v1_", "delivered twice (connections #1 and #2)"),
        )


def test_counting_an_event_cut_in_the_middle_is_named(pytester: pytest.Pytester) -> None:
    """A hand-written parser counts the half-received event; httpx-sse and the SDK drop the half."""
    write(
        pytester,
        """
        @pytest.mark.interactions(disconnect="mid-event:4")
        def test_counting(interactions):
            with http(interactions) as client:
                raw_read_counting(client, http_start(client))


        @pytest.mark.interactions(disconnect="mid-event:4")
        async def test_counting_async(interactions):
            async with ahttp(interactions) as client:
                await araw_read_counting(client, await ahttp_start(client))


        @pytest.mark.interactions(disconnect="mid-event:4")
        def test_sse(interactions):
            with http(interactions) as client:
                interaction_id = http_start(client)
                assert sse_read(client, interaction_id).text == interactions.recorded_text(interaction_id)
            if not interactions.recording:  # the half of evt_000004 never reached the client
                assert [c.resume_from for c in interactions.transcript.connections] == [None, "evt_000003"]
        """,
    )
    record(pytester, 3)
    result = replay(pytester)
    result.assert_outcomes(passed=1, failed=2)
    for test in ("test_counting", "test_counting_async"):
        failure(
            result,
            test,
            lines(
                "[resume] reconnect #2 to v1_",
                "carried last_event_id=evt_000004, but evt_000004 was cut in the middle and never fully "
                "received; expected last_event_id=evt_000003",
            ),
            lines("[duplicates] 1 event(s) of v1_", "were never delivered: evt_000004"),
            lines("evt_000004     step.delta  (half of it: cut inside)"),
            lines("✂ cut inside evt_000004 (mid-event:4)"),
        )


# -- wrong session logic fails, naming the mistake -----------------------------------------------


def test_requires_action_taken_as_the_end_is_named(pytester: pytest.Pytester) -> None:
    """The model calls a function: the right client answers with a chained function_result."""
    write(
        pytester,
        """
        @pytest.mark.interactions(disconnect="after:3")  # faults planned: the checks run
        def test_answers(interactions):
            ids, text = sdk_ask_with_tool(sdk(interactions))
            assert len(ids) == 2 and "sunny, 21 C" in text


        @pytest.mark.interactions(disconnect="after:3")
        def test_stops(interactions):
            ids, text = sdk_ask_with_tool(sdk(interactions), answer_calls=False)
            assert len(ids) == 1


        @pytest.mark.interactions(disconnect="after:3")
        async def test_answers_async(interactions):
            ids, text = await asdk_ask_with_tool(sdk(interactions))
            assert len(ids) == 2 and "sunny, 21 C" in text


        @pytest.mark.interactions(disconnect="after:3")
        async def test_stops_async(interactions):
            ids, text = await asdk_ask_with_tool(sdk(interactions), answer_calls=False)
            assert len(ids) == 1
        """,
    )
    record(pytester, 4)
    result = replay(pytester)
    result.assert_outcomes(passed=2, failed=2)
    for test in ("test_stops", "test_stops_async"):
        failure(
            result,
            test,
            lines(
                "[requires_action] v1_",
                "reported 'requires_action' at t=",
                "but the client treated it as finished: no create with previous_interaction_id=v1_",
            ),
            lines("is requires_action (seen by stream)"),
        )


def test_polling_after_completed_is_named(pytester: pytest.Pytester) -> None:
    """Two or more reads after a terminal status are a loop that missed the end; one is not."""
    write(
        pytester,
        """
        def interval(interactions):
            return 0.05 if interactions.recording else 5


        @pytest.mark.interactions(checks=True)
        def test_sdk(interactions):
            client = sdk(interactions)
            it = sdk_poll(client, start(client), interval=interval(interactions))
            assert it.status == "completed"


        @pytest.mark.interactions(checks=True)
        def test_sdk_polls_on(interactions):
            client = sdk(interactions)
            it = sdk_poll(client, start(client), interval=interval(interactions), extra_polls=2)
            assert it.status == "completed"


        @pytest.mark.interactions(checks=["polling"])
        def test_httpx_polls_on(interactions):
            with http(interactions) as client:
                it = http_poll(client, http_start(client), interval=interval(interactions), extra_polls=3)
            assert it["status"] == "completed"


        @pytest.mark.interactions(checks=True)
        async def test_httpx_async_one_last_read(interactions):
            # "poll until done, then one GET for the full result": not a polling mistake
            async with ahttp(interactions) as client:
                interaction_id = await ahttp_start(client)
                it = await ahttp_poll(client, interaction_id, interval=interval(interactions), extra_polls=1)
            assert it["status"] == "completed"
            if not interactions.recording:
                assert [r.operation for r in interactions.transcript.requests].count("get") == 2
        """,
    )
    record(pytester, 4)
    result = replay(pytester, "-rA")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(["PASSED test_session.py::test_httpx_async_one_last_read"])
    for test, times in (
        ("test_sdk_polls_on", 2),
        ("test_httpx_polls_on", 3),
    ):
        failure(
            result,
            test,
            lines("[polling] polled v1_", f"{times} more time(s) after it reported 'completed' at t=5."),
        )


def test_chaining_onto_a_running_interaction_is_named(pytester: pytest.Pytester) -> None:
    """The client chains at once, gets the API's 400, waits and chains again: it ends well, but the
    replay answers the early chain 400 as the API did and the check names it."""
    write(
        pytester,
        """
        @pytest.mark.interactions(checks=True)
        def test_chains_at_once_sdk(interactions):
            client = sdk(interactions)
            follow_up = sdk_chain_too_early(client, "What is SSE?", "And WebSockets?")
            assert sdk_poll(client, follow_up, interval=0.5).status == "completed"


        @pytest.mark.interactions(checks=True)
        def test_chains_at_once(interactions):
            with http(interactions) as client:
                follow_up = http_chain_too_early(client, "What is SSE?", "And WebSockets?")
                assert http_poll(client, follow_up, interval=0.5)["status"] == "completed"


        @pytest.mark.interactions(checks=True)
        async def test_chains_at_once_async(interactions):
            async with ahttp(interactions) as client:
                follow_up = await ahttp_chain_too_early(client, "What is SSE?", "And WebSockets?")
                assert (await ahttp_poll(client, follow_up, interval=0.5))["status"] == "completed"
        """,
    )
    # The early chain races the emulator's run in real time: at speed 1 a run lasts about a second,
    # so the chain sent right after the create meets it running even on a loaded machine (at
    # speed 10, 0.1 s, a busy machine sometimes sent it after the run had ended).
    for cassette in record(pytester, 3, "--interactions-emulator-speed=1"):
        answers = [e.response.status for e in load_cassette(cassette).exchanges if e.response]
        assert 400 in answers  # the emulator refused the early chain
        assert answers[-1] == 200
    result = replay(pytester)
    result.assert_outcomes(failed=3)
    for test in ("test_chains_at_once_sdk", "test_chains_at_once", "test_chains_at_once_async"):
        failure(
            result,
            test,
            lines("found 1 protocol mistake(s)"),  # the wait-and-retry is fine
            lines(
                "[chaining] chained a create onto v1_",
                "at t=0.000s while it was still in_progress (the API answers 400 Bad Request)",
            ),
            lines("POST   /v1beta/interactions -> 400"),
        )


# -- protocol faults without re-recording --------------------------------------------------------


def test_injected_failure_cancellation_and_requires_action(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        @pytest.mark.interactions(inject="failure:3")
        def test_failure(interactions):
            client = sdk(interactions)
            interaction_id = start(client)
            reader = sdk_read(client, interaction_id)
            if interactions.recording:
                assert reader.status == "completed"
                return
            assert reader.status == "failed"
            assert reader.errors == [{"code": "injected_failure", "message": "Injected failure."}]
            assert len(reader.ids) == 3 + 2  # three recorded events, then the error and the status
            assert client.interactions.get(interaction_id).status == "failed"  # polls agree


        @pytest.mark.interactions(inject="failure:3")
        async def test_failure_async(interactions):
            async with ahttp(interactions) as client:
                interaction_id = await ahttp_start(client)
                reader = await asse_read(client, interaction_id)
                it = await ahttp_poll(client, interaction_id, interval=0.5)
            if not interactions.recording:
                assert reader.status == it["status"] == "failed"
                assert it["errors"][0]["code"] == "injected_failure"


        @pytest.mark.interactions(inject="cancellation:3")
        async def test_cancellation(interactions):
            async with ahttp(interactions) as client:
                interaction_id = await ahttp_start(client)
                reader = await asse_read(client, interaction_id)
                polled = (await client.get(f"/interactions/{interaction_id}")).json()
            if not interactions.recording:
                assert reader.status == polled["status"] == "cancelled"


        @pytest.mark.interactions(inject="requires_action:3", checks=["resume", "duplicates", "states"])
        def test_requires_action(interactions):
            client = sdk(interactions)
            reader = sdk_read(client, start(client))
            assert reader.status == ("completed" if interactions.recording else "requires_action")


        @pytest.mark.interactions(inject="requires_action:3")
        def test_requires_action_unanswered(interactions):
            client = sdk(interactions)
            sdk_read(client, start(client))
        """,
    )
    record(pytester, 5)
    result = replay(pytester)
    result.assert_outcomes(passed=4, failed=1)
    failure(
        result,
        "test_requires_action_unanswered",
        lines("[requires_action] v1_", "but the client treated it as finished"),
        lines("evt_000003-1-injected interaction.completed"),
    )


# -- virtual time ------------------------------------------------------------------------------


def test_sleeps_and_timeouts_run_on_virtual_time(pytester: pytest.Pytester) -> None:
    """A function-calling session polled every 5 s: two waits of 5 s each, in no real time."""
    write(
        pytester,
        """
        def interval(interactions):
            return 0.05 if interactions.recording else 5  # more polls in the recording than in replay


        @pytest.mark.interactions
        def test_sleep(interactions):
            real, monotonic, wall = real_monotonic(), time.monotonic(), datetime.now(timezone.utc)
            with http(interactions) as client:
                it = http_ask_with_tool(client, interval=interval(interactions))
            assert it["status"] == "completed"
            assert "sunny, 21 C" in it["steps"][-1]["content"][0]["text"]
            if not interactions.recording:
                assert 10 <= interactions.now < 11
                assert 10 <= time.monotonic() - monotonic < 11
                assert 10 <= (datetime.now(timezone.utc) - wall).total_seconds() < 11
                assert real_monotonic() - real < 5
                polls = [r.at for r in interactions.transcript.requests if r.operation == "get"]
                assert polls == pytest.approx([5, 10], abs=0.5)


        @pytest.mark.interactions
        async def test_asyncio_sleep(interactions):
            real, loop = real_monotonic(), asyncio.get_running_loop()
            started = loop.time()
            async with ahttp(interactions) as client:
                it = await ahttp_ask_with_tool(client, interval=interval(interactions))
            assert it["status"] == "completed"
            if not interactions.recording:
                assert 10 <= interactions.now < 11
                assert 10 <= loop.time() - started < 11
                assert real_monotonic() - real < 5


        @pytest.mark.interactions
        async def test_timeout(interactions):
            # The mistake this timeout guards against: waiting for 'completed' while the
            # interaction waits for a function result.
            real, loop = real_monotonic(), asyncio.get_running_loop()
            async with ahttp(interactions) as client:
                interaction_id = await ahttp_start(client, input="Weather in Paris?", tools=[WEATHER_TOOL])
                started, now = loop.time(), interactions.now
                with pytest.raises(asyncio.TimeoutError):
                    poll = ahttp_poll(
                        client, interaction_id, interval=interval(interactions), until="completed"
                    )
                    await asyncio.wait_for(poll, timeout=0.5 if interactions.recording else 12)
            if not interactions.recording:
                assert 12 <= loop.time() - started < 12.5
                assert 12 <= interactions.now - now < 12.5
                assert real_monotonic() - real < 5
                polls = [r.at - now for r in interactions.transcript.requests if r.operation == "get"]
                assert polls == pytest.approx([5, 10], abs=0.5)
        """,
    )
    record(pytester, 3)
    replay(pytester).assert_outcomes(passed=3)


# -- the fixture's transcript, unknown resume ids, tape replay -----------------------------------


def test_a_test_asserts_on_the_transcript(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        @pytest.mark.interactions(disconnect="every:4")
        def test_resumes(interactions):
            client = sdk(interactions)
            interaction_id = start(client)
            sdk_read(client, interaction_id)
            if interactions.recording:
                return
            connections = interactions.transcript.connections
            assert [(c.resume_from, c.cut) for c in connections] == [
                (None, "after evt_000004 (every:4)"),
                ("evt_000004", "after evt_000008 (every:4)"),
                ("evt_000008", None),
            ]
            assert [d.event_id for d in connections[1].deliveries] == [
                "evt_000005", "evt_000006", "evt_000007", "evt_000008"
            ]
            assert connections[-1].reached_end and not connections[0].reached_end
            assert {c.interaction_id for c in connections} == {interaction_id}
            assert interactions.violations() == []
            statuses = [(s.status, s.source) for s in interactions.transcript.statuses]
            assert statuses[0] == ("in_progress", "create") and statuses[-1] == ("completed", "stream")
        """,
    )
    record(pytester, 1)
    replay(pytester).assert_outcomes(passed=1)


def test_a_resume_from_an_unknown_event_id_fails_naming_it(pytester: pytest.Pytester) -> None:
    """A client written for the Responses API resumes with its event count; it swallows the 400
    and falls back to a poll, but the test fails anyway."""
    write(
        pytester,
        """
        import time

        from google.genai._interactions import APIConnectionError, BadRequestError


        def read_with_count(client, interaction_id):
            count = 0
            for _ in range(5):
                try:
                    since = str(count) if count else None
                    for event in client.interactions.get(interaction_id, stream=True, last_event_id=since):
                        count += 1
                    return
                except APIConnectionError:
                    time.sleep(1)  # backs off before trying again
                    continue
                except BadRequestError:
                    client.interactions.get(interaction_id)
                    return


        @pytest.mark.interactions(disconnect="after:4")
        def test_resumes_with_a_count(interactions):
            client = sdk(interactions)
            read_with_count(client, start(client))
        """,
    )
    record(pytester, 1)
    result = replay(pytester)
    result.assert_outcomes(failed=1)
    failure(
        result,
        "test_resumes_with_a_count",
        lines(
            "UnmatchedRequestError: the client resumed v1_",
            "from last_event_id=4, an event id the stream never had (its ids: evt_000001, evt_000002,",
        ),
    )


def test_tape_replay_still_replays_a_straight_session(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        """
        @pytest.mark.interactions(replay="tape")
        def test_sdk(interactions):
            client = sdk(interactions)
            interaction_id = start(client)
            assert sdk_read(client, interaction_id).text == interactions.recorded_text(interaction_id)
            assert client.interactions.get(interaction_id).status == "completed"


        @pytest.mark.interactions(replay="tape")
        async def test_sse_async(interactions):
            async with ahttp(interactions) as client:
                interaction_id = await ahttp_start(client)
                text = (await asse_read(client, interaction_id)).text
            assert text == interactions.recorded_text(interaction_id)
        """,
    )
    record(pytester, 2)
    replay(pytester).assert_outcomes(passed=2)
