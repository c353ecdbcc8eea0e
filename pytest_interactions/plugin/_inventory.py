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


#: Why this collection may not hold every test; this plugin serves one collection per process.
_narrowing: list[str] = []


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.skipped and report.nodeid:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _narrowing.append(f"{report.nodeid} was skipped at collection ({reason})")


def pytest_deselected(items: list[pytest.Item]) -> None:
    if items:
        _narrowing.append(f"{len(items)} test(s) were deselected")


def pytest_collection_finish(session: pytest.Session) -> None:
    config = session.config
    target = config.getoption(OPTION)
    if not target:
        return
    used = sorted({str(path) for item in session.items if (path := cassette_of(item)) is not None})
    directory = Path(_options.cassette_dir(config))
    if not directory.is_absolute():
        directory = Path(config.rootpath) / directory
    narrowed: list[str] = []
    if config.args_source is pytest.Config.ArgsSource.ARGS:
        narrowed.append(f"the collection was limited to {' '.join(config.args)}")
    if config.option.keyword:
        narrowed.append(f"-k {config.option.keyword!r} selects tests")
    if config.option.markexpr:
        narrowed.append(f"-m {config.option.markexpr!r} selects tests")
    narrowed += _narrowing
    report = {"cassette_dir": str(directory), "used": used, "narrowed": narrowed}
    Path(target).write_text(json.dumps(report), encoding="utf-8")
