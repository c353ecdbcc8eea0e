"""``pytest-interactions diff``: what changed in shape between two recordings of a session."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pytest_interactions._terminal import terminal_safe
from pytest_interactions.cassette import CassetteError, load_cassette
from pytest_interactions.contract import CATEGORIES, DEFAULT_TIMING_TOLERANCE, Drift, diff_cassettes

EPILOG = """\
compared:
{categories}

ignored: ids, timestamps, free text, token counts, how many polls or deltas a run took, drops
and resumes, and timing within the tolerance.

examples:
  pytest-interactions diff cassettes/test_api/test_stream.yaml nightly/test_api/test_stream.yaml
  pytest-interactions diff old.yaml new.yaml --format json
  pytest-interactions diff old.yaml new.yaml --timing-tolerance 120

exit status:
  0  no drift
  1  drift: each difference is printed
  2  bad usage, or a cassette that cannot be read
"""


def add_parser(commands: Any) -> None:
    categories = "\n".join(f"  {name:<13} {text}" for name, text in CATEGORIES.items())
    parser = commands.add_parser(
        "diff",
        help="structural diff of two recordings of the same session",
        description="Compare two recordings of the same session and report what matters:\n"
        "operations and HTTP statuses, status paths, event and step types, fields and their\n"
        "types, error answers and, beyond a tolerance, timing. Each interaction is read in the\n"
        "grammar of its API (Gemini Interactions, OpenAI Responses), which the report names.",
        epilog=EPILOG.format(categories=categories),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("old", type=Path, metavar="OLD", help="the reference recording")
    parser.add_argument("new", type=Path, metavar="NEW", help="the recording to compare with it")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default text)"
    )
    parser.add_argument(
        "--timing-tolerance",
        type=float,
        default=DEFAULT_TIMING_TOLERANCE,
        metavar="SECONDS",
        help=f"how much an interaction's duration may change (default {DEFAULT_TIMING_TOLERANCE:g})",
    )
    parser.set_defaults(run=run)


def render(old: str, new: str, drift: list[Drift]) -> str:
    """The drift as text, grouped by interaction, each named with the API it was compared by."""
    if not drift:
        return f"no drift between {old} and {new}"
    lines = [f"drift from {old} to {new}:"]
    where = None
    for item in drift:
        if item.where != where:
            where = item.where
            lines.append(f"  {where} ({item.api})" if item.api else f"  {where}")
        lines.append(f"    [{item.category}] {item.message}")
    lines.append(f"{len(drift)} difference(s)")
    return terminal_safe("\n".join(lines))


def run(args: argparse.Namespace) -> int:
    try:
        old, new = load_cassette(args.old), load_cassette(args.new)
    except CassetteError as exc:
        print(f"pytest-interactions diff: {exc}", file=sys.stderr)
        return 2
    drift = diff_cassettes(old, new, timing_tolerance=args.timing_tolerance)
    if args.format == "json":
        print(
            json.dumps(
                {"old": str(args.old), "new": str(args.new), "drift": [d.as_json() for d in drift]}, indent=2
            )
        )
    else:
        print(render(str(args.old), str(args.new), drift))
    return 1 if drift else 0
