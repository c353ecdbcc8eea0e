"""No failure report prints a guarded value: not the message, not locals (``-l``), not the timeline."""

from __future__ import annotations

import pytest

KEY = "AIzaSyReportedNowhere0042"
QUIET = ("-p", "no:asyncio", "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:randomly")
LOUD = ("-l", "-vv", "--tb=long", "-rA")


@pytest.fixture
def keyed(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    return pytester


def output(result: pytest.RunResult) -> str:
    return "\n".join([*result.outlines, *result.errlines])


def test_a_refused_write_shows_no_key_even_with_locals(keyed: pytest.Pytester) -> None:
    keyed.makepyfile(
        """
        import os
        import httpx
        import pytest
        from pytest_interactions.session import use_cassette

        @pytest.mark.interactions
        def test_plugin_session(interactions):
            with httpx.Client(base_url=interactions.base_url + "/v1beta") as http:
                http.post("/interactions", headers={"x-goog-api-key": interactions.api_key},
                          json={"model": "m", "input": "key " + os.environ["GEMINI_API_KEY"]})

        def test_direct_session(interactions_server, tmp_path):
            with httpx.Client(base_url=interactions_server.base_url + "/v1beta") as http:
                with use_cassette(tmp_path / "direct.yaml", "once"):
                    http.post("/interactions", headers={"x-goog-api-key": "k"},
                              json={"model": "m", "input": "key " + os.environ["GEMINI_API_KEY"]})
        """
    )
    result = keyed.runpytest("--interactions-record-mode=once", *LOUD, *QUIET)
    result.assert_outcomes(passed=1, failed=1, errors=1)
    text = output(result)
    assert text.count("SecretLeakError") >= 2
    assert "$GEMINI_API_KEY appears in the cassette" in text
    assert KEY not in text


def test_an_unmatched_request_shows_no_key_in_path_query_or_body(keyed: pytest.Pytester) -> None:
    keyed.makepyfile(
        """
        import os
        import httpx
        import pytest

        @pytest.mark.interactions
        def test_replay(interactions):
            key = os.environ["GEMINI_API_KEY"]
            with httpx.Client(base_url=interactions.base_url + "/v1beta") as http:
                if interactions.recording:
                    http.get("/models")
                    return
                http.post(f"/files/{key}/parts", params={"state": key}, json={"note": key})
        """
    )
    keyed.runpytest("--interactions-record-mode=once", *QUIET).assert_outcomes(passed=1)
    result = keyed.runpytest("--interactions-record-mode=none", *LOUD, *QUIET)
    result.assert_outcomes(failed=1)
    text = output(result)
    assert "UnmatchedRequestError" in text
    assert "<REDACTED $GEMINI_API_KEY>" in text
    assert KEY not in text


def test_the_html_page_of_a_failing_recording_shows_what_the_cassette_will_hold(
    pytester: pytest.Pytester,
) -> None:
    """A key in a query parameter is scrubbed from the page as from the cassette, tooltips included."""
    pytester.makepyfile(
        test_page="""
        import httpx
        import pytest

        @pytest.mark.interactions
        def test_fails_while_recording(interactions):
            with httpx.Client(base_url=interactions.base_url + "/v1beta") as http:
                http.post("/interactions", params={"key": "QueryKeyOnThePage0042"},
                          headers={"x-goog-api-key": "HeaderKeyOnThePage0043"},
                          json={"model": "m", "input": "hi", "background": True})
            assert False, "the test fails, so its page is written"
        """
    )
    result = pytester.runpytest("--interactions-record-mode=once", "--interactions-html=pages", *QUIET)
    result.assert_outcomes(failed=1)
    (page,) = (pytester.path / "pages").glob("*.html")
    text = page.read_text()
    assert "/v1beta/interactions" in text
    assert "QueryKeyOnThePage0042" not in text
    assert "HeaderKeyOnThePage0043" not in text
