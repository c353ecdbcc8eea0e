"""Which cassettes the collected tests use: a plugin that ``pytest-interactions prune`` loads
into a ``pytest --collect-only`` run with ``-p pytest_interactions.plugin._inventory``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_interactions.plugin import _options
from pytest_interactions.plugin._naming import cassette_path, has_marker

OPTION = "--interactions-inventory"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("interactions").addoption(
        OPTION,
        metavar="FILE",
        default=None,
        help="write the cassette paths the collected tests use to FILE (JSON), for prune",
    )


def cassette_of(item: pytest.Item) -> Path | None:
    """The cassette a test records into or replays from, or ``None`` when it uses none."""
    if not has_marker(item) and "interactions" not in getattr(item, "fixturenames", ()):
        return None
    return cassette_path(item.config, item)


def pytest_collection_finish(session: pytest.Session) -> None:
    target = session.config.getoption(OPTION)
    if not target:
        return
    used = sorted({str(path) for item in session.items if (path := cassette_of(item)) is not None})
    directory = Path(_options.cassette_dir(session.config))
    if not directory.is_absolute():
        directory = Path(session.config.rootpath) / directory
    Path(target).write_text(json.dumps({"cassette_dir": str(directory), "used": used}), encoding="utf-8")
