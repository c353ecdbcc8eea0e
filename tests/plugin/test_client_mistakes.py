"""Each check of how a client paces and repeats its requests, both ways, for both APIs.

Every planted client below misbehaves in one way, beside a correct twin under the same fault; no
test body asserts anything about the result, so only the plugin can fail them. The guide's
constant-wait reconnect loop and the SDKs' own retry policies pass. Every finding names the line
of the test module that sent the request at fault, and one that follows from another is folded
under it.
"""

from __future__ import annotations

import re

import pytest

SUITE = '''
import asyncio
import time

import httpx
import openai
import pytest
from google import genai
from httpx_sse import aconnect_sse, connect_sse

KEY = "emulator-key"
API = ["gemini", "openai"]


class Client:
    """The REST calls of one API, as a user writes them with httpx."""

    def __init__(self, interactions, api):
        self.api = api
        gemini = {"x-goog-api-key": interactions.api_key}
        headers = gemini if api == "gemini" else {"authorization": "Bearer k"}
        self.http = httpx.Client(base_url=interactions.base_url, headers=headers, timeout=30)
        self.path = "/v1beta/interactions" if api == "gemini" else "/v1/responses"
        self.model = "gemini-3.5-flash" if api == "gemini" else "gpt-4o"

    def create(self, stream=False):
        body = {"model": self.model, "input": "Tides?", "background": True}
        if self.api == "openai":
            body["stream"] = True  # an OpenAI background response streams only if created so
            return self.http.stream("POST", self.path, json=body)
        answer = self.http.post(self.path, json=body)
        answer.raise_for_status()
        return answer.json()["id"]

    def events(self, run_id=None, after=None):
        """(run id, event id, data) of each event: from the create (OpenAI) or the run's stream."""
        if self.api == "openai" and run_id is None:
            source = connect_sse(self.http, "POST", self.path, json={
                "model": self.model, "input": "Tides?", "background": True, "stream": True})
        else:
            params = {"stream": "true"}
            if after is not None:
                params["last_event_id" if self.api == "gemini" else "starting_after"] = after
            source = connect_sse(self.http, "GET", f"{self.path}/{run_id}", params=params)
        with source as events:
            events.response.raise_for_status()
            for event in events.iter_sse():
                if event.data == "[DONE]":
                    return
                data = event.json()
                if self.api == "gemini":
                    found = (data.get("interaction") or {}).get("id") or run_id
                    yield found, data.get("event_id"), data
                else:
                    found = (data.get("response") or {}).get("id") or run_id
                    yield found, data.get("sequence_number"), data

    def start(self):
        return None if self.api == "openai" else self.create()

    def ended(self, data):
        kind = data.get("event_type") or data.get("type")
        return kind in ("interaction.completed", "response.completed", "response.failed")

    def poll(self, run_id):
        return self.http.get(f"{self.path}/{run_id}").json()["status"]

    def cancel(self, run_id):
        self.http.post(f"{self.path}/{run_id}/cancel").raise_for_status()


def read(client, wait=None, recreate=False, fresh_resume=False):
    """Read a run's stream to its end, reconnecting after drops; ``wait(n)``: seconds to wait
    after the n-th failure in a row (None: none at all)."""
    run_id, last, failures = client.start(), None, 0
    while True:
        try:
            for found, event_id, data in client.events(run_id, last):
                run_id = found
                failures = 0
                if event_id is not None:
                    last = event_id
                if client.ended(data):
                    return
        except httpx.HTTPError:
            failures += 1
            if wait is not None and failures > 1:
                time.sleep(wait(failures - 1))  # the first reconnect after a drop is at once: right
        if recreate:
            run_id, last = client.start(), None  # a second run for the same work
        elif fresh_resume:
            last = None


# -- backoff: a refused reconnect is a failure; retrying it at once is a storm ---------------------

@pytest.mark.parametrize("api", API)
@pytest.mark.interactions(disconnect="after:3", reconnect="refuse", reconnect_times=2)
def test_backoff_planted(interactions, api):
    read(Client(interactions, api), wait=None)


@pytest.mark.parametrize("api", API)
@pytest.mark.interactions(disconnect="after:3", reconnect="refuse", reconnect_times=2)
def test_backoff_twin(interactions, api):
    read(Client(interactions, api), wait=lambda n: 0.5 * 2 ** (n - 1))


@pytest.mark.parametrize("api", API)
@pytest.mark.interactions(disconnect="after:3", reconnect="refuse", reconnect_times=2)
def test_backoff_guide(interactions, api):
    read(Client(interactions, api), wait=lambda n: 3)  # the guide's loop: a constant 3 s, forever


# -- the floors are the test's to set: a retry at once, declared, and a fast poll, configured ----------

@pytest.mark.interactions(disconnect="after:3", reconnect="refuse", reconnect_times=2, min_retry_delay=0)
def test_backoff_declared(interactions):
    read(Client(interactions, "gemini"), wait=None)


class TestPolledFastOnPurpose:
    @pytest.fixture
    def interactions_config(self):
        return {"min_poll_interval": 0.1}

    @pytest.mark.interactions(checks=True)
    def test_poll_interval_configured(self, interactions):
        poll_until_done(Client(interactions, "gemini"), pause=0.2)


# -- non_retryable: a 400 does not go away by asking again --------------------------------------------

def create_once(client, retries):
    for _ in range(retries + 1):
        try:
            if client.api == "gemini":
                return client.create()
            with client.create() as answer:
                answer.raise_for_status()
                answer.read()
                return None
        except httpx.HTTPStatusError:
            time.sleep(1)
    return None


@pytest.mark.parametrize("api", API)
@pytest.mark.interactions(creates=400)
def test_non_retryable_planted(interactions, api):
    create_once(Client(interactions, api), retries=1)


@pytest.mark.parametrize("api", API)
@pytest.mark.interactions(creates=400)
def test_non_retryable_twin(interactions, api):
    create_once(Client(interactions, api), retries=0)


# -- recreate: resuming a stream that can be resumed, not making a second run ------------------------

@pytest.mark.parametrize("api", API)
@pytest.mark.interactions(disconnect="after:3")
def test_recreate_planted(interactions, api):
    read(Client(interactions, api), recreate=True)


@pytest.mark.parametrize("api", API)
@pytest.mark.interactions(disconnect="after:3")
def test_recreate_twin(interactions, api):
    read(Client(interactions, api))


# -- poll_interval: a polling loop sleeps ----------------------------------------------------------

def poll_until_done(client, pause):
    if client.api == "gemini":
        run_id = client.create()
    else:
        run_id = client.http.post(client.path, json={"model": client.model, "input": "Tides?",
                                                     "background": True}).json()["id"]
    while client.poll(run_id) in ("queued", "in_progress"):
        time.sleep(pause)


@pytest.mark.parametrize("api", API)
@pytest.mark.interactions(checks=True)
def test_poll_interval_planted(interactions, api):
    poll_until_done(Client(interactions, api), pause=0)


@pytest.mark.parametrize("api", API)
@pytest.mark.interactions(checks=True)
def test_poll_interval_twin(interactions, api):
    poll_until_done(Client(interactions, api), pause=2)  # the guide polls every 2-5 s


# -- abandoned: giving up on a background run cancels it ---------------------------------------------

def give_up_after_one_refusal(client, cancel):
    run_id, last = client.start(), None
    try:
        for found, event_id, data in client.events(run_id):
            run_id, last = found, event_id
    except httpx.HTTPError:
        pass
    try:
        list(client.events(run_id, last))
    except httpx.HTTPError:
        if cancel:
            client.cancel(run_id)


@pytest.mark.parametrize("api", API)
@pytest.mark.interactions(disconnect="after:3", reconnect="refuse", reconnect_times=3, gives_up_after=1)
def test_abandoned_planted(interactions, api):
    give_up_after_one_refusal(Client(interactions, api), cancel=False)


@pytest.mark.parametrize("api", API)
@pytest.mark.interactions(disconnect="after:3", reconnect="refuse", reconnect_times=3, gives_up_after=1)
def test_abandoned_twin(interactions, api):
    give_up_after_one_refusal(Client(interactions, api), cancel=True)


# -- the SDKs' own retry policies, on creates answered 503 without Retry-After ----------------------

@pytest.mark.interactions(creates=503, create_times=2, retry_after=None)
def test_sdk_retries_google_genai(interactions):
    client = genai.Client(api_key=interactions.api_key,
                          http_options={"base_url": interactions.base_url, "api_version": "v1beta"})
    client.interactions.create(model="gemini-3.5-flash", input="Tides?", background=True)


@pytest.mark.interactions(creates=503, create_times=2, retry_after=None)
def test_sdk_retries_openai(interactions):
    client = openai.OpenAI(base_url=interactions.base_url + "/v1", api_key="k")
    client.responses.create(model="gpt-4o", input="Tides?", background=True)


# -- async clients are judged alike, and their own lines named -----------------------------------

@pytest.mark.parametrize("pause", [0, 0.5], ids=["planted", "twin"])
@pytest.mark.interactions(disconnect="after:3", reconnect="refuse", reconnect_times=2)
async def test_backoff_async(interactions, pause):
    headers = {"x-goog-api-key": interactions.api_key}
    async with httpx.AsyncClient(base_url=interactions.base_url, headers=headers) as http:
        body = {"model": "gemini-3.5-flash", "input": "Tides?", "background": True}
        created = await http.post("/v1beta/interactions", json=body)
        run_id, last, failures = created.json()["id"], None, 0
        while True:
            params = {"stream": "true", **({"last_event_id": last} if last else {})}
            try:
                path = f"/v1beta/interactions/{run_id}"
                async with aconnect_sse(http, "GET", path, params=params) as events:
                    async for event in events.aiter_sse():
                        if event.data == "[DONE]":
                            return
                        last = event.json().get("event_id") or last
                return
            except httpx.HTTPError:
                failures += 1
                if failures > 1:
                    await asyncio.sleep(pause)


# -- a finding that follows from another is folded under it --------------------------------------

@pytest.mark.interactions(disconnect="after:3")
def test_fold_planted(interactions):
    read(Client(interactions, "openai"), fresh_resume=True)  # resumes without starting_after
'''

QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:randomly")


def test_each_pacing_check_fails_the_planted_client_and_passes_its_twin(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
        "interactions_min_retry_delay = 0.25\n"  # the default, spelled out: read from ini
    )
    pytester.makepyfile(test_mistakes=SUITE)
    recorded = pytester.runpytest("--interactions-record-mode=once", "--interactions-no-faults", *QUIET)
    recorded.assert_outcomes(passed=29)
    replayed = pytester.runpytest(*QUIET, "-rf")
    replayed.assert_outcomes(passed=17, failed=12)
    text = replayed.stdout.str()
    failed = set(re.findall(r"^FAILED test_mistakes\.py::(\S+)", text, re.M))
    planted = {f"test_{check}_planted[{api}]" for check in CHECKED for api in ("gemini", "openai")}
    assert failed == planted | {"test_fold_planted", "test_backoff_async[planted]"}, text
    assert "(sent from test_mistakes.py:" in _report(text, "test_backoff_async[planted]")
    for check in CHECKED:
        for api in ("gemini", "openai"):
            report = _report(text, f"test_{check}_planted[{api}]")
            assert f"[{check}]" in report, report
            assert "(sent from test_mistakes.py:" in report, report  # the application's own line
    fold = _report(text, "test_fold_planted")
    assert "[resume]" in fold, fold
    assert "it also shows as [duplicates]" in fold, fold
    assert "2. [" not in fold.split("timeline")[0], fold  # one root cause, not three bugs


CHECKED = ("backoff", "non_retryable", "recreate", "poll_interval", "abandoned")


def _report(text: str, test: str) -> str:
    """The failure section of one test in pytest's output."""
    start = text.index(f"_ {test} _")
    end = text.find("\n____", start + 1)
    return text[start : end if end != -1 else len(text)]
