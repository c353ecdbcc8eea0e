"""Every Python example in README.md and docs/ runs: scripts as they are, tests recorded against the
embedded emulator and then replayed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

# Imported here so that in-process pytester runs find them loaded (they unload what they import).
from google import genai  # noqa: F401
from google.genai import _interactions  # noqa: F401

ROOT = Path(__file__).parents[2]
# docs/sdk-grades.md is written by grades/run.py: its snippets reproduce SDK bugs, they are no examples.
DOCUMENTS = [
    ROOT / "README.md",
    *sorted(p for p in (ROOT / "docs").glob("*.md") if p.name != "sdk-grades.md"),
]
_BLOCK = re.compile(r"```python\n(.*?)```", re.S)
QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:randomly")


def examples() -> list[pytest.ParameterSet]:
    found = []
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        for match in _BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 2
            found.append(pytest.param(match.group(1), id=f"{document.name}:{line}"))
    return found


@pytest.mark.parametrize("source", examples())
def test_the_example_runs(source: str, pytester: pytest.Pytester) -> None:
    if re.search(r"^def test_|^async def test_", source, re.M):
        pytester.makeini("[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n")
        pytester.makepyfile(test_example=source)
        recorded = pytester.runpytest("--interactions-record-mode=once", "--interactions-no-faults", *QUIET)
        assert recorded.ret == 0, recorded.stdout.str()
        replayed = pytester.runpytest(*QUIET)
        assert replayed.ret == 0, replayed.stdout.str()
        assert replayed.parseoutcomes().get("passed", 0) >= 1
    else:
        done = subprocess.run(
            [sys.executable, "-c", source], cwd=pytester.path, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
