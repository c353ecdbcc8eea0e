"""Recognising Interactions API requests from their method and path."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

_VERSION = r"(?P<version>v\d+[a-z0-9]*)"
_VERTEX = r"(?:/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+))?"
_PATH = re.compile(
    rf"^/{_VERSION}{_VERTEX}/interactions"
    r"(?:/(?P<id>[^/:]+)(?:(?:/|:)(?P<action>cancel))?)?/?$"
)


class Operation(str, Enum):
    """What a request does to the Interactions resource."""

    CREATE = "create"
    GET = "get"
    CANCEL = "cancel"
    DELETE = "delete"


#: The HTTP method each operation must use.
METHODS: dict[Operation, str] = {
    Operation.CREATE: "POST",
    Operation.GET: "GET",
    Operation.CANCEL: "POST",
    Operation.DELETE: "DELETE",
}


@dataclass(frozen=True)
class Route:
    """A request path understood as an Interactions API operation.

    ``operation`` is what the path would mean with its expected method; ``method_ok`` says
    whether the request used that method (a GET on ``/interactions/ID`` is a get; a DELETE on
    it is a delete; both share a path).
    """

    operation: Operation
    version: str
    interaction_id: str | None
    method_ok: bool
    allowed: tuple[str, ...]


def parse_route(method: str, path: str) -> Route | None:
    """Map a method and path to an Interactions operation; ``None`` when the path is not one."""
    match = _PATH.match(path)
    if match is None:
        return None
    version = match["version"]
    interaction_id = match["id"]
    method = method.upper()
    if interaction_id is None:
        return Route(Operation.CREATE, version, None, method == "POST", ("POST",))
    if match["action"] == "cancel":
        return Route(Operation.CANCEL, version, interaction_id, method == "POST", ("POST",))
    allowed = ("GET", "DELETE")
    operation = Operation.DELETE if method == "DELETE" else Operation.GET
    return Route(operation, version, interaction_id, method in allowed, allowed)
