"""The recordings every benchmark replays, made once per run by each tool against the emulator.

Each tool records the same client code against the same emulator, so that each replays its own
file of the same traffic: a create and ``polls`` polls, a create and a stream of ``events``
events, and ``exchanges`` exchanges (creates and polls) for loading and saving.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import _clients
import _peers

from pytest_interactions.emulator import Emulator, Script


@dataclass
class Sizes:
    polls: int = 20
    events: int = 10_000
    exchanges: int = 1_000
    cuts: int = 200
    tests: int = 500
    cold_polls: int = 1_000


@dataclass
class Manifest:
    """What the recordings hold and where, as the workers read it back."""

    base_url: str
    sizes: dict[str, int]
    tools: list[str]
    skipped: dict[str, str]
    events: int
    poll_status: int
    poll_headers: list[tuple[str, str]]
    poll_body: str
    stream_headers: list[tuple[str, str]]
    cold_ids: dict[str, str]
    """Per tool, the interaction its ``polls`` cassette polls."""


def _long_stream(deltas: int) -> Script:
    script = Script(pace=0.0001)
    return script.step(
        {"type": "model_output"}, [{"type": "text", "text": f"w{n} "} for n in range(deltas)]
    ).finish()


def _long_run(request: object) -> Script:
    """A run that stays in progress while it is polled."""
    return Script(pace=10.0).text("a slow answer").finish()


FINISHED_INPUT = "a finished answer"
_FINISHED_TEXT = " ".join(f"word{n}" for n in range(100))


def register_finished(api: Emulator) -> None:
    """Runs for :data:`FINISHED_INPUT` finish at once; a poll of one is about 1 KB of JSON."""
    api.scenarios.register(
        "bench-finished",
        lambda request: (
            Script(pace=0.0)
            .step({"type": "thought", "summary": [{"type": "text", "text": "Reading the question first."}]})
            .text(_FINISHED_TEXT)
            .finish(usage={"total_input_tokens": 12, "total_output_tokens": 150, "total_tokens": 162})
        ),
        when=lambda r: r.input_text == FINISHED_INPUT,
    )


def wait_finished(http: object, interaction_id: str) -> None:
    """Poll until the run shows ``completed``."""
    for _ in range(1000):
        if _clients.poll(http, interaction_id) == "completed":
            return
    raise AssertionError(f"{interaction_id} never completed")


def path(workdir: Path, tool: str, what: str) -> Path:
    """The file ``tool`` recorded ``what`` into."""
    return workdir / f"{tool.replace('-', '_')}-{what}.yaml"


def record(workdir: Path, sizes: Sizes) -> Manifest:
    """Record the three cassettes with every installed tool; the floor's bytes beside them."""
    tools = _peers.available()
    skipped = {tool: reason for tool in _peers.TOOLS if (reason := _peers.missing(tool)) is not None}
    with Emulator(speed=1000.0) as api:
        # Registered scenarios are tried last one first.
        api.scenarios.register("bench-poll", _long_run, when=lambda r: True)
        api.scenarios.register(
            "bench-stream",
            lambda request: _long_stream(sizes.events - 5),
            when=lambda r: r.input_text == _clients.STREAM_INPUT,
        )
        register_finished(api)
        cold_ids: dict[str, str] = {}
        for tool in tools:
            for what in ("poll", "stream", "files", "polls"):  # vcrpy adds to a file it finds: start afresh
                path(workdir, tool, what).unlink(missing_ok=True)
            with _peers.recording(tool, path(workdir, tool, "poll")), _clients.client(api.base_url) as http:
                interaction_id = _clients.create(http)
                for _ in range(sizes.polls):
                    _clients.poll(http, interaction_id)
            with _peers.recording(tool, path(workdir, tool, "stream")), _clients.client(api.base_url) as http:
                _clients.read_stream(http, _clients.create(http, _clients.STREAM_INPUT))
            with _peers.recording(tool, path(workdir, tool, "files")), _clients.client(api.base_url) as http:
                for _ in range(sizes.exchanges // 2):
                    _clients.poll(http, _clients.create(http))
            with _peers.recording(tool, path(workdir, tool, "polls")), _clients.client(api.base_url) as http:
                cold_ids[tool] = _clients.create(http, FINISHED_INPUT)
                wait_finished(http, cold_ids[tool])
                for _ in range(sizes.cold_polls):
                    _clients.poll(http, cold_ids[tool])
        base_url = api.base_url
    if _peers.OURS in tools:
        from pytest_interactions.session._loaded import forget_loaded, load_for_replay

        for what in ("poll", "stream", "files"):  # the parsed-cassette cache warm, as in the next run
            load_for_replay(path(workdir, _peers.OURS, what)).histories()
        forget_loaded()
    manifest = _floor(workdir, base_url, sizes, tools, skipped, cold_ids)
    (workdir / "manifest.json").write_text(json.dumps(asdict(manifest)))
    return manifest


def _floor(
    workdir: Path,
    base_url: str,
    sizes: Sizes,
    tools: list[str],
    skipped: dict[str, str],
    cold_ids: dict[str, str],
) -> Manifest:
    """The same bytes for the floor (MockTransport): the poll answer, and the stream's events as chunks."""
    from pytest_interactions.cassette import body_to_bytes, event_to_bytes, load_cassette

    polls = load_cassette(path(workdir, _peers.OURS, "poll")).exchanges
    answer = polls[-1].response
    assert answer is not None
    assert answer.body is not None
    stream = next(
        e.response
        for e in load_cassette(path(workdir, _peers.OURS, "stream")).exchanges
        if e.response is not None and e.response.events is not None
    )
    chunks = [event_to_bytes(event).decode() for event in stream.events or [] if hasattr(event, "data")]
    (workdir / "floor-stream.json").write_text(json.dumps(chunks))
    return Manifest(
        base_url=base_url,
        sizes=asdict(sizes),
        tools=tools,
        skipped=skipped,
        events=len(chunks),
        poll_status=answer.status,
        poll_headers=[(k, v) for k, v in answer.headers if k.lower() != "content-length"],
        poll_body=body_to_bytes(answer.body).decode(),
        stream_headers=[(k, v) for k, v in stream.headers if k.lower() != "content-length"],
        cold_ids=cold_ids,
    )


def load_manifest(workdir: Path) -> Manifest:
    return Manifest(**json.loads((workdir / "manifest.json").read_text()))
