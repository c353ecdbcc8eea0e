"""Re-recording an unchanged test gives the same cassette, byte for byte, so that a cassette diff in
review shows only what the API did differently.

Against the embedded emulator nothing may change: the address is a stable placeholder, times are
scenario times, ids come from the test's seed, and transport headers that vary between runs or SDK
versions are left out (unless kept with ``interactions_keep_headers``). Against a given API only
what truly varies does: times, timestamps and its address.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

# Imported here so that in-process pytester runs find them loaded (they unload what they import,
# and a client library imported twice raises exceptions its other copy does not know).
import httpcore._backends.anyio  # noqa: F401
import httpcore2._backends.anyio  # noqa: F401
import pytest
import yaml
from google import genai  # noqa: F401
from google.genai import _interactions  # noqa: F401

from pytest_interactions.emulator import Emulator

FAST = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")
RECORD = ("--interactions-record-mode=all", *FAST)
VOLATILE = ("user-agent", "x-goog-api-client", "content-length", "host", "accept-encoding", "connection")

SUITE = textwrap.dedent(
    """
    import asyncio
    import time

    import pytest
    from google import genai

    QUESTION = "The history of tea, from its first use as a medicine to the tea clippers, in depth"


    @pytest.fixture
    def client(interactions):
        options = {"base_url": interactions.base_url, "api_version": "v1beta"}
        with genai.Client(api_key=interactions.api_key, http_options=options) as client:
            yield client


    @pytest.mark.interactions
    def test_poll(client):
        it = client.interactions.create(model="deep-research-pro-preview", input=QUESTION, background=True)
        while it.status == "in_progress":
            time.sleep(5)
            it = client.interactions.get(it.id)
        assert it.status == "completed"


    @pytest.mark.interactions
    async def test_async_poll(client):
        it = await client.aio.interactions.create(
            model="deep-research-pro-preview", input=QUESTION, background=True
        )
        while it.status == "in_progress":
            await asyncio.sleep(5)
            it = await client.aio.interactions.get(it.id)
        assert it.status == "completed"


    @pytest.mark.interactions
    def test_stream(client, interactions):
        it = client.interactions.create(model="deep-research-pro-preview", input=QUESTION, background=True)
        text = []
        for event in client.interactions.get(it.id, stream=True):
            if event.event_type == "step.delta" and event.delta.type == "text":
                text.append(event.delta.text)
        assert "".join(text) == interactions.recorded_text(it.id)
    """
)


INI = "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(INI)
    pytester.makepyfile(test_tea=SUITE)
    return pytester


def _cassettes(pytester: pytest.Pytester) -> dict[str, bytes]:
    folder = pytester.path / "cassettes" / "test_tea"
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*.yaml"))}


def _header_names(text: str) -> set[str]:
    names: set[str] = set()
    for exchange in yaml.safe_load(text)["exchanges"]:
        names.update(exchange["request"].get("headers", {}))
        names.update(exchange.get("response", {}).get("headers", {}))
    return names


def test_re_recording_an_unchanged_test_gives_the_same_bytes(suite: pytest.Pytester) -> None:
    suite.runpytest(*RECORD).assert_outcomes(passed=3)
    first = _cassettes(suite)
    assert sorted(first) == ["test_async_poll.yaml", "test_poll.yaml", "test_stream.yaml"]

    suite.runpytest(*RECORD).assert_outcomes(passed=3)
    assert _cassettes(suite) == first

    for name, data in first.items():
        text = data.decode()
        assert "127.0.0.1" not in text, name
        assert "started_at: '2026-05-20T12:00:00+00:00'" in text, name
        assert "url: http://emulator.invalid/v1beta/interactions" in text, name
        assert not set(VOLATILE) & _header_names(text), name
    assert "events:" in first["test_stream.yaml"].decode()
    for poll in ("test_poll.yaml", "test_async_poll.yaml"):  # a poll every 5 s, not a second more
        times = [exchange["at"] for exchange in yaml.safe_load(first[poll])["exchanges"]]
        assert times == [5.0 * n for n in range(len(times))], poll
    suite.runpytest(*FAST).assert_outcomes(passed=3)


def test_a_second_checkout_at_another_path_records_the_same_bytes(suite: pytest.Pytester) -> None:
    """Ids come from the node id (rootdir-relative), never from where the checkout lies."""
    clones = [suite.path / "checkout-a", suite.path / "elsewhere" / "checkout-b"]
    for clone in clones:
        clone.mkdir(parents=True)
        (clone / "pytest.ini").write_text(INI)
        (clone / "test_tea.py").write_text(SUITE)
        recorded = suite.runpytest(*RECORD, "-k", "test_poll", f"--rootdir={clone}", str(clone))
        recorded.assert_outcomes(passed=1)
    first, second = ((clone / "cassettes" / "test_tea" / "test_poll.yaml").read_bytes() for clone in clones)
    assert second == first
    assert b'"id": "v1_' in first


def test_volatile_headers_can_be_kept(suite: pytest.Pytester) -> None:
    suite.makeini(INI + "interactions_keep_headers =\n    user-agent\n    X-Goog-Api-Client\n")
    suite.runpytest(*RECORD, "-k", "test_poll").assert_outcomes(passed=1)
    names = _header_names(_cassettes(suite)["test_poll.yaml"].decode())
    assert {"user-agent", "x-goog-api-client"} <= names
    assert not {"content-length", "host", "accept-encoding", "connection"} & names


def _without_what_varies(path: Path, base_url: str) -> Any:
    """The cassette with its times, timestamps and the API's address taken out."""
    text = path.read_text().replace(base_url, "http://the-api")
    text = re.sub(r"^(\s*-? ?(at|after|started_at)): .*$", r"\1: ~", text, flags=re.M)
    # timestamps inside JSON text: a body's block (one member a line) and an event's one-line data
    text = re.sub(r'"(created|updated)":( ?)"[^"]*"', r'"\1":\2null', text)
    return yaml.safe_load(text)


def test_against_a_given_api_only_what_varies_differs(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "live-key-for-the-test")
    recordings = []
    for _ in range(2):
        with Emulator(speed=1000, api_keys={"live-key-for-the-test"}) as api:
            target = f"--interactions-base-url={api.base_url}"
            suite.runpytest(*RECORD, target, "-k", "test_stream").assert_outcomes(passed=1)
            path = suite.path / "cassettes" / "test_tea" / "test_stream.yaml"
            text = path.read_text()
            assert api.base_url in text
            assert not set(VOLATILE) & _header_names(text)
            recordings.append(_without_what_varies(path, api.base_url))
    assert recordings[0] == recordings[1]
