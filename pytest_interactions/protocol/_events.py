"""The event grammar of an Interactions stream, and folding events into an Interaction."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from typing import Any

from pytest_interactions.protocol._status import TERMINAL as _TERMINAL

INTERACTION_CREATED = "interaction.created"
STATUS_UPDATE = "interaction.status_update"
STEP_START = "step.start"
STEP_DELTA = "step.delta"
STEP_STOP = "step.stop"
INTERACTION_COMPLETED = "interaction.completed"
ERROR = "error"

#: Every event type the protocol documents, in the order a stream uses them.
EVENT_TYPES: tuple[str, ...] = (
    INTERACTION_CREATED,
    STATUS_UPDATE,
    STEP_START,
    STEP_DELTA,
    STEP_STOP,
    INTERACTION_COMPLETED,
    ERROR,
)

#: The data of the sentinel message that ends a stream.
DONE_DATA = "[DONE]"
DONE_EVENT = "done"

STEP_TYPES: tuple[str, ...] = (
    "user_input",
    "model_output",
    "thought",
    "function_call",
    "function_result",
    "google_search_call",
    "google_search_result",
    "code_execution_call",
    "code_execution_result",
)

DELTA_TYPES: tuple[str, ...] = (
    "text",
    "image",
    "thought_summary",
    "thought_signature",
    "arguments_delta",
    "google_search_call",
    "google_search_result",
    "code_execution_call",
    "code_execution_result",
)


def event_type_of(payload: Mapping[str, Any]) -> str | None:
    """The ``event_type`` a payload names, or ``None`` when it names none."""
    value = payload.get("event_type")
    return value if isinstance(value, str) else None


def status_carried(payload: Mapping[str, Any]) -> str | None:
    """The interaction status an event payload reports, if it reports one."""
    kind = event_type_of(payload)
    if kind == STATUS_UPDATE and isinstance(payload.get("status"), str):
        return str(payload["status"])
    if kind in (INTERACTION_CREATED, INTERACTION_COMPLETED):
        interaction = payload.get("interaction")
        if isinstance(interaction, Mapping) and isinstance(interaction.get("status"), str):
            return str(interaction["status"])
    return None


def ends_stream(payload: Mapping[str, Any]) -> bool:
    """True for the event after which a run's stream has nothing more to tell.

    ``interaction.completed`` ends it whatever status it carries (``requires_action`` included);
    a status update to a terminal status ends it too (after an ``error`` event, for example).
    A client that has read this event has read its stream, ``[DONE]`` or not.
    """
    kind = event_type_of(payload)
    if kind == INTERACTION_COMPLETED:
        return True
    status = payload.get("status")
    return kind == STATUS_UPDATE and isinstance(status, str) and status in _TERMINAL


def apply_delta(step: dict[str, Any], delta: Mapping[str, Any]) -> None:
    """Merge one ``step.delta`` into the step it belongs to, as the SDK's stream helpers do."""
    kind = delta.get("type")
    if kind == "text":
        content = step.setdefault("content", [])
        if content and content[-1].get("type") == "text":
            content[-1]["text"] = content[-1].get("text", "") + str(delta.get("text", ""))
        else:
            content.append({"type": "text", "text": str(delta.get("text", ""))})
    elif kind == "image":
        step.setdefault("content", []).append(
            {k: v for k, v in delta.items() if k in ("type", "mime_type", "data", "uri")}
        )
    elif kind == "thought_summary":
        summary = step.setdefault("summary", [])
        item = delta.get("content")
        if isinstance(item, Mapping):
            if summary and summary[-1].get("type") == "text" and item.get("type") == "text":
                summary[-1]["text"] = summary[-1].get("text", "") + str(item.get("text", ""))
            else:
                summary.append(dict(item))
    elif kind == "thought_signature":
        step["signature"] = delta.get("signature")
    elif kind == "arguments_delta":
        step["_arguments_text"] = step.get("_arguments_text", "") + str(delta.get("arguments", ""))
    else:
        step.update({k: copy.deepcopy(v) for k, v in delta.items() if k != "type"})


def finish_step(step: dict[str, Any]) -> None:
    """Close a step: partial JSON arguments become the parsed ``arguments`` mapping."""
    text = step.pop("_arguments_text", None)
    if text is not None:
        try:
            step["arguments"] = json.loads(text)
        except ValueError:
            step["arguments"] = text


class InteractionFold:
    """Builds the Interaction object a stream describes, one event at a time.

    The emulator answers GETs with it, the replay server compiles cassettes with it, and
    ``recorded_text`` reads the output text from it: one definition of what a stream means.
    """

    def __init__(self, base: Mapping[str, Any] | None = None) -> None:
        self.interaction: dict[str, Any] = dict(base or {})
        self.steps: dict[int, dict[str, Any]] = {}
        self.errors: list[dict[str, Any]] = []
        self.last_event_id: str | None = None

    def apply(self, payload: Mapping[str, Any]) -> None:
        """Fold one event payload (the parsed JSON ``data`` of an SSE message)."""
        kind = event_type_of(payload)
        if isinstance(payload.get("event_id"), str):
            self.last_event_id = payload["event_id"]
        if kind in (INTERACTION_CREATED, INTERACTION_COMPLETED):
            incoming = payload.get("interaction")
            if isinstance(incoming, Mapping):
                self.interaction.update({k: copy.deepcopy(v) for k, v in incoming.items() if k != "steps"})
        elif kind == STATUS_UPDATE:
            if isinstance(payload.get("status"), str):
                self.interaction["status"] = payload["status"]
            if "continuation_token" in payload:
                self.interaction["continuation_token"] = payload["continuation_token"]
        elif kind == STEP_START:
            step = payload.get("step")
            if isinstance(step, Mapping):
                self.steps[int(payload.get("index", len(self.steps)))] = copy.deepcopy(dict(step))
        elif kind == STEP_DELTA:
            delta = payload.get("delta")
            if isinstance(delta, Mapping):
                step_index = int(payload.get("index", 0))
                apply_delta(self.steps.setdefault(step_index, {}), delta)
        elif kind == STEP_STOP:
            step = self.steps.get(int(payload.get("index", -1)))
            if step is not None:
                finish_step(step)
        elif kind == ERROR:
            error = payload.get("error")
            if isinstance(error, Mapping):
                self.errors.append(dict(error))

    def extend(self, payloads: Iterable[Mapping[str, Any]]) -> InteractionFold:
        """Fold many payloads; returns ``self`` for chaining."""
        for payload in payloads:
            self.apply(payload)
        return self

    def snapshot(self) -> dict[str, Any]:
        """The Interaction object as of the events folded so far."""
        result = copy.deepcopy(self.interaction)
        steps = []
        for index in sorted(self.steps):
            step = copy.deepcopy(self.steps[index])
            finish_step(step)
            steps.append(step)
        result["steps"] = steps
        if self.errors:
            result["errors"] = copy.deepcopy(self.errors)
        return result


def output_text(interaction: Mapping[str, Any]) -> str:
    """The text of the trailing ``model_output`` steps, as the SDK's ``output_text`` reads it."""
    steps = interaction.get("steps") or []
    trailing: list[Mapping[str, Any]] = []
    for step in reversed(steps):
        if not isinstance(step, Mapping) or step.get("type") != "model_output":
            break
        trailing.append(step)
    parts = [
        str(item.get("text", ""))
        for step in reversed(trailing)
        for item in step.get("content") or []
        if isinstance(item, Mapping) and item.get("type") == "text"
    ]
    return "".join(parts)
