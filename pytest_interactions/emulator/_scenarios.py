"""Scenarios: how the emulator decides what an interaction does, and the built-in ones."""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus

from pytest_interactions import protocol
from pytest_interactions.emulator._arguments import arguments_for
from pytest_interactions.emulator._script import Script

#: Request header that names the scenario to run, overriding every other rule.
SCENARIO_HEADER = "x-emulator-scenario"


@dataclass(frozen=True)
class ScenarioRequest:
    """What a scenario sees of a create request."""

    interaction_id: str
    body: Mapping[str, Any]
    previous: Mapping[str, Any] | None = None
    resume: Any = None
    """State saved with the continuation token this request carries, when it carries one."""
    _mint: Callable[[Any], str] | None = field(default=None, repr=False, compare=False)

    @property
    def model(self) -> str | None:
        value = self.body.get("model")
        return value if isinstance(value, str) else None

    @property
    def agent(self) -> str | None:
        value = self.body.get("agent")
        return value if isinstance(value, str) else None

    @property
    def name(self) -> str:
        """The model or agent the request names."""
        return self.agent or self.model or ""

    @property
    def input_text(self) -> str:
        """Every text of the input, joined with spaces."""
        return " ".join(_texts(self.body.get("input"))).strip()

    @property
    def function_results(self) -> list[Mapping[str, Any]]:
        """The ``function_result`` items of the input."""
        items = self.body.get("input")
        if not isinstance(items, list):
            return []
        return [i for i in items if isinstance(i, Mapping) and i.get("type") == "function_result"]

    @property
    def tools(self) -> list[Mapping[str, Any]]:
        tools = self.body.get("tools")
        return [t for t in tools if isinstance(t, Mapping)] if isinstance(tools, list) else []

    def continuation_token(self, state: Any) -> str:
        """Mint a continuation token that resumes this scenario with ``state``."""
        if self._mint is None:
            raise RuntimeError("this request cannot mint continuation tokens")
        return self._mint(state)


ScenarioBuilder = Callable[[ScenarioRequest], Script]


@dataclass(frozen=True)
class Scenario:
    """A named behaviour: how to build the run, when it applies, and rejections before it runs.

    ``reject`` answers the first attempts of an identical request with an HTTP error: a tuple
    ``(status, retry_after_seconds, attempts)``; the SDK's own retries then get through.
    """

    name: str
    build: ScenarioBuilder
    when: Callable[[ScenarioRequest], bool] | None = None
    description: str = ""
    reject: tuple[int, float, int] | None = None


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)
    elif isinstance(value, Mapping):
        if isinstance(value.get("text"), str):
            yield value["text"]
        for key in ("content", "parts"):
            if key in value:
                yield from _texts(value[key])


def digest(text: str) -> int:
    """A stable number from text, so that outputs vary with the input and never by chance."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:4], "big")


_TOPICS = ("the evidence", "the main trade-offs", "the history", "what remains open", "the data")


def answer_for(text: str) -> str:
    """The deterministic answer the emulator gives to an input."""
    topic = _TOPICS[digest(text) % len(_TOPICS)]
    prompt = text if len(text) <= 120 else text[:117] + "..."
    return f"You asked: {prompt} Here is a short answer that looks at {topic}."


def _function_declarations(request: ScenarioRequest) -> list[Mapping[str, Any]]:
    found: list[Mapping[str, Any]] = []
    for tool in request.tools:
        if tool.get("type") == "function" or "parameters" in tool:
            found.append(tool)
        for decl in tool.get("function_declarations") or []:
            if isinstance(decl, Mapping):
                found.append(decl)
    return found


def _has_tool(request: ScenarioRequest, kind: str) -> bool:
    return any(tool.get("type") == kind or kind in tool for tool in request.tools)


def build_text(request: ScenarioRequest) -> Script:
    """Plain text output derived from the input."""
    return Script().text(answer_for(request.input_text)).finish()


def build_thinking(request: ScenarioRequest) -> Script:
    """A thought step (summary, then signature), then the answer."""
    summary = f"Considering how to answer: {request.input_text[:60]}"
    return (
        Script()
        .step(
            {"type": "thought"},
            [
                {"type": "thought_summary", "content": {"type": "text", "text": summary}},
                {"type": "thought_signature", "signature": f"sig-{digest(summary):08x}"},
            ],
        )
        .text(answer_for(request.input_text))
        .finish()
    )


def build_function_call(request: ScenarioRequest) -> Script:
    """The model calls the first declared function and waits in ``requires_action``."""
    decl = _function_declarations(request)[0]
    name = str(decl.get("name", "function"))
    arguments = json.dumps(arguments_for(decl, request.input_text))
    half = len(arguments) // 2
    call_id = f"call_{digest(request.interaction_id + name):08x}"
    return (
        Script()
        .step(
            {"type": "function_call", "id": call_id, "name": name, "arguments": {}},
            [
                {"type": "arguments_delta", "arguments": arguments[:half]},
                {"type": "arguments_delta", "arguments": arguments[half:]},
            ],
        )
        .finish(protocol.REQUIRES_ACTION)
    )


def build_function_result(request: ScenarioRequest) -> Script:
    """The answer after the client sent back function results."""
    parts = [
        f"{r.get('name', 'the function')} returned {json.dumps(r.get('result'), sort_keys=True)}"
        for r in request.function_results
    ]
    return Script().text("Based on the results: " + "; ".join(parts) + ".").finish()


def build_google_search(request: ScenarioRequest) -> Script:
    """A server-side google_search call and result, then an answer."""
    query = request.input_text[:80] or "query"
    call_id = f"search_{digest(query):08x}"
    return (
        Script()
        .step({"type": "google_search_call", "id": call_id, "arguments": {"queries": [query]}})
        .step(
            {
                "type": "google_search_result",
                "call_id": call_id,
                # The API's GoogleSearchResult carries only ``search_suggestions``, an HTML
                # snippet to embed; sources come as annotations of the answer text.
                "result": [{"search_suggestions": _search_suggestions(query)}],
            }
        )
        .text(answer_for(request.input_text))
        .finish()
    )


def _search_suggestions(query: str) -> str:
    href = "https://www.google.com/search?q=" + quote_plus(query)
    return f'<div class="search-suggestions"><a href="{html.escape(href)}">{html.escape(query)}</a></div>'


def build_deep_research(request: ScenarioRequest) -> Script:
    """A 60-second research run: many thought summaries, then a long report."""
    topic = request.input_text[:60] or "the topic"
    script = Script(pace=0.5)
    phases = ("Planning", "Searching", "Reading", "Comparing", "Drafting", "Reviewing")
    summaries = [
        {
            "type": "thought_summary",
            "content": {"type": "text", "text": f"{phase} sources on {topic} ({n})."},
        }
        for phase in phases
        for n in range(1, 5)
    ]
    script.step({"type": "thought"}, summaries, every=2.0)
    report = " ".join(f"Section {n}: findings about {topic} and {t}." for n, t in enumerate(_TOPICS, 1))
    script.wait(8.0).text(report, words_per_delta=8)
    return script.finish()


def build_failure(request: ScenarioRequest) -> Script:
    """Some output, then an ``error`` event and ``failed``."""
    return (
        Script()
        .text(answer_for(request.input_text)[:40])
        .error("gateway_timeout", "Deadline expired before operation could complete.")
        .finish(protocol.FAILED)
    )


_SEGMENTS_PER_HOP = 2


def build_continuation(request: ScenarioRequest) -> Script:
    """Long output in hops: a checkpoint token after each part, ``requires_continuation``.

    A hop carries two parts; a create with the last token continues with the next parts,
    and a create with a mid-hop checkpoint token resumes right after that checkpoint.
    """
    resume = request.resume if isinstance(request.resume, Mapping) else {}
    topic = str(resume.get("topic") or request.input_text[:60] or "the topic")
    parts = [f"Part {n} of the long answer about {topic}. " for n in range(1, 6)]
    start = int(resume.get("next", 0))
    end = min(start + _SEGMENTS_PER_HOP, len(parts))
    script = Script()
    for n in range(start, end):
        script.step({"type": "model_output"}, [{"type": "text", "text": parts[n]}])
        if n + 1 < end:
            token = request.continuation_token({"next": n + 1, "topic": topic})
            script.status(protocol.IN_PROGRESS, continuation_token=token)
    if end < len(parts):
        token = request.continuation_token({"next": end, "topic": topic})
        return script.finish(protocol.REQUIRES_CONTINUATION, continuation_token=token)
    return script.finish()


def _keyword(*words: str) -> Callable[[ScenarioRequest], bool]:
    return lambda request: any(word in request.name for word in words)


#: The built-in scenarios, in the order their ``when`` rules are tried.
BUILTIN: tuple[Scenario, ...] = (
    Scenario(
        "function_result",
        build_function_result,
        lambda r: bool(r.function_results),
        "answers the function results sent back after requires_action",
    ),
    Scenario(
        "deep_research",
        build_deep_research,
        _keyword("deep-research"),
        "60 s of thought summaries, then a long report",
    ),
    Scenario(
        "function_call",
        build_function_call,
        lambda r: bool(_function_declarations(r)),
        "calls the first declared function and ends in requires_action",
    ),
    Scenario(
        "google_search",
        build_google_search,
        lambda r: _has_tool(r, "google_search"),
        "google_search call and result steps, then an answer",
    ),
    Scenario("failure", build_failure, _keyword("fail"), "partial output, an error event, then failed"),
    Scenario(
        "rate_limited",
        build_text,
        _keyword("rate-limit"),
        "429 with Retry-After on the first two attempts, then plain text",
        (429, 1.0, 2),
    ),
    Scenario(
        "unavailable",
        build_text,
        _keyword("unavailable"),
        "503 with Retry-After on the first attempt, then plain text",
        (503, 1.0, 1),
    ),
    Scenario(
        "continuation",
        build_continuation,
        _keyword("continuation"),
        "long output in hops ending requires_continuation with a continuation_token",
    ),
    Scenario("thinking", build_thinking, _keyword("think", "pro"), "a thought step, then the answer"),
    Scenario("text", build_text, None, "plain text derived from the input (the default)"),
)


class ScenarioBook:
    """The scenarios an emulator knows: the built-in ones and those a test registers."""

    def __init__(self, builtin: Sequence[Scenario] = BUILTIN) -> None:
        self._registered: list[Scenario] = []
        self._builtin = list(builtin)

    def register(
        self,
        name: str,
        build: ScenarioBuilder,
        *,
        when: Callable[[ScenarioRequest], bool] | None = None,
        description: str = "",
        reject: tuple[int, float, int] | None = None,
    ) -> Scenario:
        """Add a scenario; registered scenarios are tried before the built-in ones."""
        scenario = Scenario(name, build, when, description, reject)
        self._registered = [s for s in self._registered if s.name != name]
        self._registered.insert(0, scenario)
        return scenario

    def unregister(self, name: str) -> None:
        self._registered = [s for s in self._registered if s.name != name]

    def names(self) -> list[str]:
        return [s.name for s in (*self._registered, *self._builtin)]

    def get(self, name: str) -> Scenario | None:
        return next((s for s in (*self._registered, *self._builtin) if s.name == name), None)

    def pick(self, request: ScenarioRequest, named: str | None = None) -> Scenario:
        """The scenario for a request: the one named, else the first whose rule matches."""
        if named:
            scenario = self.get(named)
            if scenario is None:
                raise KeyError(named)
            return scenario
        for scenario in (*self._registered, *self._builtin):
            if scenario.when is None or scenario.when(request):
                return scenario
        raise LookupError("no scenario matches")  # the default "text" matches everything
