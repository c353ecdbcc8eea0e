"""How long the cassette commands take over a large set of cassettes.

Copies the reference cassettes (``cassettes/reference/``, six sessions of 3 to 9 exchanges) into
a temporary directory until it holds ``--count`` files, then times, as a user runs them:
``validate`` over the directory, ``diff`` of every cassette with itself, ``scrub --check`` over
the directory, and ``conform`` of the six reference cassettes.

    python benchmarks/cassette_commands.py [--count 300]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pytest_interactions.cli import main

REFERENCE = Path(__file__).resolve().parents[1] / "cassettes" / "reference"


def timed(label: str, action: Callable[[], int], expected: int = 0) -> float:
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        status = action()
    elapsed = time.perf_counter() - started
    assert status == expected, f"{label} exited {status}"
    return elapsed


def run(count: int) -> None:
    sources = sorted(REFERENCE.glob("*.yaml"))
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        files = []
        for n in range(count):
            target = folder / f"{n:04d}_{sources[n % len(sources)].name}"
            shutil.copyfile(sources[n % len(sources)], target)
            files.append(target)
        size = sum(f.stat().st_size for f in files) / 1e6
        print(f"{count} cassettes, {size:.1f} MB")
        seconds = timed("validate", lambda: main(["validate", str(folder)]))
        print(f"validate: {seconds:.2f} s ({1000 * seconds / count:.1f} ms per cassette)")
        started = time.perf_counter()
        for path in files:
            timed("diff", lambda path=path: main(["diff", str(path), str(path)]))
        seconds = time.perf_counter() - started
        print(f"diff (each with itself): {seconds:.2f} s ({1000 * seconds / count:.1f} ms per pair)")
        seconds = timed("scrub", lambda: main(["scrub", "--check", str(folder)]))
        print(f"scrub --check: {seconds:.2f} s ({1000 * seconds / count:.1f} ms per cassette)")
    seconds = timed("conform", lambda: main(["conform", str(REFERENCE)]))
    print(f"conform of the {len(sources)} reference cassettes: {seconds:.2f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=300)
    run(parser.parse_args().count)
