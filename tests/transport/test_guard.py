"""A request through a library that is not intercepted fails loudly, naming the library and call site.

Recording would send it to the network unrecorded, replay would refuse or swallow it: either way
the test could not run offline. The session notes it, so swallowing the error does not help.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import urllib.request
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import urllib3

from pytest_interactions.emulator import Emulator
from pytest_interactions.replay import UnmatchedRequestError
from pytest_interactions.session import use_cassette
from pytest_interactions.transport import UninterceptedRequestError

HEADERS = {"x-goog-api-key": "k"}
HERE = re.escape(__file__)


def through_urllib_request(url: str) -> None:
    request = urllib.request.Request(url, headers=HEADERS)
    with urllib.request.urlopen(request, timeout=5) as answer:
        answer.read()


def through_urllib3(url: str) -> None:
    urllib3.PoolManager().request("GET", url, headers=HEADERS, timeout=5)


def through_http_client(url: str) -> None:
    host, port = url.split("//")[1].split("/")[0].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        connection.request("GET", "/v1beta/interactions/x", headers=HEADERS)
        connection.getresponse().read()
    finally:
        connection.close()


CLIENTS: dict[str, Callable[[str], None]] = {
    "urllib.request": through_urllib_request,
    "urllib3": through_urllib3,
    "http.client": through_http_client,
}


def refused_in_session(cassette: Path, mode: str, client: Callable[[str], None], url: str) -> str:
    """Call ``client`` in a session that swallows its error; the message the session fails with."""
    refusal: list[str] = []
    # The session fails as it ends, after the client swallowed the error.
    with pytest.raises(UnmatchedRequestError) as failed, use_cassette(cassette, mode):  # noqa: PT012
        try:
            client(url)
        except UninterceptedRequestError as exc:
            refusal.append(str(exc))
    assert refusal == [str(failed.value)]  # the same message, raised at once and at the end
    return refusal[0]


@pytest.mark.parametrize("library", CLIENTS)
def test_recording_refuses_a_library_it_does_not_intercept(
    library: str, interactions_server: Emulator, tmp_path: Path
) -> None:
    url = interactions_server.url("/v1beta/interactions/x")
    message = refused_in_session(tmp_path / "c.yaml", "once", CLIENTS[library], url)
    assert f"does not intercept {library}: GET {url} from " in message
    assert "would reach the network" in message
    assert re.search(rf"from {HERE}:\d+ \(through_", message), message  # the call site
    assert not interactions_server.requests  # nothing reached the server


@pytest.mark.parametrize("library", CLIENTS)
def test_replay_refuses_a_library_it_does_not_intercept(
    library: str, interactions_server: Emulator, tmp_path: Path
) -> None:
    cassette = tmp_path / "c.yaml"
    url = interactions_server.url("/v1beta/interactions/x")
    with use_cassette(cassette, "once"):
        httpx.get(url, headers=HEADERS)
    interactions_server.stop()
    message = refused_in_session(cassette, "none", CLIENTS[library], url)
    assert f"does not intercept {library}: GET {url} from " in message
    assert "would bypass the cassette" in message


def test_outside_a_session_every_library_works(interactions_server: Emulator) -> None:
    for client in CLIENTS.values():
        # The emulator answers 404 for an unknown interaction; urllib.request raises it.
        with contextlib.suppress(urllib.error.HTTPError):
            client(interactions_server.url("/v1beta/interactions/x"))
    assert len(interactions_server.requests) == len(CLIENTS)


def test_the_plugin_fails_a_test_that_swallows_the_refusal(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        """
        import urllib.request

        def test_swallows(interactions):
            try:
                urllib.request.urlopen(interactions.base_url + "/v1beta/interactions/x")
            except Exception:
                pass
        """
    )
    result = pytester.runpytest("--interactions-record-mode=once", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*does not intercept urllib.request: GET http://127.0.0.1:*/v1beta/interactions/x from *"
            "test_the_plugin_fails_a_test_that_swallows_the_refusal.py:5 (test_swallows)*"
        ]
    )
