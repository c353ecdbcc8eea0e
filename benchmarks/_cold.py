"""The figures of a fresh CI runner: the first replay or save in a fresh process, nothing cached.

Each runs in a process of its own whose parsed-cassette cache directory starts empty (the parent
gives it one), after one short replay of the tool's poll cassette has paid imports and first-use
costs, as the first test of a suite would:

- ``stream``: the 10,000-event stream replayed (create + stream read with httpx-sse), load
  included, and the peak RSS growth while it runs;
- ``polls``: entering the cassette of 1,000 polls of a finished interaction (about 1 KB of JSON
  each) and one GET;
- ``save``: leaving the context that recorded 1,000 such polls from the emulator (the write).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import _clients
import _fixtures
import _memory
import _peers
from _timer import now


def _warm_up(workdir: Path, tool: str, base_url: str) -> None:
    """One short replay, so that what is measured next is not imports or first-use costs."""
    with _peers.replaying(tool, _fixtures.path(workdir, tool, "poll")), _clients.client(base_url) as http:
        _clients.poll(http, _clients.create(http))


def measure(workdir: Path, tool: str, figure: str) -> dict[str, Any]:
    """One cold figure of ``tool`` in this (fresh) process."""
    manifest = _fixtures.load_manifest(workdir)
    import httpx_sse  # noqa: F401  (imports are not what is measured)

    _warm_up(workdir, tool, manifest.base_url)
    if figure == "stream":
        before = _memory.rss_kib()
        started = now()
        with (
            _peers.replaying(tool, _fixtures.path(workdir, tool, "stream")),
            _clients.client(manifest.base_url) as http,
        ):
            count = _clients.read_stream(http, _clients.create(http, _clients.STREAM_INPUT))
        elapsed = now() - started
        if count != manifest.events:
            raise AssertionError(f"{count} events arrived, {manifest.events} were recorded")
        peak = _memory.status_kib("VmHWM")
        return {"ms": round(elapsed * 1e3, 3), "growth_mib": round((peak - before) / 1024, 2)}
    if figure == "polls":
        interaction_id = manifest.cold_ids[tool]
        started = now()
        with (
            _peers.replaying(tool, _fixtures.path(workdir, tool, "polls")),
            _clients.client(manifest.base_url) as http,
        ):
            status = _clients.poll(http, interaction_id)
        elapsed = now() - started
        if status != "completed":
            raise AssertionError(f"the replayed poll shows {status!r}, not 'completed'")
        return {"ms": round(elapsed * 1e3, 3)}
    if figure == "save":
        return {"ms": round(_timed_save(workdir, tool, manifest) * 1e3, 3)}
    raise ValueError(f"unknown cold figure {figure!r}")


def _timed_save(workdir: Path, tool: str, manifest: _fixtures.Manifest) -> float:
    """Seconds spent leaving the context that recorded ``cold_polls`` polls (that is, saving them)."""
    from pytest_interactions.emulator import Emulator

    polls = manifest.sizes["cold_polls"]
    target = workdir / f"cold-save-{tool}-{now()}.yaml"
    with Emulator(speed=1000.0) as api:
        _fixtures.register_finished(api)
        warm = workdir / f"cold-warm-{tool}-{now()}.yaml"
        with _peers.recording(tool, warm), _clients.client(api.base_url) as http:
            _clients.poll(http, _clients.create(http, _fixtures.FINISHED_INPUT))
        recording = _peers.recording(tool, target)
        recording.__enter__()
        try:
            with _clients.client(api.base_url) as http:
                interaction_id = _clients.create(http, _fixtures.FINISHED_INPUT)
                _fixtures.wait_finished(http, interaction_id)
                for _ in range(polls):
                    _clients.poll(http, interaction_id)
        except BaseException:
            with contextlib.suppress(Exception):
                recording.__exit__(None, None, None)
            raise
        started = now()
        recording.__exit__(None, None, None)
        elapsed = now() - started
    if not target.is_file():
        raise AssertionError(f"{tool} wrote nothing to {target}")
    return elapsed
