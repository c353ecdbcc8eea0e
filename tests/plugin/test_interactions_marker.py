"""The ``interactions`` marker and fixture, as a test suite uses them (run through ``pytester``).

Recording needs no server fixture: ``interactions.base_url`` points at an embedded emulator while
recording and at the recorded address in replay, where nothing listens and nothing needs to.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

# Imported here so that in-process pytester runs find it loaded (they unload what they import).
from google import genai  # noqa: F401

#: pytest-asyncio warns about its unset ini key in every inner run; hypothesis's plugin, re-imported
#: by every in-process run, costs a second.
QUIET = ("-p", "no:asyncio", "-p", "no:cacheprovider", "-p", "no:hypothesispytest")

CONFTEST = """
import os

import httpx
import pytest


@pytest.fixture
def ask(interactions):
    \"\"\"Ask the Interactions API a question; returns the answer text.\"\"\"
    with httpx.Client(base_url=interactions.base_url + "/v1beta", timeout=10,
                      headers={"x-goog-api-key": interactions.api_key}) as http:
        def ask(text):
            answer = http.post("/interactions", json={"model": "gemini-3.5-flash", "input": text})
            assert answer.status_code == 200, answer.text
            return answer.json()["steps"][0]["content"][0]["text"]
        yield ask
"""

ONE_TEST = """
import os

import pytest

from pytest_interactions.emulator import answer_for

QUESTION = os.environ.get("QUESTION", "What is SSE?")
EXTRA = os.environ.get("EXTRA")


@pytest.mark.interactions
def test_ask(interactions, ask):
    assert ask(QUESTION) == answer_for(QUESTION)
    if EXTRA:
        assert ask(EXTRA) == answer_for(EXTRA)
    print("RECORDING" if interactions.recording else "REPLAYING", interactions.base_url)
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*args, *QUIET)


def exchanges(path: Path) -> list[dict[str, object]]:
    document = yaml.safe_load(path.read_text())
    return list(document["exchanges"])


def inputs(path: Path) -> list[str]:
    """The input of each request, from its JSON body (a block of JSON text in the file)."""
    return [json.loads(e["request"]["json"])["input"] for e in exchanges(path)]  # type: ignore[index]


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_questions=ONE_TEST)
    return pytester


CASSETTE = Path("cassettes") / "test_questions" / "test_ask.yaml"


# -- where cassettes go --------------------------------------------------------------------------


def test_the_default_cassette_path_is_module_path_then_test_name(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.mkpydir("tests")
    (pytester.path / "tests" / "api").mkdir()
    (pytester.path / "tests" / "api" / "test_paths.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.interactions\n"
        "def test_plain(interactions, ask):\n"
        "    ask('plain')\n"
        "    assert interactions.cassette_path.name == 'test_plain.yaml'\n\n"
        "@pytest.mark.parametrize('word', ['alpha', 'beta gamma'])\n"
        "def test_param(interactions, ask, word):\n"  # the fixture alone works too, without the marker
        "    ask(word)\n\n"
        "class TestGrouped:\n"
        "    @pytest.mark.interactions\n"
        "    def test_method(self, ask):\n"  # the marker alone gives the session; ask uses it
        "        ask('grouped')\n\n"
        "class TestOther:\n"  # the same method name in another class: a cassette of its own
        "    @pytest.mark.interactions\n"
        "    def test_method(self, ask):\n"
        "        ask('other')\n\n"
        "@pytest.mark.parametrize('text', ['x' * 300], ids=['x' * 300])\n"  # an over-long id is shortened
        "def test_long(interactions, ask, text):\n"
        "    ask(text[:20])\n"
    )
    run(pytester, "--interactions-record-mode=once").assert_outcomes(passed=6)
    module = pytester.path / "cassettes" / "tests" / "api" / "test_paths"
    names = sorted(p.name for p in module.iterdir())
    long_name = next(name for name in names if name.startswith("test_long"))
    assert names == [
        "TestGrouped.test_method.yaml",
        "TestOther.test_method.yaml",
        long_name,
        "test_param[alpha].yaml",
        "test_param[beta_gamma].yaml",
        "test_plain.yaml",
    ]
    assert long_name.startswith("test_long[xxxx")
    assert len(long_name) <= 125
    assert inputs(module / "TestGrouped.test_method.yaml") == ["grouped"]
    assert inputs(module / "TestOther.test_method.yaml") == ["other"]
    assert inputs(module / "test_param[beta_gamma].yaml") == ["beta gamma"]
    run(pytester).assert_outcomes(passed=6)  # and they replay


def test_a_named_cassette_is_shared_by_the_tests_naming_it(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.interactions(cassette="shared/greeting")
        def test_first(interactions, ask):
            ask("hello")
            print("first recording:", interactions.recording)

        @pytest.mark.interactions(cassette="shared/greeting.yaml")
        def test_second(interactions, ask):
            ask("hello")
            print("second recording:", interactions.recording)
        """
    )
    result = run(pytester, "--interactions-record-mode=once", "-s")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*first recording: True*", "*second recording: False*"])
    shared = pytester.path / "cassettes" / "shared" / "greeting.yaml"
    assert inputs(shared) == ["hello"]  # one recording, used by both
    assert sorted(p.name for p in (pytester.path / "cassettes").rglob("*.yaml")) == ["greeting.yaml"]
    run(pytester).assert_outcomes(passed=2)


def test_the_cassette_dir_comes_from_the_option_or_the_ini_file(suite: pytest.Pytester) -> None:
    run(suite, "--interactions-record-mode=once", "--interactions-cassette-dir=recorded/http")
    assert (suite.path / "recorded" / "http" / "test_questions" / "test_ask.yaml").exists()

    suite.makeini("[pytest]\ninteractions_cassette_dir = from_ini\n")
    run(suite, "--interactions-record-mode=once").assert_outcomes(passed=1)
    assert (suite.path / "from_ini" / "test_questions" / "test_ask.yaml").exists()

    # The option wins over the ini file, and the cassettes it names replay.
    run(suite, "--interactions-cassette-dir=recorded/http").assert_outcomes(passed=1)
    assert not (suite.path / CASSETTE).exists()


# -- record modes ----------------------------------------------------------------------------------


def test_the_default_mode_none_replays_and_never_records(suite: pytest.Pytester) -> None:
    missing = run(suite)
    missing.assert_outcomes(errors=1)
    missing.stdout.fnmatch_lines(["*no such cassette, and record mode 'none' only replays*"])
    assert not (suite.path / "cassettes").exists()

    recorded = run(suite, "--interactions-record-mode=once", "-s")
    recorded.stdout.fnmatch_lines(["*RECORDING http://127.0.0.1:*"])
    before = (suite.path / CASSETTE).read_bytes()

    replayed = run(suite, "-s")
    replayed.assert_outcomes(passed=1)
    # The address the cassette names for the emulator, whatever its port was; nothing listens there.
    replayed.stdout.fnmatch_lines(["*REPLAYING http://emulator.invalid"])
    assert (suite.path / CASSETTE).read_bytes() == before


def test_once_records_a_missing_cassette_and_then_only_replays(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(suite, "--interactions-record-mode=once").assert_outcomes(passed=1)
    before = (suite.path / CASSETTE).read_bytes()
    run(suite, "--interactions-record-mode=once").assert_outcomes(passed=1)
    assert (suite.path / CASSETTE).read_bytes() == before

    monkeypatch.setenv("EXTRA", "A new question")
    result = run(suite, "--interactions-record-mode=once")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*UnmatchedRequestError*", "*record mode is 'once'*"])
    assert (suite.path / CASSETTE).read_bytes() == before


def test_new_episodes_appends_what_the_cassette_does_not_answer(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(suite, "--interactions-record-mode=once").assert_outcomes(passed=1)
    (first,) = exchanges(suite.path / CASSETTE)

    monkeypatch.setenv("EXTRA", "A new question")
    run(suite, "--interactions-record-mode=new_episodes").assert_outcomes(passed=1)
    assert inputs(suite.path / CASSETTE) == ["What is SSE?", "A new question"]
    assert exchanges(suite.path / CASSETTE)[0] == first  # the old episode is kept as it was

    run(suite).assert_outcomes(passed=1)  # both replay


def test_all_records_everything_again_and_overwrites(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(suite, "--interactions-record-mode=once").assert_outcomes(passed=1)
    again = run(suite, "--interactions-record-mode=all", "-s")  # even what the cassette answers
    again.assert_outcomes(passed=1)
    again.stdout.fnmatch_lines(["*RECORDING *"])
    assert inputs(suite.path / CASSETTE) == ["What is SSE?"]  # replaced, not appended to

    monkeypatch.setenv("QUESTION", "A different question")
    run(suite, "--interactions-record-mode=all").assert_outcomes(passed=1)
    assert inputs(suite.path / CASSETTE) == ["A different question"]


def test_the_marker_s_record_mode_overrides_the_option(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.interactions(record_mode="once")
        def test_records_once(interactions, ask):
            ask("marker says once")
            print("once:", "recording" if interactions.recording else "replaying")

        @pytest.mark.interactions(record_mode="none")
        def test_never_records(interactions, ask):
            pass
        """
    )
    result = run(pytester, "--interactions-record-mode=none", "-s")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*once: recording*", "*test_never_records*no such cassette*"])
    assert sorted(p.name for p in pytester.path.rglob("*.yaml")) == ["test_records_once.yaml"]
    before = next(pytester.path.rglob("*.yaml")).read_bytes()

    result = run(pytester, "--interactions-record-mode=all", "-s")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*once: replaying*", "*test_never_records*no such cassette*"])
    assert sorted(p.name for p in pytester.path.rglob("*.yaml")) == ["test_records_once.yaml"]
    assert next(pytester.path.rglob("*.yaml")).read_bytes() == before


# -- real clients, parallel runs, help ----------------------------------------------------------


def test_an_sdk_session_round_trips_with_no_emulator_in_the_replay_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from google import genai

        from pytest_interactions.emulator import answer_for


        @pytest.mark.interactions
        def test_background_run(interactions):
            client = genai.Client(
                api_key=interactions.api_key,
                http_options={"base_url": interactions.base_url, "api_version": "v1beta"},
            )
            it = client.interactions.create(model="gemini-3.5-flash", input="hi", background=True)
            while it.status == "in_progress":
                it = client.interactions.get(it.id)
            assert it.output_text == answer_for("hi")
            print("EMULATOR", interactions.emulator is not None, "RECORDING", interactions.recording)
        """
    )
    recorded = run(pytester, "--interactions-record-mode=once", "-s")
    recorded.assert_outcomes(passed=1)
    recorded.stdout.fnmatch_lines(["*EMULATOR True RECORDING True*"])
    replayed = run(pytester, "-s")
    replayed.assert_outcomes(passed=1)
    replayed.stdout.fnmatch_lines(["*EMULATOR False RECORDING False*"])


def test_recording_works_under_xdist(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.interactions
        @pytest.mark.parametrize("n", range(6))
        def test_many(n, ask):
            ask(f"question {n}")
        """
    )
    run(pytester, "-n", "2", "--interactions-record-mode=once").assert_outcomes(passed=6)
    module = pytester.path / "cassettes" / "test_recording_works_under_xdist"
    assert sorted(p.name for p in module.iterdir()) == [f"test_many[{n}].yaml" for n in range(6)]
    assert all(inputs(module / f"test_many[{n}].yaml") == [f"question {n}"] for n in range(6))
    run(pytester, "-n", "2").assert_outcomes(passed=6)


def test_help_lists_the_options_and_the_fixture(pytester: pytest.Pytester) -> None:
    help_text = run(pytester, "--help")
    help_text.stdout.fnmatch_lines(
        ["*--interactions-record-mode=*", "*--interactions-cassette-dir=*", "*interactions_cassette_dir*"]
    )
    pytester.makepyfile("def test_nothing():\n    pass\n")
    fixtures = run(pytester, "--fixtures")
    fixtures.stdout.fnmatch_lines(["interactions -- *", "*recording session*"])


def test_two_tests_whose_names_become_one_cassette_name_are_stopped_at_collection(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_names="""
        import pytest

        @pytest.mark.interactions
        @pytest.mark.parametrize("path", ["a/b", "a:b"])
        def test_path(interactions, path):
            pass
        """
    )
    result = pytester.runpytest("--interactions-record-mode=once", "-p", "no:randomly")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*test_names.py::test_path[[]a/b[]] and test_names.py::test_path[[]a:b[]] would both use the "
            "cassette *test_path[[]a_b[]].yaml*cassette=...)*"
        ]
    )
    assert not (pytester.path / "cassettes").exists()
