"""Recording against another server: each test may name its own (``base_url=`` on the marker or in
``interactions_config``), and its client gets a key from the environment or a stand-in."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from recorded_suite import FAST, INI, lines

from pytest_interactions import Emulator
from pytest_interactions.cassette import load_cassette
from pytest_interactions.emulator import Script
from pytest_interactions.plugin import Interactions
from pytest_interactions.plugin._shared import Role
from pytest_interactions.plugin._target import STAND_IN_KEY, checked_base_url, chosen_base_url

KEY_VARS = ("GEMINI_API_KEY", "GOOGLE_API_KEY", "OPENAI_API_KEY")

CONFTEST = """
import os

import pytest


@pytest.fixture(scope="session")
def interactions_config():
    return {"base_url": os.environ["SERVER_B"]}  # every test's server, unless its marker names another
"""

SUITE = """
import os

import httpx
import pytest


def ask(interactions):
    \"\"\"The answer of the server the test records against (in replay: of the recording).\"\"\"
    if interactions.recording:  # no key in the environment: the stand-in, which the servers accept
        assert interactions.api_key == interactions.openai_api_key == "interactions-test-key"
    with httpx.Client(base_url=interactions.base_url + "/v1beta",
                      headers={"x-goog-api-key": interactions.api_key}) as http:
        created = http.post("/interactions", json={"model": "gemini-3.5-flash", "input": "Who are you?"})
    return created.json()["steps"][-1]["content"][0]["text"]


@pytest.mark.interactions(base_url=os.environ["SERVER_A"])
def test_on_a(interactions):
    assert ask(interactions) == "I am server A."


@pytest.mark.interactions
def test_on_b(interactions):
    assert ask(interactions) == "I am server B."


@pytest.mark.interactions(base_url="localhost:8080")
def test_on_no_url(interactions):
    ask(interactions)
"""


def serving(name: str) -> Emulator:
    """An emulator that says which it is, and takes only the stand-in key."""
    api = Emulator(speed=1000, seed=ord(name), api_keys={STAND_IN_KEY}).start()
    api.scenarios.register(
        name, lambda request: Script().text(f"I am server {name}.").finish(), when=lambda request: True
    )
    return api


def test_two_tests_record_against_two_servers_and_replay_without_them(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in KEY_VARS:
        monkeypatch.delenv(name, raising=False)
    pytester.makeini(INI)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_servers=SUITE)
    servers = {name: serving(name) for name in "AB"}
    urls = {name: api.base_url for name, api in servers.items()}
    try:
        for name, url in urls.items():
            monkeypatch.setenv(f"SERVER_{name}", url)
        recorded = pytester.runpytest("--interactions-record-mode=once", *FAST)
    finally:
        for api in servers.values():
            api.stop()
    recorded.assert_outcomes(passed=2, errors=1)
    recorded.stdout.fnmatch_lines(
        [
            lines(
                "@pytest.mark.interactions(base_url=...) = 'localhost:8080' is not a base URL to record "
                "against (the scheme must be http or https); give http(s)://host[:port][/path]"
            )
        ]
    )
    for name, api in servers.items():
        assert [request.method for request in api.requests] == ["POST"]  # its own test's, only
        cassette = load_cassette(
            pytester.path / "cassettes" / "test_servers" / f"test_on_{name.lower()}.yaml"
        )
        assert cassette.meta["base_url"] == urls[name]
        assert f"I am server {name}." in str(cassette.exchanges[0].response.body.value)

    # Both servers are gone: each test replays its cassette at the address it recorded.
    replayed = pytester.runpytest(*FAST, "-k", "not no_url")
    replayed.assert_outcomes(passed=2)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("https://generativelanguage.googleapis.com/", "https://generativelanguage.googleapis.com"),
        ("http://[::1]:9000/proxy/gemini", "http://[::1]:9000/proxy/gemini"),
    ],
)
def test_a_base_url_is_http_or_https_host_port_and_path(given: str, expected: str) -> None:
    assert checked_base_url(given, "base_url") == expected


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("127.0.0.1:8080", "the scheme must be http or https"),
        ("ftp://example.com", "the scheme must be http or https"),
        ("http://", "it names no host"),
        ("http://host:99999", "its port is not a number from 1 to 65535"),
        ("http://host:0", "its port is not a number from 1 to 65535"),
        ("http://user:secret@host", "credentials do not belong in it"),
        ("http://host/v1?key=1", "a query or fragment does not belong in it"),
        ("http://host /v1", "it holds whitespace"),
        (8080, "a int, not a string"),
    ],
)
def test_anything_else_is_refused_naming_where_it_was_given(given: object, problem: str) -> None:
    with pytest.raises(ValueError, match=r"interactions_config\['base_url'\]") as raised:
        checked_base_url(given, "interactions_config['base_url']")
    assert f"({problem})" in str(raised.value)


def test_the_closest_setting_wins_and_none_means_the_embedded_emulator() -> None:
    sources: list[tuple[str, Any]] = [
        ("marker", None),
        ("interactions_config", ""),
        ("--interactions-base-url", "http://127.0.0.1:1/"),
        ("ini", "not checked: an earlier one is set"),
    ]
    assert chosen_base_url(sources) == "http://127.0.0.1:1"
    assert chosen_base_url([("marker", "http://a:1"), *sources]) == "http://a:1"
    assert chosen_base_url([("marker", None), ("ini", "")]) == ""
    with pytest.raises(ValueError, match=r"^marker = 'a:1'"):
        chosen_base_url([("marker", "a:1"), *sources])


def handle(*, recording: bool, base_url: str) -> Interactions:
    session: Any = SimpleNamespace(recording=recording)
    return Interactions(session, base_url=base_url, speed=1.0, role=Role("once"))


def test_recording_elsewhere_the_key_comes_from_the_environment_the_sdks_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GOOGLE_API_KEY", "google-key")
    monkeypatch.setenv("OPENAI_API_KEY", "openai-key")
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    elsewhere = handle(recording=True, base_url="http://127.0.0.1:1")
    assert (elsewhere.api_key, elsewhere.openai_api_key) == ("google-key", "openai-key")
    monkeypatch.setenv("GEMINI_API_KEY", "gemini-key")  # read first, as before
    assert elsewhere.api_key == "gemini-key"
    for name in KEY_VARS:
        monkeypatch.delenv(name)
    assert elsewhere.api_key == elsewhere.openai_api_key == STAND_IN_KEY == "interactions-test-key"


@pytest.mark.parametrize(("recording", "base_url"), [(True, ""), (False, "http://127.0.0.1:1")])
def test_on_the_embedded_emulator_or_in_replay_no_real_key_is_handed_out(
    monkeypatch: pytest.MonkeyPatch, recording: bool, base_url: str
) -> None:
    for name in KEY_VARS:
        monkeypatch.setenv(name, "real-key")
    interactions = handle(recording=recording, base_url=base_url)
    assert interactions.api_key == interactions.openai_api_key == "emulator-key"
