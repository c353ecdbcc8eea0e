"""A test fails with the documented exception class itself, so that a suite can name it: a client
known to break the protocol is marked ``xfail(raises=ProtocolCheckError)``, and mistakes can be
raised in the test body with ``interactions.raise_for_violations()``."""

from __future__ import annotations

import pytest
from recorded_suite import FAST, failure, lines, write

SUITE = """
from pytest_interactions import ProtocolCheckError

CUT = {"cassette": "stream.yaml", "disconnect": "after:4"}


def read(interactions, resume):
    with http(interactions) as client:
        interaction_id = http_start(client)
        text = sse_read(client, interaction_id, resume=resume).text
    assert text == interactions.recorded_text(interaction_id)  # only the checks can tell


@pytest.mark.interactions(cassette="stream.yaml")
def test_records_the_stream(interactions):
    read(interactions, "last")


@pytest.mark.xfail(raises=ProtocolCheckError, strict=True, reason="resumes from the start: known bug")
@pytest.mark.interactions(**CUT)
def test_a_client_known_to_resume_wrongly(interactions):
    read(interactions, "none")


@pytest.mark.interactions(**CUT)
def test_a_client_that_resumes_rightly(interactions):
    read(interactions, "last")


@pytest.mark.interactions(**CUT)
def test_mistakes_raised_in_the_body(interactions):
    read(interactions, "previous")
    with pytest.raises(ProtocolCheckError, match=r"\\[resume\\] reconnect #2"):
        interactions.raise_for_violations()
    # Raised and expected: the end of the test does not fail on them again.


@pytest.mark.interactions(**CUT)
def test_a_client_that_resumes_wrongly(interactions):
    read(interactions, "none")
"""


def test_check_findings_raise_protocol_check_error_itself(pytester: pytest.Pytester) -> None:
    write(pytester, SUITE)
    result = pytester.runpytest("--interactions-record-mode=once", *FAST)
    result.assert_outcomes(passed=3, xfailed=1, failed=1)
    failure(
        result,
        "test_a_client_that_resumes_wrongly",
        lines("ProtocolCheckError: pytest-interactions found 1 protocol mistake(s)"),
        lines("[resume] reconnect #2 to v1_", "did not carry last_event_id"),
    )
    reported = [line for line in result.outlines if line.startswith("ProtocolCheckError: ")]
    assert len(reported) == 1  # the message once, as the report's first line
    assert "_hooks.py" not in result.stdout.str()  # and no traceback through the plugin
