"""OpenAI background responses recorded with the official SDK and replayed through every cut.

The stream's events carry ``sequence_number``; a dropped stream is resumed with
``responses.retrieve(id, stream=True, starting_after=N)``. Replay keys the stream by response id,
resumes it after any event, and the checks speak the dialect: a loop that resumes from event 0
or one event early is named with the ``starting_after`` it sent and the one it should have sent.
"""

from __future__ import annotations

from pathlib import Path

import openai  # noqa: F401  (loaded here: in-process pytester runs unload what they import)
import pytest
from recorded_suite import FAST, INI, failure, lines, recorded_events, replay

from pytest_interactions.cassette import load_cassette

CLIENTS = (Path(__file__).parent / "openai_clients.py").read_text()

HEADER = """\
import pytest

from openai_clients import *

"""

RECORDING = """
@pytest.mark.interactions(cassette="background.yaml")
def test_record(interactions):
    reader = background_read(client(interactions))
    assert reader.final.status == "completed"
    assert reader.text == reader.final.output_text
    assert reader.received == list(range(len(reader.received)))


@pytest.mark.interactions(cassette="polled.yaml")
def test_record_polled(interactions):
    response, statuses = poll_until_done(client(interactions))
    assert response.status == "completed" and response.output_text.startswith("You asked:")
"""

SWEEPS = """
EVENTS = {events}


@pytest.mark.interactions(cassette="background.yaml", disconnect="each-event")
def test_right_loop(interactions):
    reader = background_read(client(interactions))
    assert reader.text == reader.final.output_text
    assert reader.received == list(range(EVENTS))
    assert interactions.violations() == []


@pytest.mark.interactions(cassette="background.yaml", disconnect="each-event")
async def test_right_loop_aio(interactions):
    reader = await abackground_read(aclient(interactions))
    assert reader.text == reader.final.output_text
    assert interactions.violations() == []


@pytest.mark.interactions(cassette="background.yaml", disconnect="after:6")
def test_resumes_from_zero(interactions):
    background_read(client(interactions), resume="zero")


@pytest.mark.interactions(cassette="background.yaml", disconnect="after:6")
def test_resumes_one_early(interactions):
    background_read(client(interactions), resume="previous")


@pytest.mark.interactions(cassette="polled.yaml")
def test_polled(interactions):
    response, statuses = poll_until_done(client(interactions))
    assert response.status == "completed" and response.output_text.startswith("You asked:")
    assert statuses[0] == "queued" and statuses[-1] == "completed"
    assert interactions.violations() == []
"""


INJECTED = """

@pytest.mark.interactions(cassette="background.yaml", inject="failure:6")
def test_failed_stream_handled(interactions):
    api = client(interactions)
    final = read_outcome(api)
    assert final.status == "failed"
    assert final.error.message == "Injected failure."
    assert api.responses.retrieve(final.id).status == "failed"  # polls agree


@pytest.mark.interactions(cassette="background.yaml", inject="cancellation:6")
def test_cancelled_stream_handled(interactions):
    final = read_outcome(client(interactions))
    assert final.status == "cancelled"
    assert final.error is None


@pytest.mark.interactions(cassette="background.yaml", inject="cancellation:6")
def test_cancelled_stream_taken_for_the_answer(interactions):
    assert read_text(client(interactions)).startswith("You asked:")


@pytest.mark.interactions(cassette="polled.yaml", inject="failure:poll:1")
def test_failed_poll_handled(interactions):
    response, statuses = poll_until_done(client(interactions))
    assert statuses[-1] == response.status == "failed"
    assert response.error.message == "Injected failure."


@pytest.mark.interactions(cassette="polled.yaml", inject="failure:poll:1")
def test_failed_poll_waited_on_until_completed(interactions):
    poll_until_completed(client(interactions))


@pytest.mark.interactions(cassette="background.yaml", inject="requires_action:6")
def test_requires_action(interactions):
    read_outcome(client(interactions))
"""


def write(pytester: pytest.Pytester, source: str) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(openai_clients=CLIENTS)
    pytester.makepyfile(test_session=HEADER + source)


def test_background_streams_replay_through_every_cut_and_wrong_resumes_are_named(
    pytester: pytest.Pytester,
) -> None:
    write(pytester, RECORDING)
    result = pytester.runpytest("--interactions-record-mode=once", "--interactions-no-faults", *FAST)
    result.assert_outcomes(passed=2)
    cassette = pytester.path / "cassettes" / "background.yaml"
    events = recorded_events(cassette)
    assert events >= 12
    # One create, its stream recorded as events with their sequence numbers, under the response id.
    (exchange,) = load_cassette(cassette).exchanges
    assert exchange.request.url.endswith("/v1/responses")

    write(pytester, RECORDING + SWEEPS.format(events=events))
    result = replay(pytester, "-v")
    result.assert_outcomes(passed=3 + 2 * events, failed=2)
    result.stdout.fnmatch_lines(
        [
            lines("test_right_loop[cut-01-response.created] PASSED"),
            lines(f"test_right_loop[cut-{events:02d}-response.completed] PASSED"),
            lines(f"test_right_loop_aio[cut-{events:02d}-response.completed] PASSED"),
        ]
    )
    failure(
        result,
        "test_resumes_from_zero",
        lines(
            "[resume] reconnect #2 to resp_",
            "carried starting_after=0, an earlier event",
            "expected starting_after=5",
        ),
        lines("[duplicates]", "delivered twice"),
    )
    failure(
        result,
        "test_resumes_one_early",
        lines(
            "[resume] reconnect #2 to resp_",
            "carried starting_after=4, an earlier event",
            "expected starting_after=5",
        ),
        lines("[duplicates]", "5 of resp_", "delivered twice"),
    )


def test_injected_failures_and_cancellations_take_the_responses_apis_form(pytester: pytest.Pytester) -> None:
    write(pytester, RECORDING)
    result = pytester.runpytest("--interactions-record-mode=once", "--interactions-no-faults", *FAST)
    result.assert_outcomes(passed=2)

    write(pytester, RECORDING + INJECTED)
    result = replay(pytester)
    result.assert_outcomes(passed=5, failed=2, errors=1)
    failure(
        result,
        "test_cancelled_stream_taken_for_the_answer",
        lines(
            "inject=cancellation:6: the stream of resp_",
            "ended after event 6 with no event that ends a run (the openai API tells a cancelled run so)",
            "the client never asked how the run ended: it took a stream that stopped for a finished run",
        ),
    )
    failure(
        result,
        "test_failed_poll_waited_on_until_completed",
        lines("[polling] polled resp_", "more time(s) after it reported 'failed'"),
    )
    result.stdout.fnmatch_lines(
        [
            lines("ERROR at setup of test_requires_action"),
            lines(
                "inject='requires_action:6' cannot apply: the openai API has no requires_action: a response "
                "that calls a function completes with the function_call item in its output"
            ),
        ]
    )
