"""Replay timings, each tool and the floor in turn within every round (paired), medians over rounds.

Poll: a create, then ``polls`` GETs; the figure is the mean time of one GET in the round.
Stream: a create, then the recorded stream read with httpx-sse; the figure "load included" runs
from entering the cassette to leaving it, "stream read only" from opening the stream to its end.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _clients
import _fixtures
import _peers
import httpx
from _timer import now

Rounds = dict[str, list[float]]


def _floor_poll(manifest: _fixtures.Manifest, library: str) -> Any:
    """A MockTransport answering every request with the recorded poll answer's bytes."""
    body = manifest.poll_body.encode()
    headers = manifest.poll_headers
    module: Any = httpx
    if library == "httpx2":
        import httpx2

        module = httpx2
    return module.MockTransport(
        lambda request: module.Response(manifest.poll_status, headers=headers, content=body)
    )


def poll_rounds(workdir: Path, rounds: int, library: str) -> dict[str, Any]:
    manifest = _fixtures.load_manifest(workdir)
    polls = manifest.sizes["polls"]
    samples: Rounds = {}
    errors: dict[str, str] = {}

    def replayed(tool: str) -> float:
        cassette = _fixtures.path(workdir, tool, "poll")
        with _peers.replaying(tool, cassette), _clients.client(manifest.base_url, library) as http:
            interaction_id = _clients.create(http)
            started = now()
            for _ in range(polls):
                _clients.poll(http, interaction_id)
            return (now() - started) / polls

    def floor() -> float:
        with _clients.client(manifest.base_url, library, _floor_poll(manifest, library)) as http:
            _clients.create(http)
            started = now()
            for _ in range(polls):
                _clients.poll(http, "v1_floor")
            return (now() - started) / polls

    runners: dict[str, Callable[[], float]] = {tool: (lambda t=tool: replayed(t)) for tool in manifest.tools}
    runners[_peers.FLOOR] = floor
    _paired(runners, rounds, samples, errors)
    return {"unit": "us", "samples": _scaled(samples, 1e6), "errors": errors, "skipped": manifest.skipped}


def _floor_stream(workdir: Path, manifest: _fixtures.Manifest) -> httpx.MockTransport:
    """A MockTransport serving the recorded stream's bytes, one chunk per event (read from a file)."""
    chunks = [chunk.encode() for chunk in json.loads((workdir / "floor-stream.json").read_text())]
    created = json.dumps({"id": "v1_floor", "status": "in_progress"}).encode()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(200, json=json.loads(created))
        return httpx.Response(
            200,
            headers=manifest.stream_headers,
            stream=httpx.ByteStream(b"") if not chunks else _Chunks(chunks),
        )

    return httpx.MockTransport(handler)


class _Chunks(httpx.SyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Any:
        yield from self._chunks


def stream_rounds(workdir: Path, rounds: int) -> dict[str, Any]:
    manifest = _fixtures.load_manifest(workdir)
    load_samples: Rounds = {}
    read_samples: Rounds = {}
    errors: dict[str, str] = {}

    def timed(open_context: Callable[[], Any], transport: Callable[[], Any] | None) -> tuple[float, float]:
        started = now()
        mock = transport() if transport else None
        with open_context(), _clients.client(manifest.base_url, transport=mock) as http:
            interaction_id = _clients.create(http, _clients.STREAM_INPUT)
            opened = now()
            count = _clients.read_stream(http, interaction_id)
            read = now() - opened
        if count != manifest.events:
            raise AssertionError(f"{count} events arrived, {manifest.events} were recorded")
        return now() - started, read

    import contextlib

    pairs: dict[str, Callable[[], tuple[float, float]]] = {
        tool: (lambda t=tool: timed(lambda: _peers.replaying(t, _fixtures.path(workdir, t, "stream")), None))
        for tool in manifest.tools
    }
    pairs[_peers.FLOOR] = lambda: timed(contextlib.nullcontext, lambda: _floor_stream(workdir, manifest))
    for _ in range(rounds):
        for name, runner in pairs.items():
            if name in errors:
                continue
            try:
                whole, read = runner()
            except Exception as exc:
                errors[name] = f"{type(exc).__name__}: {exc}"[:300]
                continue
            load_samples.setdefault(name, []).append(whole)
            read_samples.setdefault(name, []).append(read)
    return {
        "unit": "ms",
        "events": manifest.events,
        "samples": _scaled(load_samples, 1e3),
        "read_samples": _scaled(read_samples, 1e3),
        "errors": errors,
        "skipped": manifest.skipped,
    }


def _paired(
    runners: dict[str, Callable[[], float]], rounds: int, samples: Rounds, errors: dict[str, str]
) -> None:
    for _ in range(rounds):
        for name, runner in runners.items():  # interleaved, so that drift hits all alike
            if name in errors:
                continue
            try:
                samples.setdefault(name, []).append(runner())
            except Exception as exc:
                errors[name] = f"{type(exc).__name__}: {exc}"[:300]


def _scaled(samples: Rounds, factor: float) -> dict[str, list[float]]:
    return {name: [round(v * factor, 3) for v in values] for name, values in samples.items()}
