"""The API's error answers, defined once: status code, ``status`` string, JSON layout."""

from __future__ import annotations

import pytest

from pytest_interactions import protocol
from pytest_interactions.protocol import ErrorKind, error_body, error_kind


def test_error_body_has_the_api_layout_with_the_codes_usual_status() -> None:
    assert error_body(404, "Interaction 'v1_x' was not found.") == {
        "error": {"code": 404, "message": "Interaction 'v1_x' was not found.", "status": "NOT_FOUND"}
    }
    assert error_body(400, "m", "FAILED_PRECONDITION")["error"]["status"] == "FAILED_PRECONDITION"
    assert error_body(418, "m")["error"]["status"] == "UNKNOWN"


@pytest.mark.parametrize(
    ("kind", "code", "status"),
    [
        (protocol.INVALID_ARGUMENT, 400, "INVALID_ARGUMENT"),
        (protocol.EARLY_CHAIN, 400, "FAILED_PRECONDITION"),
        (protocol.PERMISSION_DENIED, 403, "PERMISSION_DENIED"),
        (protocol.NOT_FOUND, 404, "NOT_FOUND"),
        (protocol.RESOURCE_EXHAUSTED, 429, "RESOURCE_EXHAUSTED"),
        (protocol.UNAVAILABLE, 503, "UNAVAILABLE"),
    ],
)
def test_named_kinds(kind: ErrorKind, code: int, status: str) -> None:
    assert (kind.code, kind.status) == (code, status)
    assert kind.body("why") == {"error": {"code": code, "message": "why", "status": status}}
    assert kind.body("why") == error_body(code, "why", status)


def test_an_early_chain_differs_from_a_bad_argument_only_by_its_status_string() -> None:
    early = protocol.EARLY_CHAIN.body("still in_progress")
    assert protocol.EARLY_CHAIN.matches(400, early)
    assert not protocol.INVALID_ARGUMENT.matches(400, early)
    assert protocol.INVALID_ARGUMENT.matches(400, protocol.INVALID_ARGUMENT.body("bad"))


@pytest.mark.parametrize(
    ("code", "body"),
    [
        (404, protocol.EARLY_CHAIN.body("m")),  # another HTTP code
        (400, {"error": {"code": 400, "message": "m"}}),  # no status string
        (400, {"error": "FAILED_PRECONDITION"}),
        (400, ["error"]),
        (400, None),
    ],
    ids=["other-code", "no-status", "error-not-object", "body-not-object", "no-body"],
)
def test_matches_refuses_other_answers(code: int, body: object) -> None:
    assert not protocol.EARLY_CHAIN.matches(code, body)


def test_error_kind_for_a_code() -> None:
    assert error_kind(404) == protocol.NOT_FOUND
    assert error_kind(429) == protocol.RESOURCE_EXHAUSTED
    assert error_kind(400, "FAILED_PRECONDITION") == protocol.EARLY_CHAIN
    assert error_kind(599) == ErrorKind(599, "UNKNOWN")
