"""Settings for a whole suite: merged markers, the ``interactions_config`` fixture, and what is
kept of the recordings of tests that failed."""

from __future__ import annotations

import pytest
import yaml

# Imported here so that in-process pytester runs find it loaded (they unload what they import).
from google import genai  # noqa: F401
from test_interactions_marker import CONFTEST, ONE_TEST, QUIET

FIXTURE = """
from pytest_interactions.cassette import RecordedRequest


def drop_key_header(request):
    \"\"\"Leave out a request header the suite does not want in cassettes.\"\"\"
    headers = [(k, v) for k, v in request.headers if k.lower() != "x-team"]
    return RecordedRequest(request.method, request.url, headers, request.body)


def skip_cancels(request):
    return None if request.url.endswith(":cancel") or request.url.endswith("/cancel") else request


@pytest.fixture(scope="module")
def interactions_config():
    return {"before_record_request": lambda r: skip_cancels(drop_key_header(r)), "checks": True}
"""


def test_markers_merge_and_the_config_fixture_sets_defaults(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST + FIXTURE)
    pytester.makepyfile(
        test_merged="""
        import httpx
        import pytest

        pytestmark = pytest.mark.interactions(cassette="module.yaml", checks=False)


        class TestGrouped:
            pytestmark = pytest.mark.interactions(replay="tape")

            @pytest.mark.interactions(virtual_time=False)
            def test_closest_wins_per_key(self, interactions, ask):
                ask("merged")
                options = interactions.session.config
                assert interactions.cassette_path.name == "module.yaml"  # from the module
                assert options.replay == "tape"  # from the class
                assert options.virtual_time is False  # from the function
                assert options.checks is False  # the module's marker wins over the config fixture
                with httpx.Client(base_url=interactions.base_url + "/v1beta",
                                  headers={"x-goog-api-key": interactions.api_key, "x-team": "red"}) as http:
                    body = {"model": "m", "input": "x", "background": True}
                    created = http.post("/interactions", json=body)
                    http.post(f"/interactions/{created.json()['id']}/cancel")
        """
    )
    pytester.runpytest("--interactions-record-mode=once", *QUIET).assert_outcomes(passed=1)
    recorded = yaml.safe_load((pytester.path / "cassettes" / "module.yaml").read_text())
    urls = [exchange["request"]["url"] for exchange in recorded["exchanges"]]
    assert not any(url.endswith("/cancel") for url in urls)  # the hook left the cancel out
    headers = [h for exchange in recorded["exchanges"] for h in exchange["request"].get("headers", {})]
    assert "x-team" not in headers
    pytester.runpytest(*QUIET, "-k", "closest").assert_outcomes(failed=1)  # the cancel was never recorded


def test_an_unknown_config_key_is_named(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        CONFTEST + "\n@pytest.fixture\ndef interactions_config():\n    return {'cassette': 'x.yaml'}\n"
    )
    pytester.makepyfile("def test_one(interactions):\n    pass\n")
    result = pytester.runpytest(*QUIET)
    result.stdout.fnmatch_lines(["*interactions_config got unknown key(s) cassette; it takes:*"])


@pytest.mark.parametrize(("option", "kept"), [((), True), (("--interactions-save-failed=no",), False)])
def test_the_cassette_of_a_failed_recording_is_kept_or_not(
    pytester: pytest.Pytester, option: tuple[str, ...], kept: bool
) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        test_fails="""
        import pytest

        @pytest.mark.interactions
        def test_wrong_expectation(ask):
            assert ask("hello") == "something else"
        """
    )
    result = pytester.runpytest("--interactions-record-mode=once", *QUIET, *option)
    result.assert_outcomes(failed=1)
    assert (pytester.path / "cassettes" / "test_fails" / "test_wrong_expectation.yaml").exists() is kept


@pytest.mark.parametrize("rule", ["report", "fail"])
def test_exchanges_never_replayed_are_reported_or_fail(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, rule: str
) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_questions=ONE_TEST)
    monkeypatch.setenv("EXTRA", "And what is a WebSocket?")
    pytester.runpytest("--interactions-record-mode=once", *QUIET).assert_outcomes(passed=1)
    monkeypatch.delenv("EXTRA")  # the test now asks one question of the two recorded

    pytester.runpytest(*QUIET).assert_outcomes(passed=1)  # ignored by default
    result = pytester.runpytest(f"--interactions-unplayed={rule}", *QUIET)
    if rule == "fail":
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(["*UnplayedExchangesError: 1 recorded exchange(s) of *test_ask.yaml*"])
    else:
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines(
            ["*pytest-interactions: unplayed exchanges*", "*test_ask: 1 recorded exchange(s)*never replayed*"]
        )
    result.stdout.fnmatch_lines(["*line *: POST http://*/v1beta/interactions"])


def test_a_vcr_config_that_is_not_a_dict_is_named_not_crashed_on() -> None:
    from pytest_interactions.plugin._vcr_config import translated

    assert translated(["filter_headers"]) == ({}, ["(the whole fixture): it returned list, not a dict"])
    assert translated({"filter_headers": [("X-Token", "XXX")], "serializer": "json"}) == (
        {"filter_headers": ["X-Token"]},
        ["serializer: cassettes are written in this plugin's YAML format (vcrpy cassettes are still read)"],
    )


def test_a_bad_max_streams_value_is_named(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ninteractions_max_streams = many\n")
    pytester.makepyfile("def test_x(interactions):\n    pass\n")
    result = pytester.runpytest("-p", "no:randomly")
    assert result.ret != 0
    assert "interactions_max_streams = 'many': give a whole number of at least 1" in (
        result.stdout.str() + result.stderr.str()
    )
