"""Loading and saving the recording of ``exchanges`` exchanges, each tool with its own file and API."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import _fixtures
import _peers
from _timer import now


def file_rounds(workdir: Path, rounds: int) -> dict[str, Any]:
    """Per tool: a first load, a load again (the same file, unchanged) and a save, each round."""
    manifest = _fixtures.load_manifest(workdir)
    first: dict[str, list[float]] = {}
    load: dict[str, list[float]] = {}
    save: dict[str, list[float]] = {}
    errors: dict[str, str] = {}
    for _ in range(rounds):
        for tool in manifest.tools:
            if tool in errors:
                continue
            try:
                source = _fixtures.path(workdir, tool, "files")
                _peers.forget(tool, source)
                gc.collect()
                started = now()
                _peers.loader(tool)(source)
                first.setdefault(tool, []).append(round((now() - started) * 1e3, 3))
                gc.collect()
                started = now()
                loaded = _peers.loader(tool)(source)
                loaded_at = now()
                _peers.saver(tool)(loaded, workdir / f"saved-{source.name}")
                saved_at = now()
                del loaded  # so that the next tool's load does not pay for collecting these objects
            except Exception as exc:
                errors[tool] = f"{type(exc).__name__}: {exc}"[:300]
                continue
            load.setdefault(tool, []).append(round((loaded_at - started) * 1e3, 3))
            save.setdefault(tool, []).append(round((saved_at - loaded_at) * 1e3, 3))
    return {
        "unit": "ms",
        "exchanges": manifest.sizes["exchanges"],
        "first_load_samples": first,
        "load_samples": load,
        "save_samples": save,
        "errors": errors,
        "skipped": manifest.skipped,
    }
