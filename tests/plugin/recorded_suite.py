"""Running a suite of Interactions tests inside ``pytester``: record it, replay it, read its report.

The test modules written here drive the clients of ``session_clients.py`` (copied next to them as
``clients.py``) against the ``interactions`` fixture: recording against the embedded emulator,
then replaying with the faults their markers declare.
"""

from __future__ import annotations

import glob
import re
import textwrap
from pathlib import Path

import pytest

from pytest_interactions.cassette import StreamEvent, load_cassette

CLIENTS = (Path(__file__).parent / "session_clients.py").read_text()

#: Inner runs keep pytest-asyncio (async tests in auto mode); hypothesis's plugin, re-imported by every
#: in-process run, costs a second.
QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")
#: ... and in the order written (pytest-randomly, where installed, would shuffle them).
FAST = (*QUIET, "-p", "no:randomly")
INI = "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"

HEADER = """\
import asyncio
import time
from datetime import datetime, timezone

import pytest

from clients import *
from pytest_interactions.clock import real_monotonic

"""


def write(pytester: pytest.Pytester, source: str) -> None:
    """The test module ``test_session.py`` with ``source``, next to ``clients.py``."""
    pytester.makeini(INI)
    pytester.makepyfile(clients=CLIENTS)
    pytester.makepyfile(test_session=HEADER + textwrap.dedent(source))


def record(pytester: pytest.Pytester, tests: int, *args: str, directory: str = "test_session") -> list[Path]:
    """Record every test of the module against the emulator, without the faults they plan: all
    pass, each writes its cassette.

    ``directory`` is where under ``cassettes/`` they are written ("" for shared cassettes).
    """
    result = pytester.runpytest("--interactions-record-mode=once", "--interactions-no-faults", *FAST, *args)
    result.assert_outcomes(passed=tests)
    cassettes = sorted((pytester.path / "cassettes" / directory).glob("*.yaml"))
    assert len(cassettes) == tests, cassettes
    return cassettes


def replay(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*FAST, *args)


def lines(*parts: str) -> str:
    """An fnmatch pattern: the literal ``parts`` in order, anything around and between them."""
    return "*" + "*".join(glob.escape(part) for part in parts) + "*"


def failure(result: pytest.RunResult, test: str, *patterns: str) -> None:
    """Check that the failure report of ``test``, and no other, has lines matching ``patterns``."""
    out = result.outlines
    header = re.compile(r"_{3,} (test_\S+) _{3,}")
    starts = [i for i, line in enumerate(out) if (m := header.fullmatch(line)) and m[1] == test]
    assert len(starts) == 1, f"no failure report of {test}:\n{result.stdout.str()}"
    end = next(
        (i for i in range(starts[0] + 1, len(out)) if header.fullmatch(out[i]) or out[i].startswith("===")),
        len(out),
    )
    pytest.LineMatcher(out[starts[0] : end]).fnmatch_lines(patterns)


def recorded_events(cassette: Path) -> int:
    exchanges = load_cassette(cassette).exchanges
    return sum(
        isinstance(item, StreamEvent) and item.data != "[DONE]"
        for exchange in exchanges
        if exchange.response is not None and exchange.response.events
        for item in exchange.response.events
    )
