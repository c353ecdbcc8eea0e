"""A run's events told as OpenAI Responses stream events, and its state as a Response object.

The run store holds one timeline per run whatever API created it; this module renders that
timeline in the Responses grammar, so a poll and a stream of the same run agree by construction.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from pytest_interactions import protocol
from pytest_interactions.emulator._clock import EmulatorClock
from pytest_interactions.emulator._openai_items import ITEMS, RESULTS, StepItem, ToolCallItem
from pytest_interactions.emulator._runs import Run
from pytest_interactions.protocol import apply_delta, finish_step
from pytest_interactions.protocol import openai as oa


def epoch_seconds(clock: EmulatorClock, at: float) -> int:
    """Unix time, in whole seconds, of scenario time ``at``."""
    return int((clock.epoch + timedelta(seconds=at)).timestamp())


class ResponseRenderer:
    """Folds a run's events, in order, into Responses events and the Response they describe."""

    def __init__(self, run: Run, clock: EmulatorClock) -> None:
        self.clock = clock
        request = run.request
        background = bool(request.get("background"))
        self.response: dict[str, Any] = {
            "id": run.id,
            "object": "response",
            "created_at": epoch_seconds(clock, run.created_at),
            "status": oa.QUEUED if background else oa.IN_PROGRESS,
            "background": background,
            "error": None,
            "incomplete_details": None,
            "instructions": request.get("instructions"),
            "max_output_tokens": request.get("max_output_tokens"),
            "metadata": dict(request.get("metadata") or {}),
            "model": str(request.get("model", "")),
            "output": [],
            "parallel_tool_calls": True,
            "previous_response_id": request.get("previous_response_id"),
            "temperature": 1.0,
            "text": {"format": {"type": "text"}},
            "tool_choice": "auto",
            "tools": [],
            "top_p": 1.0,
            "truncation": "disabled",
            "usage": None,
        }
        self.events: list[tuple[float, dict[str, Any]]] = []
        self.response_id = run.id
        include = request.get("include")
        self.include = frozenset(str(i) for i in include) if isinstance(include, list) else frozenset()
        self._open: dict[int, StepItem] = {}  # step index -> the item it streams into
        self._results: dict[int, dict[str, Any]] = {}  # step index -> a result step, as folded
        self._calls: dict[str, ToolCallItem] = {}  # call id -> a tool call awaiting its result
        self._error: Mapping[str, Any] | None = None
        self._at = 0.0

    # -- what each run event becomes -------------------------------------------------------

    def feed(self, at: float, payload: Mapping[str, Any]) -> None:
        """Render one run event (the run store's own grammar) as Responses events."""
        kind = protocol.event_type_of(payload)
        if kind == protocol.INTERACTION_CREATED:
            # Live recordings: only background mode queues (created and queued, both
            # ``queued``); a foreground response is created ``in_progress`` and says so at once.
            if self.response["background"]:
                self._lifecycle(at, oa.CREATED, oa.QUEUED)
                self._lifecycle(at, oa.QUEUED_EVENT, oa.QUEUED)
            else:
                self._lifecycle(at, oa.CREATED, oa.IN_PROGRESS)
                self._lifecycle(at, oa.IN_PROGRESS_EVENT, oa.IN_PROGRESS)
            return
        status = protocol.status_carried(payload)
        if self.response["status"] == oa.QUEUED and status not in oa.TERMINAL:
            self._lifecycle(at, oa.IN_PROGRESS_EVENT, oa.IN_PROGRESS)
        if kind == protocol.STEP_START:
            self._start(at, payload)
        elif kind == protocol.STEP_DELTA:
            self._delta(at, payload)
        elif kind == protocol.STEP_STOP:
            self._stop(at, payload)
        elif kind == protocol.ERROR:
            self._at = at
            error = payload.get("error")
            self._error = error if isinstance(error, Mapping) else {}
            message = str(self._error.get("message", "The response failed."))
            self._emit(
                at, {"type": oa.ERROR, "code": self._error.get("code"), "message": message, "param": None}
            )
        elif status is not None:
            self._status(at, status)

    def _status(self, at: float, status: str) -> None:
        self._at = at
        if status == protocol.COMPLETED or status == protocol.REQUIRES_ACTION:
            # Responses has no requires_action: a response that calls a function completes with
            # the function_call item in its output, and the client answers in a new response.
            self._settle_calls()
            self.response["completed_at"] = epoch_seconds(self.clock, at)
            self._lifecycle(at, oa.COMPLETED_EVENT, oa.COMPLETED, usage=self._usage())
        elif status == protocol.FAILED:
            error = self._error or {}
            self.response["error"] = {
                "code": "server_error",
                "message": str(error.get("message", "The response failed.")),
            }
            self._lifecycle(at, oa.FAILED_EVENT, oa.FAILED)
        elif status == protocol.CANCELLED:
            self.response["status"] = oa.CANCELLED  # no event: a cancelled response's stream just ends
        elif status in protocol.TERMINAL or status in protocol.WAITING:
            self._settle_calls()
            self.response["incomplete_details"] = {"reason": "max_output_tokens"}
            self._lifecycle(at, oa.INCOMPLETE_EVENT, oa.INCOMPLETE, usage=self._usage())

    def _start(self, at: float, payload: Mapping[str, Any]) -> None:
        self._at = at
        step = payload.get("step")
        index = int(payload.get("index", 0))
        kind = step.get("type") if isinstance(step, Mapping) else None
        if not isinstance(step, Mapping) or not isinstance(kind, str):
            return
        if kind in ITEMS:
            item = ITEMS[kind](self, step)
            self._open[index] = item
            item.start()
        elif kind in RESULTS:
            self._results[index] = copy.deepcopy(dict(step))

    def _delta(self, at: float, payload: Mapping[str, Any]) -> None:
        self._at = at
        index = int(payload.get("index", 0))
        delta = payload.get("delta")
        if not isinstance(delta, Mapping):
            return
        if index in self._open:
            self._open[index].delta(delta)
        elif index in self._results:
            apply_delta(self._results[index], delta)

    def _stop(self, at: float, payload: Mapping[str, Any]) -> None:
        self._at = at
        index = int(payload.get("index", -1))
        item = self._open.pop(index, None)
        if item is not None:
            item.stop()
            call_id = item.step.get("id")
            if isinstance(item, ToolCallItem) and isinstance(call_id, str):
                self._calls[call_id] = item
            elif isinstance(item, ToolCallItem):
                item.settle(None)
            return
        result = self._results.pop(index, None)
        call = self._calls.pop(str(result.get("call_id")), None) if result is not None else None
        if result is not None and call is not None:
            finish_step(result)
            call.settle(result)

    def _settle_calls(self) -> None:
        """Tool calls still waiting for a result when the response ends are told as finished."""
        for call in self._calls.values():
            call.settle(None)
        self._calls.clear()

    # -- the sink the items write to -------------------------------------------------------

    @property
    def next_output_index(self) -> int:
        return len(self.response["output"])

    def open_item(self, item: dict[str, Any], prefix: str) -> int:
        """Add an item to the output and announce it; returns its output index."""
        output_index = len(self.response["output"])
        item["id"] = f"{prefix}_{self.response['id'][5:]}_{output_index}"
        self.response["output"].append(item)
        added = {"type": oa.OUTPUT_ITEM_ADDED, "output_index": output_index, "item": copy.deepcopy(item)}
        self._emit(self._at, added)
        return output_index

    def close_item(self, output_index: int) -> None:
        item = copy.deepcopy(self.response["output"][output_index])
        self._emit(self._at, {"type": oa.OUTPUT_ITEM_DONE, "output_index": output_index, "item": item})

    def emit(self, payload: dict[str, Any]) -> None:
        self._emit(self._at, payload)

    # -- helpers ---------------------------------------------------------------------------

    def _usage(self) -> dict[str, Any]:
        words = sum(len(t.split()) for item in self.response["output"] for t in _texts(item, "content"))
        reasoning = sum(len(t.split()) for item in self.response["output"] for t in _texts(item, "summary"))
        return {
            "input_tokens": 0,
            "input_tokens_details": {"cache_write_tokens": 0, "cached_tokens": 0},
            "output_tokens": words + reasoning,
            "output_tokens_details": {"reasoning_tokens": reasoning},
            "total_tokens": words + reasoning,
        }

    def _lifecycle(self, at: float, kind: str, status: str, usage: dict[str, Any] | None = None) -> None:
        self.response["status"] = status
        if usage is not None:
            self.response["usage"] = usage
        self._emit(at, {"type": kind, "response": copy.deepcopy(self.response)})

    def _emit(self, at: float, payload: dict[str, Any]) -> None:
        payload["sequence_number"] = len(self.events)
        self.events.append((at, payload))


def _texts(item: Mapping[str, Any], key: str) -> list[str]:
    parts = item.get(key) if item.get("type") in ("message", "reasoning") else None
    return [str(part.get("text", "")) for part in parts or [] if isinstance(part, Mapping)]


def render(run: Run, count: int, clock: EmulatorClock) -> ResponseRenderer:
    """The renderer after the run's first ``count`` events."""
    renderer = ResponseRenderer(run, clock)
    for event in run.events[:count]:
        renderer.feed(event.at, event.payload)
    return renderer
