"""Live contract mode through pytester: a suite recorded once is run again with
``--interactions-contract`` against an emulator whose behaviour changed; each changed behaviour
fails its test with exactly that drift, unchanged behaviour passes, committed cassettes stay as
they were, and one summary comes at the end."""

from __future__ import annotations

from pathlib import Path

import pytest

SUITE = """
import os

import httpx
import pytest
from httpx_sse import connect_sse

from pytest_interactions.emulator import Script

VARIANT = os.environ.get("SERVER_VARIANT", "base")


def story(request):
    script = Script().step(
        {"type": "thought"}, [{"type": "thought_summary", "content": {"type": "text", "text": "Hm."}}]
    )
    if VARIANT == "extra-event":
        script.status("in_progress")
    usage = {"tokens_total": 3} if VARIANT == "renamed-field" else {"total_tokens": 3}
    status = "requires_action" if VARIANT == "status-path" else "completed"
    return script.text("A short answer about tides.").finish(status, usage=usage)


@pytest.mark.interactions
def test_session(interactions):
    if interactions.emulator is not None:
        interactions.emulator.scenarios.register("story", story, when=lambda request: True)
    with httpx.Client(base_url=interactions.base_url + "/v1beta", headers={"x-goog-api-key": "k"}) as http:
        created = http.post("/interactions", json={"model": "m", "input": "tides", "background": True}).json()
        with connect_sse(http, "GET", f"/interactions/{created['id']}", params={"stream": "true"}) as source:
            events = [event.data for event in source.iter_sse()]
        assert events[-1] == "[DONE]"
        http.get(f"/interactions/{created['id']}", params={"stream": "false"})


def test_without_cassettes():
    pass
"""

FAST = "--interactions-emulator-speed=200"


@pytest.fixture
def recorded(pytester: pytest.Pytester) -> Path:
    """The suite, recorded once against the unchanged emulator; its committed cassette."""
    pytester.makepyfile(test_contract=SUITE)
    pytester.runpytest_subprocess("--interactions-record-mode=once", FAST).assert_outcomes(passed=2)
    cassette = pytester.path / "cassettes" / "test_contract" / "test_session.yaml"
    assert cassette.exists()
    return cassette


def contract_run(
    pytester: pytest.Pytester, variant: str, monkeypatch: pytest.MonkeyPatch
) -> pytest.RunResult:
    monkeypatch.setenv("SERVER_VARIANT", variant)
    scratch = pytester.path / "fresh"
    return pytester.runpytest_subprocess(
        "--interactions-contract", f"--interactions-contract-dir={scratch}", FAST
    )


def test_an_unchanged_api_passes(
    pytester: pytest.Pytester, recorded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = recorded.read_bytes()
    result = contract_run(pytester, "base", monkeypatch)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*interactions contract*",
            "test_contract.py::test_session: no drift",
            "1 test(s) checked against their cassettes, 0 drifted; "
            f"fresh recordings in {pytester.path / 'fresh'}",
        ]
    )
    assert recorded.read_bytes() == before
    assert (pytester.path / "fresh" / "test_contract" / "test_session.yaml").exists()


@pytest.mark.parametrize(
    ("variant", "drift"),
    [
        (
            "renamed-field",
            [
                "interaction #1: [fields] interaction.completed: field "
                "interaction.usage.total_tokens renamed to interaction.usage.tokens_total (number)",
                "interaction #1: [fields] get answer: field usage.total_tokens renamed to usage.tokens_total "
                "(number)",
            ],
        ),
        ("extra-event", ["interaction #1: [events] events added after step.stop: interaction.status_update"]),
        (
            "status-path",
            [
                "interaction #1: [status-path] statuses answered: in_progress -> completed became "
                "in_progress -> requires_action",
                "interaction #1: [status-path] statuses streamed: in_progress -> completed became "
                "in_progress -> requires_action",
            ],
        ),
    ],
)
def test_a_changed_api_fails_the_test_naming_each_change(
    pytester: pytest.Pytester, recorded: Path, monkeypatch: pytest.MonkeyPatch, variant: str, drift: list[str]
) -> None:
    before = recorded.read_bytes()
    result = contract_run(pytester, variant, monkeypatch)
    result.assert_outcomes(passed=1, failed=1)
    report = [f"  {line}" for line in drift]
    result.stdout.fnmatch_lines(
        [f"*the API drifted from {recorded} ({len(drift)} difference(s)):", *report, "fresh recording: *"]
    )
    result.stdout.fnmatch_lines(
        [
            f"test_contract.py::test_session: DRIFT, {len(drift)} difference(s)",
            *[f"    {line}" for line in drift],
            "1 test(s) checked against their cassettes, 1 drifted; *",
        ]
    )
    assert "[fields]" not in result.stdout.str() or variant == "renamed-field"
    assert recorded.read_bytes() == before


def test_a_test_without_a_committed_cassette_is_skipped(
    pytester: pytest.Pytester, recorded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded.unlink()
    result = contract_run(pytester, "base", monkeypatch)
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["test_contract.py::test_session: no committed cassette *"])
    assert not recorded.exists()


def test_under_xdist_one_summary_covers_the_workers(
    pytester: pytest.Pytester, recorded: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERVER_VARIANT", "extra-event")
    monkeypatch.delenv("PYTEST_INTERACTIONS_CONTRACT_DIR", raising=False)
    result = pytester.runpytest_subprocess("--interactions-contract", FAST, "-p", "xdist", "-n", "2")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "test_contract.py::test_session: DRIFT, 1 difference(s)",
            "1 test(s) checked against their cassettes, 1 drifted; "
            "fresh recordings in *interactions-contract-*",
        ]
    )
    summary = next(line for line in result.stdout.lines if "fresh recordings in" in line)
    scratch = Path(summary.rsplit(" ", 1)[-1])
    assert (scratch / "test_contract" / "test_session.yaml").exists()  # written by a worker


FAULT_TESTS = """
import httpx
import pytest


def stream(interactions):
    with httpx.Client(base_url=interactions.base_url + "/v1beta", headers={"x-goog-api-key": "k"}) as http:
        created = http.post("/interactions", json={"model": "m", "input": "tides", "background": True}).json()
        with http.stream("GET", f"/interactions/{created['id']}", params={"stream": "true"}) as answer:
            answer.read()


@pytest.mark.interactions(disconnect="after:2", checks=False)
def test_marker_faults(interactions):
    if interactions.recording:
        return stream(interactions)
    with pytest.raises(httpx.RemoteProtocolError):
        stream(interactions)


@pytest.mark.interactions(checks=False)
def test_body_faults(interactions):
    interactions.faults.disconnect("after:2")
    if interactions.recording:
        return stream(interactions)
    with pytest.raises(httpx.RemoteProtocolError):
        stream(interactions)
"""


def test_fault_tests_are_skipped_saying_why(pytester: pytest.Pytester) -> None:
    """Their assertions are about injected failures, which a live recording never holds."""
    pytester.makepyfile(test_faults=FAULT_TESTS)
    recorded = pytester.runpytest_subprocess(
        "--interactions-record-mode=once", "--interactions-no-faults", FAST
    )
    recorded.assert_outcomes(passed=2)
    pytester.runpytest_subprocess(FAST).assert_outcomes(passed=2)  # the ordinary run replays with faults
    scratch = pytester.path / "fresh"
    result = pytester.runpytest_subprocess(
        "--interactions-contract", f"--interactions-contract-dir={scratch}", FAST, "-rs"
    )
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(
        [
            "*contract mode records each test live, without faults, and this test plans faults "
            "(disconnect='after:2'), which apply in replay only*",
            "*this test plans faults (interactions.faults)*",
        ],
        consecutive=False,
    )


SHARED_TESTS = """
import httpx
import pytest

SHARED = pytest.mark.interactions(cassette="shared.yaml")


def ask(interactions):
    with httpx.Client(base_url=interactions.base_url + "/v1beta", headers={"x-goog-api-key": "k"}) as http:
        created = http.post("/interactions", json={"model": "m", "input": "tides"}).json()
    assert created["status"] == "completed"


@SHARED
def test_first(interactions):
    ask(interactions)


@SHARED
def test_second(interactions):
    ask(interactions)


@SHARED
def test_third(interactions):
    ask(interactions)
"""


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_tests_sharing_a_cassette_are_each_compared_with_what_the_service_did(
    pytester: pytest.Pytester, workers: tuple[str, ...]
) -> None:
    """The tests that replayed the run's fresh shared recording are judged by it, not as empty."""
    pytester.makepyfile(test_shared=SHARED_TESTS)
    pytester.runpytest_subprocess("--interactions-record-mode=once", FAST).assert_outcomes(passed=3)
    scratch = pytester.path / "fresh"
    result = pytester.runpytest_subprocess(
        "--interactions-contract", f"--interactions-contract-dir={scratch}", FAST, *workers
    )
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*3 test(s) checked against their cassettes, 0 drifted*"])
    assert "became" not in result.stdout.str()
