"""The checks a create request's body passes before a scenario sees it: a JSON object, fields of
the documented types, and function results that answer known function calls."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pytest_interactions import protocol
from pytest_interactions.emulator._answers import ApiError, Request

#: Agents whose chained requests must name their ``environment`` too.
MANAGED_AGENT_PREFIXES: tuple[str, ...] = ("antigravity",)


def managed_agent(body: Mapping[str, Any]) -> str | None:
    """The managed agent a create names, in ``agent`` or in ``model`` alike, else ``None``."""
    for key in ("agent", "model"):
        name = body.get(key)
        if isinstance(name, str) and name.startswith(MANAGED_AGENT_PREFIXES):
            return name
    return None


def parse_body(request: Request) -> dict[str, Any]:
    """The request's body as a JSON object, else a 400 ``INVALID_ARGUMENT``."""
    try:
        body = json.loads(request.body or b"null")
    except ValueError as exc:
        raise ApiError(
            protocol.INVALID_ARGUMENT, f"Invalid JSON payload received. {exc.__class__.__name__}: {exc}"
        ) from None
    if not isinstance(body, dict):
        raise ApiError(
            protocol.INVALID_ARGUMENT, "Invalid JSON payload received. The body must be a JSON object."
        )
    return body


def check_types(body: Mapping[str, Any]) -> None:
    """Each known field has a documented type, one of ``model`` or ``agent`` is set, and ``input`` too."""
    expected: dict[str, tuple[type, ...]] = {
        "model": (str,),
        "agent": (str,),
        "input": (str, list),
        "background": (bool,),
        "stream": (bool,),
        "store": (bool,),
        "previous_interaction_id": (str,),
        "continuation_token": (str,),
        "tools": (list,),
        "generation_config": (dict,),
        "agent_config": (dict,),
        "environment": (str, dict),
        "system_instruction": (str, dict, list),
    }
    for name, types in expected.items():
        value = body.get(name)
        if value is not None and not isinstance(value, types):
            wanted = " or ".join("object" if t is dict else t.__name__ for t in types)
            raise ApiError(
                protocol.INVALID_ARGUMENT,
                f"Invalid value at '{name}' ({type(value).__name__}): expected {wanted}.",
            )
    if bool(body.get("model")) == bool(body.get("agent")):
        raise ApiError(protocol.INVALID_ARGUMENT, "Exactly one of 'model' or 'agent' must be set.")
    if body.get("input") in (None, "", []) and not body.get("continuation_token"):
        raise ApiError(protocol.INVALID_ARGUMENT, "'input' is required.")


def check_call_ids(body: Mapping[str, Any], previous: Mapping[str, Any] | None) -> None:
    """Each ``function_result`` must answer a function call of the interaction it continues."""
    items = body.get("input")
    if not isinstance(items, list):
        return
    results = [
        (n, item)
        for n, item in enumerate(items)
        if isinstance(item, Mapping) and item.get("type") == "function_result"
    ]
    # Calls sent back in the input itself count too (a client replaying the history).
    calls = [s.get("id") for s in items if isinstance(s, Mapping) and s.get("type") == "function_call"]
    if previous is None and not calls:
        return  # nothing to answer to is known: a stateless request is taken as it is
    if previous is not None:
        calls += [s.get("id") for s in previous.get("steps", []) if s.get("type") == "function_call"]
    known = [c for c in calls if isinstance(c, str)]
    for n, result in results:
        call_id = result.get("call_id")
        if call_id in known:
            continue
        where = f"interaction '{previous['id']}'" if previous is not None else "the input"
        listed = ", ".join(repr(c) for c in known) or "none"
        raise ApiError(
            protocol.INVALID_ARGUMENT,
            f"function_result call_id {call_id!r} (input[{n}]) matches no function call of "
            f"{where}; its function calls: {listed}.",
        )
