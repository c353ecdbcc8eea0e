"""Peak resident memory growth while one tool replays the long stream, in a fresh process each time.

The same replay is timed: the first one in a process, where nothing is kept from an earlier
replay (the parsed-cassette cache on disk is warm, as in any run after the first).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import _clients
import _fixtures
import _peers
import _replay
from _timer import now


def status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def rss_kib() -> int:
    """The resident set now, after resetting the peak to it (so that the peak read later is this run's)."""
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    return status_kib("VmRSS")


def stream_growth(workdir: Path, tool: str) -> dict[str, Any]:
    """MiB the peak RSS grew by from just before entering the cassette to the stream's end."""
    manifest = _fixtures.load_manifest(workdir)
    import httpx_sse  # noqa: F401  (imports are not what is measured)

    if tool == _peers.FLOOR:
        before = rss_kib()
        context: Any = contextlib.nullcontext()
        transport: Any = _replay._floor_stream(workdir, manifest)
    else:
        # One short replay first, so that the tool's modules are loaded: imports are not measured.
        with (
            _peers.replaying(tool, _fixtures.path(workdir, tool, "poll")),
            _clients.client(manifest.base_url) as http,
        ):
            _clients.poll(http, _clients.create(http))
        before = rss_kib()
        context = _peers.replaying(tool, _fixtures.path(workdir, tool, "stream"))
        transport = None
    started = now()
    with context, _clients.client(manifest.base_url, transport=transport) as http:
        count = _clients.read_stream(http, _clients.create(http, _clients.STREAM_INPUT))
    elapsed = now() - started
    peak = status_kib("VmHWM")
    return {
        "tool": tool,
        "events": count,
        "growth_mib": round((peak - before) / 1024, 2),
        "first_ms": round(elapsed * 1e3, 3),
    }
