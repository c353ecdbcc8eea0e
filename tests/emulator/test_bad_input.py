"""Bad requests get the API's error shape and status: never a stack trace, never a hung connection."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pytest_interactions import protocol
from pytest_interactions.emulator import Emulator

MODEL = "gemini-3.5-flash"
KEY = {"x-goog-api-key": "test-key"}
UNKNOWN_ID = "v1_doesnotexist000000000000"


def assert_error(response: httpx.Response, status: int) -> dict[str, Any]:
    """The response is the API's JSON error: ``{"error": {code, message, status}}``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["error"]
    error = body["error"]
    assert error["code"] == status
    assert isinstance(error["message"], str)
    assert error["message"]
    assert error["status"] == protocol.STATUS_NAMES[status]
    assert "Traceback" not in response.text
    return dict(error)


@pytest.fixture
def http(interactions_server: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=interactions_server.base_url + "/v1beta", headers=KEY, timeout=5) as client:
        yield client


# -- create bodies ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [b"{not json", b'{"model": "m", "input": "hi"', b"\xff\xfe", b"", b"   "],
    ids=["broken", "truncated", "not-utf8", "empty", "blank"],
)
def test_malformed_json(http: httpx.Client, content: bytes) -> None:
    answer = http.post("/interactions", content=content, headers={"content-type": "application/json"})
    assert "Invalid JSON payload" in assert_error(answer, 400)["message"]


@pytest.mark.parametrize("body", [[], ["model"], "text", 42, None, True])
def test_a_body_that_is_not_an_object(http: httpx.Client, body: Any) -> None:
    answer = http.post("/interactions", json=body)
    assert "must be a JSON object" in assert_error(answer, 400)["message"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("input", 42),
        ("input", {"text": "hi"}),
        ("background", "true"),
        ("stream", 1),
        ("tools", {"type": "google_search"}),
        ("model", 3.5),
        ("generation_config", []),
        ("previous_interaction_id", 7),
    ],
)
def test_fields_of_the_wrong_type(http: httpx.Client, field: str, value: Any) -> None:
    body = {"model": MODEL, "input": "hi", field: value}
    error = assert_error(http.post("/interactions", json=body), 400)
    assert f"'{field}'" in error["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"model": MODEL, "agent": "deep-research-pro-preview-12-2025", "input": "hi"},
        {"input": "hi"},
        {"model": "", "input": "hi"},
    ],
    ids=["both", "neither", "empty-model"],
)
def test_exactly_one_of_model_or_agent(http: httpx.Client, body: dict[str, Any]) -> None:
    assert (
        "Exactly one of 'model' or 'agent'"
        in assert_error(http.post("/interactions", json=body), 400)["message"]
    )


@pytest.mark.parametrize("value", [None, "", []])
def test_input_is_required(http: httpx.Client, value: Any) -> None:
    body = {"model": MODEL} if value is None else {"model": MODEL, "input": value}
    assert "'input'" in assert_error(http.post("/interactions", json=body), 400)["message"]


def test_a_rejected_create_creates_nothing(interactions_server: Emulator, http: httpx.Client) -> None:
    http.post("/interactions", json={"model": MODEL, "input": 42})
    assert interactions_server.store.runs() == []


def test_previous_interaction_id_that_does_not_exist(http: httpx.Client) -> None:
    body = {"model": MODEL, "input": "hi", "previous_interaction_id": UNKNOWN_ID}
    assert UNKNOWN_ID in assert_error(http.post("/interactions", json=body), 404)["message"]


# -- unknown ids, methods, paths, query flags -------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "params"),
    [
        ("GET", f"/interactions/{UNKNOWN_ID}", {"stream": "false"}),
        ("GET", f"/interactions/{UNKNOWN_ID}", {"stream": "true"}),
        ("GET", f"/interactions/{UNKNOWN_ID}", {"stream": "true", "last_event_id": "evt_000001"}),
        ("POST", f"/interactions/{UNKNOWN_ID}/cancel", {}),
        ("DELETE", f"/interactions/{UNKNOWN_ID}", {}),
    ],
    ids=["get", "stream", "resume", "cancel", "delete"],
)
def test_unknown_interaction_ids_are_404(
    http: httpx.Client, method: str, path: str, params: dict[str, str]
) -> None:
    error = assert_error(http.request(method, path, params=params), 404)
    assert UNKNOWN_ID in error["message"]


def test_a_deleted_interaction_is_404_everywhere(http: httpx.Client) -> None:
    interaction_id = http.post("/interactions", json={"model": MODEL, "input": "hi"}).json()["id"]
    assert http.delete(f"/interactions/{interaction_id}").status_code == 200
    assert_error(http.get(f"/interactions/{interaction_id}"), 404)
    assert_error(http.get(f"/interactions/{interaction_id}", params={"stream": "true"}), 404)
    assert_error(http.post(f"/interactions/{interaction_id}/cancel"), 404)
    assert_error(http.delete(f"/interactions/{interaction_id}"), 404)


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/interactions", "POST"),
        ("GET", "/interactions", "POST"),
        ("PATCH", f"/interactions/{UNKNOWN_ID}", "GET, DELETE"),
        ("POST", f"/interactions/{UNKNOWN_ID}", "GET, DELETE"),
        ("GET", f"/interactions/{UNKNOWN_ID}/cancel", "POST"),
    ],
)
def test_wrong_methods_are_405_with_allow(http: httpx.Client, method: str, path: str, allow: str) -> None:
    answer = http.request(method, path)
    error = assert_error(answer, 405)
    assert answer.headers["allow"] == allow
    assert method in error["message"]


@pytest.mark.parametrize(
    "path",
    ["/v1beta/models", "/interactions", "/v1beta/interactions/a/b/c", "/", "/v1beta/projects/p/interactions"],
)
def test_unknown_paths_are_404(interactions_server: Emulator, path: str) -> None:
    answer = httpx.post(interactions_server.url(path), headers=KEY, json={"model": MODEL, "input": "hi"})
    assert_error(answer, 404)


@pytest.mark.parametrize("flag", ["stream", "include_input"])
@pytest.mark.parametrize("value", ["maybe", "yes", "2"])
def test_bad_boolean_query_flags_are_400(http: httpx.Client, flag: str, value: str) -> None:
    interaction_id = http.post("/interactions", json={"model": MODEL, "input": "hi"}).json()["id"]
    error = assert_error(http.get(f"/interactions/{interaction_id}", params={flag: value}), 400)
    assert flag in error["message"]
    assert value in error["message"]


def test_an_unknown_scenario_header_is_400(http: httpx.Client) -> None:
    answer = http.post(
        "/interactions",
        json={"model": MODEL, "input": "hi"},
        headers={"x-emulator-scenario": "no-such-thing"},
    )
    assert "no-such-thing" in assert_error(answer, 400)["message"]


# -- raw sockets: malformed HTTP --------------------------------------------------------------------


def exchange_raw(emulator: Emulator, data: bytes, timeout: float = 3.0) -> bytes:
    """Send raw bytes, read until the server closes; fails (socket.timeout) if it never does."""
    with socket.create_connection((emulator.host, emulator.port), timeout=timeout) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def parse_raw(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET /v1beta/interactions HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", 400),
        (b"GET /v1beta/interactions HTTP/1.1\r\n\r\n", 400),  # HTTP/1.1 without Host
        (b"POST /v1beta/interactions HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n", 400),
        (
            b"POST /v1beta/interactions HTTP/1.1\r\nHost: x\r\n"
            b"Content-Length: 1\r\nContent-Length: 2\r\n\r\n",
            400,
        ),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400),  # a TLS hello on a plain port
    ],
    ids=["garbage", "bad-header", "no-host", "bad-length", "two-lengths", "tls"],
)
def test_malformed_http_gets_an_error_and_the_connection_closes(
    interactions_server: Emulator, data: bytes, status: int
) -> None:
    answer = exchange_raw(interactions_server, data)  # returns only because the server closed
    code, headers, body = parse_raw(answer)
    assert code == status
    assert headers["connection"] == "close"
    assert int(headers["content-length"]) == len(body)
    assert b'"error":{"code":400' in body
    assert b"Malformed HTTP request" in body
    assert b"Traceback" not in body


def test_the_server_still_serves_after_malformed_requests(interactions_server: Emulator) -> None:
    exchange_raw(interactions_server, b"GARBAGE\r\n\r\n")
    answer = httpx.post(
        interactions_server.url("/v1beta/interactions"), headers=KEY, json={"model": MODEL, "input": "x"}
    )
    assert answer.status_code == 200


def test_a_client_that_hangs_up_mid_request_does_not_upset_the_server(interactions_server: Emulator) -> None:
    with socket.create_connection((interactions_server.host, interactions_server.port), timeout=3) as sock:
        sock.sendall(b"POST /v1beta/interactions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    answer = httpx.post(
        interactions_server.url("/v1beta/interactions"), headers=KEY, json={"model": MODEL, "input": "x"}
    )
    assert answer.status_code == 200


def test_keep_alive_serves_several_requests_on_one_connection(interactions_server: Emulator) -> None:
    request = b"GET /v1beta/interactions/nope HTTP/1.1\r\nHost: x\r\nx-goog-api-key: k\r\n\r\n"
    last = request.replace(b"Host: x\r\n", b"Host: x\r\nConnection: close\r\n")
    answer = exchange_raw(interactions_server, request + request + last)
    assert answer.count(b"HTTP/1.1 404") == 3


def test_an_oversized_body_is_413(interactions_server: Emulator) -> None:
    big = b'{"model": "m", "input": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    answer = httpx.post(
        interactions_server.url("/v1beta/interactions"),
        headers={**KEY, "content-type": "application/json"},
        content=big,
        timeout=10,
    )
    assert_error(answer, 413)
    assert answer.headers["connection"] == "close"
    assert interactions_server.store.runs() == []


def test_a_body_just_under_the_limit_is_read(interactions_server: Emulator) -> None:
    content = b'{"model": "m", "input": "hi", "padding": "' + b"x" * (1024 * 1024) + b'"}'
    answer = httpx.post(
        interactions_server.url("/v1beta/interactions"),
        headers={**KEY, "content-type": "application/json"},
        content=content,
        timeout=10,
    )
    assert answer.status_code == 200
