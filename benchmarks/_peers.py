"""The peers measured beside pytest-interactions: each one's record and replay context, when installed."""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

OURS = "pytest-interactions"
VCRPY = "vcrpy"
CASSETTER = "cassetter"
FLOOR = "MockTransport"
TOOLS = (OURS, VCRPY, CASSETTER)
WITHOUT_ENV = "INTERACTIONS_BENCH_WITHOUT"


def missing(tool: str) -> str | None:
    """Why a tool cannot be measured here (not installed, or left out), or ``None`` when it can."""
    if tool in os.environ.get(WITHOUT_ENV, "").split(","):
        return f"{tool} left out (--without)"
    module = {OURS: "pytest_interactions", VCRPY: "vcr"}.get(tool, "cassetter")
    if importlib.util.find_spec(module) is None:
        return f"{tool} is not installed (pip install -e '.[bench]')"
    return None


def available() -> list[str]:
    return [tool for tool in TOOLS if missing(tool) is None]


@contextlib.contextmanager
def recording(tool: str, path: Path) -> Iterator[None]:
    """Record what the block sends into ``path`` with ``tool``, overwriting it."""
    with _context(tool, path, record=True):
        yield


@contextlib.contextmanager
def replaying(tool: str, path: Path) -> Iterator[None]:
    """Answer what the block sends from the cassette at ``path``; nothing reaches the network."""
    with _context(tool, path, record=False):
        yield


def _context(tool: str, path: Path, *, record: bool) -> contextlib.AbstractContextManager[Any]:
    if tool == OURS:
        from pytest_interactions.session import use_cassette

        return use_cassette(path, "all" if record else "none")
    if tool == VCRPY:
        import vcr

        return vcr.use_cassette(str(path), record_mode="all" if record else "none")
    if tool == CASSETTER:
        import cassetter

        mode = cassetter.RecordMode.ALL if record else cassetter.RecordMode.NONE
        return cassetter.use_cassette(str(path), record_mode=mode)
    raise ValueError(f"unknown tool {tool!r}")


def loader(tool: str) -> Callable[[Path], Any]:
    """A function that reads a cassette file of ``tool`` into that tool's objects."""
    if tool == OURS:
        from pytest_interactions.cassette import load_cassette

        return load_cassette
    if tool == VCRPY:
        from vcr.persisters.filesystem import FilesystemPersister
        from vcr.serializers import yamlserializer

        return lambda path: FilesystemPersister.load_cassette(str(path), yamlserializer)
    if tool == CASSETTER:
        import cassetter

        def load(path: Path) -> Any:
            cassette = cassetter.Cassette(str(path), record_mode=cassetter.RecordMode.NONE)
            cassette.load()
            return cassette

        return load
    raise ValueError(f"unknown tool {tool!r}")


def forget(tool: str, path: Path) -> None:
    """Drop what ``tool`` keeps from an earlier load of ``path``, so that the next load is a first one.

    Only pytest-interactions keeps anything: its parsed-cassette cache entry for the file's bytes.
    """
    if tool == OURS:
        from pytest_interactions.cassette._files import _parsed_cache

        _parsed_cache().entry(path.read_bytes()).unlink(missing_ok=True)


def saver(tool: str) -> Callable[[Any, Path], None]:
    """A function that writes what :func:`loader` read to another file."""
    if tool == OURS:
        from pytest_interactions.cassette import save_cassette

        return lambda cassette, path: save_cassette(path, cassette)
    if tool == VCRPY:
        from vcr.persisters.filesystem import FilesystemPersister
        from vcr.serializers import yamlserializer

        def save_vcr(loaded: Any, path: Path) -> None:
            requests, responses = loaded
            data = {"requests": requests, "responses": responses}
            FilesystemPersister.save_cassette(str(path), data, yamlserializer)

        return save_vcr
    if tool == CASSETTER:

        def save_cassetter(cassette: Any, path: Path) -> None:
            # cassetter writes a loaded cassette only when changed, to its own path.
            cassette._path = str(path)
            cassette._dirty = True
            cassette.save()

        return save_cassetter
    raise ValueError(f"unknown tool {tool!r}")
