"""Each kind of scenario step told as a Responses output item, with the stream events that build it.

A step's start opens its item, its deltas stream into it, its stop finishes it. Server-side tool
calls (web search, code interpreter) stay open after their call step until the step carrying their
result arrives, as the Responses API tells a tool call and its outcome as one item.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any, Protocol

from pytest_interactions.protocol import apply_delta, finish_step
from pytest_interactions.protocol import openai as oa


class Sink(Protocol):
    """Where items are added to the response and their events are sent."""

    include: frozenset[str]
    response_id: str

    @property
    def next_output_index(self) -> int: ...

    def emit(self, payload: dict[str, Any]) -> None: ...

    def open_item(self, item: dict[str, Any], prefix: str) -> int: ...

    def close_item(self, output_index: int) -> None: ...


class StepItem:
    """The output item of one step; subclasses say what its deltas and its stop stream."""

    prefix = "item"

    def __init__(self, sink: Sink, step: Mapping[str, Any]) -> None:
        self.sink = sink
        self.step: dict[str, Any] = copy.deepcopy(dict(step))
        self.output_index = -1
        self.item: dict[str, Any] = {}

    def open(self, item: dict[str, Any]) -> None:
        self.output_index = self.sink.open_item(item, self.prefix)
        self.item = item

    def where(self) -> dict[str, Any]:
        return {"item_id": self.item["id"], "output_index": self.output_index}

    def event(self, kind: str, **fields: Any) -> None:
        self.sink.emit({"type": kind, **self.where(), **fields})

    def start(self) -> None:
        raise NotImplementedError

    def delta(self, delta: Mapping[str, Any]) -> None:
        apply_delta(self.step, delta)
        self.on_delta(delta)

    def on_delta(self, delta: Mapping[str, Any]) -> None:
        """Stream what a delta adds (nothing, unless the item's events carry it)."""

    def stop(self) -> None:
        finish_step(self.step)
        self.on_stop()

    def on_stop(self) -> None:
        self.close("completed")

    def close(self, status: str | None) -> None:
        if status is not None:
            self.item["status"] = status
        self.sink.close_item(self.output_index)


class MessageItem(StepItem):
    """``model_output``: an assistant message with one ``output_text`` part; each image delta
    becomes an ``image_generation_call`` item of its own."""

    prefix = "msg"

    def start(self) -> None:
        self.open({"type": "message", "role": "assistant", "status": "in_progress", "content": []})
        part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
        self.item["content"].append(part)
        self.event(oa.CONTENT_PART_ADDED, content_index=0, part=copy.deepcopy(part))

    def on_delta(self, delta: Mapping[str, Any]) -> None:
        if delta.get("type") == "text":
            text = str(delta.get("text", ""))
            self.item["content"][0]["text"] += text
            self.event(oa.TEXT_DELTA, content_index=0, delta=text, logprobs=[])
        elif delta.get("type") == "image":
            ImageItem(self.sink, delta).start()

    def on_stop(self) -> None:
        part = self.item["content"][0]
        self.event(oa.TEXT_DONE, content_index=0, text=part["text"], logprobs=[])
        self.event(oa.CONTENT_PART_DONE, content_index=0, part=copy.deepcopy(part))
        self.close("completed")


class ImageItem(StepItem):
    """An image of a ``model_output`` step, generated at the moment its delta arrives."""

    prefix = "ig"

    def start(self) -> None:
        item: dict[str, Any] = {"type": "image_generation_call", "status": "in_progress", "result": None}
        mime = str(self.step.get("mime_type") or "")
        if mime.startswith("image/"):
            item["output_format"] = mime[6:]
        self.open(item)
        self.event(oa.IMAGE_IN_PROGRESS)
        self.event(oa.IMAGE_GENERATING)
        self.item["result"] = self.step.get("data")
        self.event(oa.IMAGE_COMPLETED)
        self.close("completed")


class ReasoningItem(StepItem):
    """``thought``: a reasoning item; each summary delta is one summary part, and the signature
    its ``encrypted_content`` when the request includes ``reasoning.encrypted_content``."""

    prefix = "rs"

    def start(self) -> None:
        self.open({"type": "reasoning", "summary": []})

    def on_delta(self, delta: Mapping[str, Any]) -> None:
        if delta.get("type") == "thought_signature" and oa.ENCRYPTED_REASONING in self.sink.include:
            self.item["encrypted_content"] = str(delta.get("signature", ""))
        content = delta.get("content")
        if delta.get("type") != "thought_summary" or not isinstance(content, Mapping):
            return
        if content.get("type") != "text":
            return
        text, index = str(content.get("text", "")), len(self.item["summary"])
        self.event(oa.SUMMARY_PART_ADDED, summary_index=index, part={"type": "summary_text", "text": ""})
        self.item["summary"].append({"type": "summary_text", "text": text})
        self.event(oa.SUMMARY_TEXT_DELTA, summary_index=index, delta=text)
        self.event(oa.SUMMARY_TEXT_DONE, summary_index=index, text=text)
        self.event(oa.SUMMARY_PART_DONE, summary_index=index, part={"type": "summary_text", "text": text})

    def on_stop(self) -> None:
        self.close(None)


class FunctionCallItem(StepItem):
    """``function_call``: its arguments streamed as they come; the step's own ``arguments``,
    as JSON, when no delta streamed them."""

    prefix = "fc"

    def start(self) -> None:
        self.streamed = False
        fallback = f"call_{self.sink.response_id[5:]}_{self.sink.next_output_index}"
        call_id = str(self.step.get("id") or fallback)
        item = {"type": "function_call", "status": "in_progress", "call_id": call_id, "arguments": ""}
        self.open({**item, "name": str(self.step.get("name", ""))})

    def on_delta(self, delta: Mapping[str, Any]) -> None:
        if delta.get("type") == "arguments_delta":
            self.send(str(delta.get("arguments", "")))

    def send(self, text: str) -> None:
        self.streamed = True
        self.item["arguments"] += text
        self.event(oa.ARGUMENTS_DELTA, delta=text)

    def on_stop(self) -> None:
        arguments = self.step.get("arguments")
        if not self.streamed and arguments not in (None, {}, ""):
            self.send(arguments if isinstance(arguments, str) else json.dumps(arguments))
        elif not self.streamed:
            self.item["arguments"] = "{}"
        self.event(oa.ARGUMENTS_DONE, arguments=self.item["arguments"])
        self.close("completed")


class ToolCallItem(StepItem):
    """A server-side tool call: finished by the result step whose ``call_id`` names it."""

    def settle(self, result: Mapping[str, Any] | None) -> None:
        """The call's result arrived (``None``: the response ends without one)."""
        raise NotImplementedError


class WebSearchItem(ToolCallItem):
    """``google_search_call`` (and its result): a ``web_search_call`` item."""

    prefix = "ws"

    def action(self) -> dict[str, Any]:
        arguments = self.step.get("arguments")
        queries = arguments.get("queries") if isinstance(arguments, Mapping) else None
        found = [str(q) for q in queries] if isinstance(queries, list) else []
        return {"type": "search", "query": found[0] if found else "", "queries": found}

    def start(self) -> None:
        self.open({"type": "web_search_call", "status": "in_progress", "action": self.action()})
        self.event(oa.SEARCH_IN_PROGRESS)

    def on_stop(self) -> None:
        self.item["action"] = self.action()
        self.item["status"] = "searching"
        self.event(oa.SEARCH_SEARCHING)

    def settle(self, result: Mapping[str, Any] | None) -> None:
        self.event(oa.SEARCH_COMPLETED)
        self.close("completed")


class CodeInterpreterItem(ToolCallItem):
    """``code_execution_call`` (and its result): a ``code_interpreter_call`` item whose code
    streams as it arrives and whose result becomes its logs."""

    prefix = "ci"

    def code(self) -> str:
        arguments = self.step.get("arguments")
        code = arguments.get("code") if isinstance(arguments, Mapping) else None
        return code if isinstance(code, str) else ""

    def start(self) -> None:
        container = "cntr_" + self.sink.response_id[5:]
        self.open(
            {
                "type": "code_interpreter_call",
                "status": "in_progress",
                "code": "",
                "container_id": container,
                "outputs": None,
            }
        )
        self.event(oa.CODE_IN_PROGRESS)
        self.stream_code()

    def stream_code(self) -> None:
        code, sent = self.code(), self.item["code"]
        if code.startswith(sent) and len(code) > len(sent):
            self.item["code"] = code
            self.event(oa.CODE_DELTA, delta=code[len(sent) :])

    def on_delta(self, delta: Mapping[str, Any]) -> None:
        self.stream_code()

    def on_stop(self) -> None:
        self.stream_code()
        self.item["code"] = self.code()
        self.event(oa.CODE_DONE, code=self.item["code"])
        self.item["status"] = "interpreting"
        self.event(oa.CODE_INTERPRETING)

    def settle(self, result: Mapping[str, Any] | None) -> None:
        value = result.get("result") if result is not None else None
        if value is not None:
            logs = value if isinstance(value, str) else json.dumps(value)
            self.item["outputs"] = [{"type": "logs", "logs": logs}]
        self.event(oa.CODE_COMPLETED)
        self.close("completed")


#: The item each step kind opens; ``user_input`` and ``function_result`` are the client's own
#: input, which a Responses stream never repeats, and results finish their call's item.
ITEMS: dict[str, type[StepItem]] = {
    "model_output": MessageItem,
    "thought": ReasoningItem,
    "function_call": FunctionCallItem,
    "google_search_call": WebSearchItem,
    "code_execution_call": CodeInterpreterItem,
}
RESULTS: frozenset[str] = frozenset({"google_search_result", "code_execution_result"})
