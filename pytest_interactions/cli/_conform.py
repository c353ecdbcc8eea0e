"""``pytest-interactions conform``: does the emulator answer a recording's requests alike?"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pytest_interactions.cassette import CassetteError
from pytest_interactions.cli._diff import render
from pytest_interactions.cli._paths import PathError, cassette_files
from pytest_interactions.cli._progress import Progress
from pytest_interactions.contract import conform

EPILOG = """\
Each cassette's requests are sent, in order and on the recorded time, to a fresh emulator
(interaction or response ids and event ids mapped to the emulator's, each in its API's terms);
its answers are recorded and compared with the cassette by the same structural differ as `diff`,
per API (timing is not compared).
Record the cassettes against the live API to keep the emulator honest.

examples:
  pytest-interactions conform cassettes/reference/
  pytest-interactions conform nightly/test_stream.yaml --keep emulated.yaml
  pytest-interactions conform cassettes/ --format json

exit status:
  0  the emulator answered every cassette's requests in the same shape
  1  drift in at least one cassette
  2  bad usage, a path that does not exist, or a cassette that cannot be read
"""


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "conform",
        help="replay cassettes' requests against the emulator and report shape differences",
        description="Replay the requests of recorded cassettes against a fresh emulator and report\n"
        "where its answers differ in shape from the recording.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "paths", nargs="+", type=Path, metavar="CASSETTE", help="cassette files or directories"
    )
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default text)"
    )
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="FILE",
        help="write the emulator's answers to FILE (a single cassette only)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        files = cassette_files(args.paths)
    except PathError as exc:
        print(f"pytest-interactions conform: {exc}", file=sys.stderr)
        return 2
    if args.keep is not None and len(files) != 1:
        print("pytest-interactions conform: --keep needs exactly one cassette", file=sys.stderr)
        return 2
    status = 0
    report: list[dict[str, Any]] = []
    for path in Progress(len(files)).over(files, "conforming "):
        try:
            result = conform(path, keep=args.keep)
        except CassetteError as exc:
            print(f"pytest-interactions conform: {exc}", file=sys.stderr)
            status = 2
            continue
        if result.drift:
            status = max(status, 1)
        if args.format == "json":
            report.append({"cassette": str(path), "drift": [d.as_json() for d in result.drift]})
        elif result.drift:
            print(render(f"{path} (recorded)", "the emulator", result.drift))
        else:
            print(f"{path}: the emulator conforms")
    if args.format == "json":
        print(json.dumps(report, indent=2))
    return status
