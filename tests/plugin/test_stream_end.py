"""The event that ends a run ends its stream: a client that stops reading there has read it all.

The API guide's own reconnect loop returns as soon as it sees ``interaction.completed`` and never
reads ``[DONE]``. Cuts placed after that event never reach it, and that is no failure; a client
that does read on to ``[DONE]`` meets the cut and must resume correctly.
"""

from __future__ import annotations

import pytest

# Imported here so that in-process pytester runs find them loaded (they unload what they import).
from google import genai  # noqa: F401
from google.genai import _interactions  # noqa: F401
from recorded_suite import failure, lines, record, recorded_events, replay, write

RECORDING = """
@pytest.mark.interactions(cassette="guide.yaml")
def test_record(interactions):
    client = sdk(interactions)
    interaction_id = start(client)
    assert guide_read(client, interaction_id) == interactions.recorded_text(interaction_id)
"""

SWEEPS = """
EVENTS = {events}


def cut_once(interactions, n):
    \"\"\"How many stream requests a client that reads past event ``n`` makes: two when it is cut.\"\"\"
    return 2 if interactions.transcript.faults else 1


@pytest.mark.interactions(cassette="guide.yaml", disconnect="each-event")
def test_guide(interactions):
    client = sdk(interactions)
    interaction_id = start(client)
    assert guide_read(client, interaction_id) == interactions.recorded_text(interaction_id)
    assert interactions.violations() == []


@pytest.mark.interactions(cassette="guide.yaml", disconnect="each-event")
async def test_guide_aio(interactions):
    client = sdk(interactions)
    created = await client.aio.interactions.create(model=MODEL, input=QUESTION, background=True)
    assert await aguide_read(client, created.id) == interactions.recorded_text(created.id)
    assert interactions.violations() == []


@pytest.mark.interactions(cassette="guide.yaml", disconnect="each-event")
def test_to_done(interactions):
    client = sdk(interactions)
    interaction_id = start(client)
    assert sdk_read(client, interaction_id).text == interactions.recorded_text(interaction_id)
    # Reading on to [DONE], it meets every cut, the last one included, and resumes.
    assert len(interactions.transcript.connections) == 2
    assert interactions.violations() == []


def after(n):
    return pytest.param(
        n, marks=pytest.mark.interactions(cassette="guide.yaml", disconnect=f"after:{{n}}"), id=f"after-{{n}}"
    )


@pytest.mark.parametrize("n", [after(n) for n in range(1, EVENTS + 1)])
def test_guide_after(interactions, n):
    client = sdk(interactions)
    interaction_id = start(client)
    assert guide_read(client, interaction_id) == interactions.recorded_text(interaction_id)
    assert len(interactions.transcript.connections) == (1 if n == EVENTS else 2)


@pytest.mark.parametrize("n", [after(n) for n in range(1, EVENTS + 1)])
async def test_guide_aio_after(interactions, n):
    client = sdk(interactions)
    created = await client.aio.interactions.create(model=MODEL, input=QUESTION, background=True)
    assert await aguide_read(client, created.id) == interactions.recorded_text(created.id)


@pytest.mark.parametrize("n", [after(n) for n in range(1, EVENTS + 1)])
def test_to_done_after(interactions, n):
    client = sdk(interactions)
    interaction_id = start(client)
    assert sdk_read(client, interaction_id).text == interactions.recorded_text(interaction_id)
    assert len(interactions.transcript.connections) == 2


@pytest.mark.interactions(cassette="guide.yaml", disconnect=f"after:{{EVENTS}}")
def test_to_done_resuming_from_the_start(interactions):
    client = sdk(interactions)
    interaction_id = start(client)
    sdk_read(client, interaction_id, resume="none")
"""


def test_the_guides_loop_passes_every_cut_and_a_loop_reading_to_done_resumes(
    pytester: pytest.Pytester,
) -> None:
    write(pytester, RECORDING)
    (cassette,) = record(pytester, 1, "-k", "test_record", directory="")
    events = recorded_events(cassette)
    assert events >= 8

    write(pytester, RECORDING + SWEEPS.format(events=events))
    result = replay(pytester, "-v")
    result.assert_outcomes(passed=1 + 6 * events, failed=1)
    last = f"cut-{events:02d}-interaction.completed"
    result.stdout.fnmatch_lines(
        [
            lines(f"test_guide[{last}] PASSED"),
            lines(f"test_guide_aio[{last}] PASSED"),
            lines(f"test_to_done[{last}] PASSED"),
            lines(f"test_guide_after[after-{events}] PASSED"),
            lines(f"test_guide_aio_after[after-{events}] PASSED"),
        ]
    )
    # The loop that reads to [DONE] meets the last cut; resuming from the start is named.
    failure(
        result,
        "test_to_done_resuming_from_the_start",
        lines("[resume] reconnect #2 to v1_", "did not carry last_event_id"),
        lines("[duplicates]", "delivered twice"),
    )
