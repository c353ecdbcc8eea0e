"""Recognising Interactions API operations from a method and a path."""

from __future__ import annotations

import pytest

from pytest_interactions.protocol import METHODS, Operation, Route, parse_route

ID = "v1_abc123"


@pytest.mark.parametrize("version", ["v1", "v1beta", "v1alpha", "v2", "v1beta3"])
@pytest.mark.parametrize("prefix", ["", "/projects/my-project/locations/us-central1"])
def test_create_on_every_version_and_vertex_paths(version: str, prefix: str) -> None:
    route = parse_route("POST", f"/{version}{prefix}/interactions")
    assert route == Route(Operation.CREATE, version, None, True, ("POST",))


@pytest.mark.parametrize(
    ("method", "path", "operation", "interaction_id"),
    [
        ("GET", f"/v1beta/interactions/{ID}", Operation.GET, ID),
        ("get", f"/v1beta/interactions/{ID}", Operation.GET, ID),
        ("DELETE", f"/v1beta/interactions/{ID}", Operation.DELETE, ID),
        ("POST", f"/v1beta/interactions/{ID}/cancel", Operation.CANCEL, ID),
        ("POST", f"/v1beta/interactions/{ID}:cancel", Operation.CANCEL, ID),
        ("POST", "/v1beta/interactions/", Operation.CREATE, None),
        ("GET", f"/v1/projects/p/locations/l/interactions/{ID}", Operation.GET, ID),
        ("POST", f"/v1/projects/p/locations/l/interactions/{ID}/cancel", Operation.CANCEL, ID),
    ],
)
def test_operations(method: str, path: str, operation: Operation, interaction_id: str | None) -> None:
    route = parse_route(method, path)
    assert route is not None
    assert route.operation is operation
    assert route.interaction_id == interaction_id
    assert route.method_ok
    assert METHODS[operation] in route.allowed


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/v1beta/interactions", ("POST",)),
        ("GET", "/v1beta/interactions", ("POST",)),
        ("POST", f"/v1beta/interactions/{ID}", ("GET", "DELETE")),
        ("PATCH", f"/v1beta/interactions/{ID}", ("GET", "DELETE")),
        ("GET", f"/v1beta/interactions/{ID}/cancel", ("POST",)),
    ],
)
def test_a_known_path_with_the_wrong_method(method: str, path: str, allowed: tuple[str, ...]) -> None:
    route = parse_route(method, path)
    assert route is not None
    assert not route.method_ok
    assert route.allowed == allowed


@pytest.mark.parametrize(
    "path",
    [
        "/interactions",
        "/v1beta/models",
        "/beta/interactions",
        "/v1beta/interactions/a/b",
        f"/v1beta/interactions/{ID}/delete",
        "/v1beta/projects/p/interactions",
        "/v1beta/interactionsX",
        "",
        "/",
    ],
)
def test_paths_that_are_not_interactions_operations(path: str) -> None:
    assert parse_route("POST", path) is None
    assert parse_route("GET", path) is None


def test_the_version_and_vertex_segments_are_reported() -> None:
    route = parse_route("GET", f"/v1alpha/projects/p/locations/l/interactions/{ID}")
    assert route is not None
    assert route.version == "v1alpha"
    assert route.interaction_id == ID
