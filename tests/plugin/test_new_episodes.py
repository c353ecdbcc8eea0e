"""``new_episodes`` after a changed prompt: the new interaction is recorded as itself, never
answered with the old prompt's exchanges."""

from __future__ import annotations

import pytest

# Imported here so that in-process pytester runs find them loaded (they unload what they import).
from google import genai  # noqa: F401
from recorded_suite import FAST, write

from pytest_interactions.cassette import load_cassette

SESSION = """
@pytest.mark.interactions
def test_ask(interactions):
    with http(interactions) as client:
        interaction_id = http_start(client, input={prompt!r})
        it = http_poll(client, interaction_id, interval=0.01)
    assert it["status"] == "completed"
    assert protocol.output_text(it).startswith("You asked: " + {prompt!r})  # the emulator echoes it
    assert protocol.output_text(it) == interactions.recorded_text(interaction_id)
"""


def test_new_episodes_after_a_prompt_change_records_the_new_interaction(pytester: pytest.Pytester) -> None:
    header = "from pytest_interactions import protocol\n"
    write(pytester, header + SESSION.format(prompt="Tell me about tides."))
    pytester.runpytest("--interactions-record-mode=once", *FAST).assert_outcomes(passed=1)
    cassette = pytester.path / "cassettes" / "test_session" / "test_ask.yaml"
    old_ids = {e.response.body.value["id"] for e in load_cassette(cassette).exchanges if e.response.body}

    write(pytester, header + SESSION.format(prompt="Tell me about volcanoes."))
    changed = pytester.runpytest(*FAST)
    changed.assert_outcomes(failed=1)
    changed.stdout.fnmatch_lines(["*differs in body*", "*run it with --interactions-record-mode=all*"])

    added = pytester.runpytest("--interactions-record-mode=new_episodes", *FAST)
    added.assert_outcomes(passed=1)
    exchanges = load_cassette(cassette).exchanges
    new_ids = {e.response.body.value["id"] for e in exchanges if e.response.body} - old_ids
    assert len(new_ids) == 1  # the new prompt got an id of its own

    pytester.runpytest(*FAST).assert_outcomes(passed=1)  # and replays as the new prompt's session
