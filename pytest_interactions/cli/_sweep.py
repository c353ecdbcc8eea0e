"""``pytest-interactions sweep``: run a client command once per cut point of a recorded stream,
each against a fresh replay server, and report per cut whether it coped or which mistake it made."""

from __future__ import annotations

import argparse
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_interactions.cli._replay import add_server_options, serve
from pytest_interactions.cli._sessions import (
    BASE_URL_VARIABLE,
    UsageError,
    add_fault_options,
    fault_plan,
    replaying,
    run_client,
    settle,
)
from pytest_interactions.front import verdict
from pytest_interactions.session import CutPoint, SessionConfig, cut_points


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "sweep",
        help="run a client once per cut point of a recorded stream; report each cut",
        description="Run COMMAND once per cut point of CASSETTE's recorded streams (after each event, "
        "as disconnect='each-event' does in a test), each against a fresh replay server whose base URL "
        f"it finds in ${BASE_URL_VARIABLE}. Each cut passes, or fails naming the client's mistake.",
        epilog="examples:\n"
        "  pytest-interactions sweep cassettes/chat.yaml -- node stream_resume.mjs\n"
        "  pytest-interactions sweep chat.yaml --jobs 2 --reconnect 503 -- ./client.sh\n\n"
        "exit status:\n"
        "  0  the client passed every cut\n"
        "  1  it failed at least one (each failure is named)\n"
        "  2  bad usage, or a cassette without a recorded stream",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("cassette", type=Path)
    add_server_options(parser)
    add_fault_options(parser, disconnect=False)
    parser.add_argument("--jobs", type=int, default=1, metavar="N", help="cuts run at once (default 1)")
    parser.add_argument("--report", choices=("text", "json"), default="text", help="how to print the results")
    parser.set_defaults(run=run, command=[])


@dataclass
class CutResult:
    """How the client fared at one cut point."""

    cut: str
    passed: bool
    mistakes: list[str]
    client_status: int | None
    output: str


def run(args: argparse.Namespace) -> int:
    command = list(args.command)
    if not command:
        raise UsageError("sweep needs a client command after --")
    fault_plan(args)  # the flags are checked once, before any cut runs
    # A cassette that cannot be read is named here, not mistaken for one without a stream; the
    # cuts below reuse what this parsed.
    replaying(args.cassette, SessionConfig(args.cassette, "none", block_network=False))
    points = [p for p in cut_points(args.cassette) if p.cut is not None]
    if not points:
        print(f"pytest-interactions: {args.cassette} has no recorded stream to cut", file=sys.stderr)
        return 2
    args.port = 0  # each cut has its own server

    def one(point: CutPoint) -> CutResult:
        return _cut(args, command, point)

    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        results = []
        for result in pool.map(one, points):
            results.append(result)
            if args.report == "text":
                print(_line(result), flush=True)
    failed = [r for r in results if not r.passed]
    if args.report == "json":
        print(json.dumps({"cassette": str(args.cassette), "cuts": [vars(r) for r in results]}, indent=2))
    else:
        print(f"{len(results) - len(failed)} of {len(results)} cuts passed")
    return 1 if failed else 0


def _cut(args: argparse.Namespace, command: list[str], point: CutPoint) -> CutResult:
    assert point.cut is not None
    plan = fault_plan(args)
    plan.disconnect(point.cut, interaction_id=point.interaction_id)
    session, front = serve(args.cassette, plan, args)
    try:
        status, output = run_client(command, front.base_url, args.timeout)
        settle()
    finally:
        front.close()
    found = verdict(session)
    mistakes = found.mistakes()
    if status != 0:
        how = "timed out" if status is None else f"exited with status {status}"
        mistakes.append(
            f"the client {how}" + (f": {output.strip().splitlines()[-1]}" if output.strip() else "")
        )
    return CutResult(point.test_id, not mistakes, mistakes, status, output if mistakes else "")


def _line(result: CutResult) -> str:
    if result.passed:
        return f"{result.cut}: passed"
    return f"{result.cut}: FAILED\n" + "\n".join(f"    {m}" for m in result.mistakes)
