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
from pytest_interactions.emulator._runs import Run
from pytest_interactions.protocol import _openai as oa


def epoch_seconds(clock: EmulatorClock, at: float) -> int:
    """Unix time, in whole seconds, of scenario time ``at``."""
    return int((clock.epoch + timedelta(seconds=at)).timestamp())


class ResponseRenderer:
    """Folds a run's events, in order, into Responses events and the Response they describe."""

    def __init__(self, run: Run, clock: EmulatorClock) -> None:
        self.clock = clock
        request = run.request
        self.response: dict[str, Any] = {
            "id": run.id,
            "object": "response",
            "created_at": epoch_seconds(clock, run.created_at),
            "status": oa.QUEUED,
            "background": bool(request.get("background")),
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
        self._items: dict[int, int] = {}  # step index -> output index, for model_output steps
        self._texts: dict[int, str] = {}
        self._error: Mapping[str, Any] | None = None

    # -- what each run event becomes -------------------------------------------------------

    def feed(self, at: float, payload: Mapping[str, Any]) -> None:
        """Render one run event (the run store's own grammar) as Responses events."""
        kind = protocol.event_type_of(payload)
        if kind == protocol.INTERACTION_CREATED:
            self._lifecycle(at, oa.CREATED, oa.QUEUED)
            self._lifecycle(at, oa.QUEUED_EVENT, oa.QUEUED)
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
            error = payload.get("error")
            self._error = error if isinstance(error, Mapping) else {}
            message = str(self._error.get("message", "The response failed."))
            self._emit(
                at, {"type": oa.ERROR, "code": self._error.get("code"), "message": message, "param": None}
            )
        elif status is not None:
            self._status(at, status)

    def _status(self, at: float, status: str) -> None:
        if status == protocol.COMPLETED:
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
            self.response["incomplete_details"] = {"reason": "max_output_tokens"}
            self._lifecycle(at, oa.INCOMPLETE_EVENT, oa.INCOMPLETE, usage=self._usage())

    def _start(self, at: float, payload: Mapping[str, Any]) -> None:
        step = payload.get("step")
        if not isinstance(step, Mapping) or step.get("type") != "model_output":
            return
        index = int(payload.get("index", 0))
        output_index = len(self.response["output"])
        item_id = f"msg_{self.response['id'][5:]}_{output_index}"
        item: dict[str, Any] = {
            "id": item_id,
            "type": "message",
            "role": "assistant",
            "status": "in_progress",
            "content": [],
        }
        self.response["output"].append(item)
        self._items[index] = output_index
        self._texts[index] = ""
        where = {"item_id": item_id, "output_index": output_index}
        self._emit(
            at, {"type": oa.OUTPUT_ITEM_ADDED, "output_index": output_index, "item": copy.deepcopy(item)}
        )
        part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
        item["content"].append(part)
        self._emit(
            at, {"type": oa.CONTENT_PART_ADDED, **where, "content_index": 0, "part": copy.deepcopy(part)}
        )

    def _delta(self, at: float, payload: Mapping[str, Any]) -> None:
        index = int(payload.get("index", 0))
        delta = payload.get("delta")
        if index not in self._items or not isinstance(delta, Mapping) or delta.get("type") != "text":
            return
        text = str(delta.get("text", ""))
        self._texts[index] += text
        item = self.response["output"][self._items[index]]
        item["content"][0]["text"] = self._texts[index]
        where = {"item_id": item["id"], "output_index": self._items[index], "content_index": 0}
        self._emit(at, {"type": oa.TEXT_DELTA, **where, "delta": text, "logprobs": []})

    def _stop(self, at: float, payload: Mapping[str, Any]) -> None:
        index = int(payload.get("index", -1))
        if index not in self._items:
            return
        output_index = self._items.pop(index)
        item = self.response["output"][output_index]
        item["status"] = "completed"
        where = {"item_id": item["id"], "output_index": output_index, "content_index": 0}
        text = self._texts.pop(index)
        self._emit(at, {"type": oa.TEXT_DONE, **where, "text": text, "logprobs": []})
        part = copy.deepcopy(item["content"][0])
        self._emit(at, {"type": oa.CONTENT_PART_DONE, **where, "part": part})
        self._emit(
            at, {"type": oa.OUTPUT_ITEM_DONE, "output_index": output_index, "item": copy.deepcopy(item)}
        )

    # -- helpers ---------------------------------------------------------------------------

    def _usage(self) -> dict[str, Any]:
        words = sum(len(t.split()) for item in self.response["output"] for t in _texts(item))
        return {
            "input_tokens": 0,
            "input_tokens_details": {"cache_write_tokens": 0, "cached_tokens": 0},
            "output_tokens": words,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": words,
        }

    def _lifecycle(self, at: float, kind: str, status: str, usage: dict[str, Any] | None = None) -> None:
        self.response["status"] = status
        if usage is not None:
            self.response["usage"] = usage
        self._emit(at, {"type": kind, "response": copy.deepcopy(self.response)})

    def _emit(self, at: float, payload: dict[str, Any]) -> None:
        payload["sequence_number"] = len(self.events)
        self.events.append((at, payload))


def _texts(item: Mapping[str, Any]) -> list[str]:
    return [str(part.get("text", "")) for part in item.get("content") or [] if isinstance(part, Mapping)]


def render(run: Run, count: int, clock: EmulatorClock) -> ResponseRenderer:
    """The renderer after the run's first ``count`` events."""
    renderer = ResponseRenderer(run, clock)
    for event in run.events[:count]:
        renderer.feed(event.at, event.payload)
    return renderer
