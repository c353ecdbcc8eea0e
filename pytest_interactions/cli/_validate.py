"""``pytest-interactions validate``: check cassettes against the protocol."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pytest_interactions.cli._paths import PathError, cassette_files
from pytest_interactions.cli._progress import Progress
from pytest_interactions.contract import RULES, Problem, validate_file
from pytest_interactions.protocol._grammar import ERROR_SEVERITY

EPILOG = """\
rules:
{rules}

examples:
  pytest-interactions validate cassettes/
  pytest-interactions validate cassettes/test_api/test_stream.yaml --strict
  pytest-interactions validate cassettes/ --format json > findings.json

exit status:
  0  every cassette follows the protocol (warnings may have been printed)
  1  at least one error (or, with --strict, a warning)
  2  bad usage, or a path that does not exist
"""


def add_parser(commands: Any) -> None:
    rules = "\n".join(f"  {name:<16} {text}" for name, text in RULES.items())
    parser = commands.add_parser(
        "validate",
        help="check cassettes against the protocol",
        description="Check cassettes against the Interactions protocol: event order and nesting,\n"
        "event ids and resumes, status paths, required fields, and secrets. Each finding is\n"
        "printed as PATH:LINE: [RULE] REASON.",
        epilog=EPILOG.format(rules=rules),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="cassette files or directories")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default text)"
    )
    parser.add_argument("--strict", action="store_true", help="fail on warnings too")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        files = cassette_files(args.paths)
    except PathError as exc:
        print(f"pytest-interactions validate: {exc}", file=sys.stderr)
        return 2
    problems: list[Problem] = []
    for path in Progress(len(files)).over(files, "validating "):
        problems += validate_file(path)
    errors = [p for p in problems if p.severity == ERROR_SEVERITY]
    warnings = len(problems) - len(errors)
    if args.format == "json":
        report = {
            "files": len(files),
            "errors": len(errors),
            "warnings": warnings,
            "problems": [p.as_json() for p in problems],
        }
        print(json.dumps(report, indent=2))
    else:
        for problem in problems:
            print(problem)
        print(f"{len(files)} cassette(s) checked: {len(errors)} error(s), {warnings} warning(s)")
    failed = bool(errors) or (args.strict and warnings > 0)
    return 1 if failed else 0
