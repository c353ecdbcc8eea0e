"""An aiohttp reconnect loop under the plugin: cut after every event, the right one passes, a wrong one
is named by the checks, exactly as for httpx clients."""

from __future__ import annotations

import aiohttp  # noqa: F401  (loaded here so that in-process pytester runs find it)
import pytest

from pytest_interactions.cassette import StreamEvent, load_cassette

FAST = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")
INI = "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"

CLIENT = """
import asyncio
import json

import aiohttp
import pytest

MODEL = "gemini-3.5-flash"


def session(interactions):
    return aiohttp.ClientSession(
        interactions.base_url + "/v1beta/", headers={"x-goog-api-key": interactions.api_key}
    )


async def start(http):
    body = {"model": MODEL, "input": "Why stream progress?", "background": True}
    async with http.post("interactions", json=body) as answer:
        return (await answer.json())["id"]


async def read(http, interaction_id, resume):
    \"\"\"Read the stream, reconnecting after a drop from the last event (or, wrongly, from the start).\"\"\"
    ids, parts = [], []
    for _ in range(30):
        params = {"stream": "true"}
        if resume == "last" and ids:
            params["last_event_id"] = ids[-1]
        try:
            async with http.get(f"interactions/{interaction_id}", params=params) as answer:
                data = None
                async for line in answer.content:
                    text = line.decode().rstrip("\\n")
                    if text.startswith("data: "):
                        data = text[6:]
                    elif text == "" and data is not None:
                        if data == "[DONE]":
                            return "".join(parts)
                        payload, data = json.loads(data), None
                        if payload.get("event_id") in ids:
                            continue
                        ids.append(payload.get("event_id"))
                        if payload["event_type"] == "step.delta":
                            parts.append(payload["delta"]["text"])
            return "".join(parts)
        except aiohttp.ClientPayloadError:
            await asyncio.sleep(1)
    raise RuntimeError("gave up")


@pytest.mark.interactions(disconnect="{fault}")
async def test_reads_through_cuts(interactions):
    async with session(interactions) as http:
        interaction_id = await start(http)
        text = await read(http, interaction_id, "{resume}")
    assert text == interactions.recorded_text(interaction_id)
"""


def run(pytester: pytest.Pytester, fault: str, resume: str) -> tuple[pytest.RunResult, pytest.RunResult]:
    pytester.makeini(INI)
    pytester.makepyfile(test_session=CLIENT.replace("{fault}", fault).replace("{resume}", resume))
    recorded = pytester.runpytest("--interactions-record-mode=once", "--interactions-no-faults", "-v", *FAST)
    return recorded, pytester.runpytest("-v", *FAST)


def test_a_right_aiohttp_reconnect_loop_passes_a_cut_after_every_event(pytester: pytest.Pytester) -> None:
    recorded, replayed = run(pytester, "each-event", "last")
    recorded.assert_outcomes(passed=1)
    cassette = pytester.path / "cassettes" / "test_session" / "test_reads_through_cuts.yaml"
    events = [
        item
        for exchange in load_cassette(cassette).exchanges
        if exchange.response is not None and exchange.response.events
        for item in exchange.response.events
        if isinstance(item, StreamEvent) and item.data != "[DONE]"
    ]
    assert len(events) >= 8
    replayed.assert_outcomes(passed=len(events))  # one run per cut point, each checked
    replayed.stdout.fnmatch_lines(
        [
            "*test_reads_through_cuts?cut-01-interaction.created? PASSED*",
            f"*test_reads_through_cuts?cut-{len(events):02d}-interaction.completed? PASSED*",
        ]
    )


def test_a_wrong_aiohttp_reconnect_loop_is_named(pytester: pytest.Pytester) -> None:
    recorded, replayed = run(pytester, "after:4", "none")
    recorded.assert_outcomes(passed=1)
    replayed.assert_outcomes(failed=1)
    replayed.stdout.fnmatch_lines(
        [
            "*ProtocolCheckError: pytest-interactions found 1 protocol mistake(s)*",
            "*[[]resume] reconnect #2 to v1_*did not carry last_event_id*expected last_event_id=evt_000004*",
            "*it also shows as [[]duplicates] evt_000001..evt_000004 (4 events) of v1_*delivered twice*",
        ]
    )
