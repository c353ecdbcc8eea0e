"""The SDK grade: each SDK path the documentation teaches, swept over every cut of its recorded
streams and judged by every protocol check, written to docs/sdk-grades.md.

    python grades/run.py [--tiny] [--out PATH] [--check]

``--tiny`` grades a few Python paths only (the test suite runs it); ``--check`` writes nothing and
exits 1 when the file at ``--out`` differs from what this run would write. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import difflib
import functools
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]  # the private modules beside this file; tests/js's helpers

import _node  # noqa: E402
import _paths  # noqa: E402
import _python  # noqa: E402
import _report  # noqa: E402
from _grade import FAIL, PathGrade  # noqa: E402

from pytest_interactions.protocol import CHECKS  # noqa: E402

DEFAULT_OUT = ROOT / "docs" / "sdk-grades.md"
#: The paths ``--tiny`` grades: a passing stream, a failing one, and one that only polls.
TINY = ("genai-sync-reconnect", "openai-sync-stream-helper", "openai-sync-polling")


def environment() -> str:
    """The SDK versions the grade ran with and Python's major.minor: no date, no machine."""
    versions = [
        f"google-genai {metadata.version('google-genai')}",
        f"openai {metadata.version('openai')}",
        f"@google/genai {_node.locked_version('@google/genai')}",
        f"openai-node {_node.locked_version('openai')}",
    ]
    return ", ".join(versions) + f"; Python {sys.version_info.major}.{sys.version_info.minor}"


def _timed(sdk: str, path: str, grade: Callable[[], PathGrade]) -> PathGrade:
    """``grade()``, with a line on stderr saying how it went."""
    print(f"grading {sdk}, {path} ...", file=sys.stderr, flush=True)
    started = time.monotonic()
    graded = grade()
    failing = [check for check in CHECKS if graded.verdict(check) == FAIL]
    print(
        f"  {graded.swept} cuts, {'FAIL: ' + ', '.join(failing) if failing else 'every check passed'} "
        f"({time.monotonic() - started:.1f} s)",
        file=sys.stderr,
        flush=True,
    )
    return graded


def grade_all(tiny: bool) -> tuple[list[PathGrade], list[str]]:
    """Every path's grade, and why any rows were not graded."""
    grades: list[PathGrade] = []
    skipped: list[str] = []
    with tempfile.TemporaryDirectory(prefix="sdk-grades-") as folder:
        for path in _paths.paths(TINY if tiny else None):
            grades.append(_timed(path.sdk, path.path, functools.partial(_python.grade, path, Path(folder))))
        if tiny:
            return grades, skipped
        why = _node.unavailable()
        if why is not None:
            skipped.append(f"the Node rows ({', '.join(path.sdk for path in _node.PATHS)}): {why}")
            print(f"skipping the Node rows: {why}", file=sys.stderr)
            return grades, skipped
        for node_path in _node.PATHS:
            grades.append(
                _timed(node_path.sdk, node_path.path, functools.partial(_node.grade, node_path, Path(folder)))
            )
    return grades, skipped


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tiny", action="store_true", help="grade a few Python paths only (fast)")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="the file to write (default docs/sdk-grades.md)"
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 when --out differs from this run's grade"
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    grades, skipped = grade_all(args.tiny)
    text = _report.render(grades, environment(), skipped, tiny=args.tiny)
    print(f"graded {len(grades)} paths in {time.monotonic() - started:.1f} s", file=sys.stderr)
    out: Path = args.out
    if args.check:
        current = out.read_text(encoding="utf-8") if out.is_file() else ""
        if current == text:
            print(f"{out} is up to date", file=sys.stderr)
            return 0
        diff = difflib.unified_diff(
            current.splitlines(keepends=True), text.splitlines(keepends=True), str(out), "this run"
        )
        sys.stderr.writelines(diff)
        print(f"{out} is out of date: run `{_report.COMMAND}`", file=sys.stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
