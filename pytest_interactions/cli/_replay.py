"""``pytest-interactions replay``: serve a cassette over loopback HTTP, with faults, and judge the
client that used it as a failing test would."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pytest_interactions.cli._sessions import (
    BASE_URL_VARIABLE,
    add_fault_options,
    fault_plan,
    origin_of,
    replaying,
    run_client,
    settle,
    thresholds,
    wait_for_client,
)
from pytest_interactions.faults import FaultPlan
from pytest_interactions.front import FINISH_PATH, Front, Verdict, verdict
from pytest_interactions.session import Session, SessionConfig


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "replay",
        help="serve a cassette over loopback HTTP with faults; judge the client that used it",
        description="Serve CASSETTE at a loopback base URL with the same replay and faults as the "
        "marker. Time cannot be virtual across processes: recorded time passes --speed times faster "
        f"than real time. When the client is done (COMMAND exits, the --watch process exits, a call to "
        f"{FINISH_PATH}, or Ctrl-C), the checks run over the session and its findings and timeline are "
        "printed, as a failing test shows them.",
        epilog="examples:\n"
        "  pytest-interactions replay cassettes/chat.yaml --disconnect after:3 -- node client.mjs\n"
        "  pytest-interactions replay chat.yaml --port 8080 --reconnect 503 --report json\n\n"
        f"The client finds the base URL in ${BASE_URL_VARIABLE} (COMMAND), or on the first line printed.\n\n"
        "exit status:\n"
        "  0  the client made no mistake (and COMMAND, if given, exited 0)\n"
        "  1  a mistake was found, a planned fault never happened, or COMMAND failed\n"
        "  2  bad usage",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("cassette", type=Path)
    add_server_options(parser)
    add_fault_options(parser)
    parser.add_argument("--watch", type=int, metavar="PID", help="stop when this process exits")
    parser.add_argument("--report", choices=("text", "json"), default="text", help="how to print the verdict")
    parser.set_defaults(run=run, command=[])


def add_server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one (default)")
    parser.add_argument(
        "--speed",
        type=float,
        default=50.0,
        help="recorded seconds served per real second (default 50: a 10 s recording takes 0.2 s)",
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds COMMAND may run (default 300)")


def serve(
    path: Path, plan: FaultPlan, args: argparse.Namespace, port: int | None = None
) -> tuple[Session, Front]:
    """A replaying session of ``path`` under ``plan``, and its front, started."""
    config = SessionConfig(
        path,
        "none",
        faults=plan,
        checks=True,
        virtual_time=False,
        speed=args.speed,
        block_network=False,
        thresholds=thresholds(args),
    )
    session = replaying(path, config)
    front = Front(
        session, origin=origin_of(session), host=args.host, port=args.port if port is None else port
    )
    return session, front.start()


def run(args: argparse.Namespace) -> int:
    command = list(args.command)
    session, front = serve(args.cassette, fault_plan(args), args)
    try:
        # The base URL is the first line a wrapping script reads; a COMMAND is told it in its environment.
        print(front.base_url, file=sys.stderr if command else sys.stdout, flush=True)
        if command:
            status, output = run_client(command, front.base_url, args.timeout)
            how = "the client timed out" if status is None else f"the client exited with status {status}"
        else:
            print(f"serving {args.cassette}; call {front.base_url}{FINISH_PATH} when done", file=sys.stderr)
            status, output = 0, ""
            how = wait_for_client(front, args.watch)
        settle()
    finally:
        front.close()
    found = verdict(session)
    failed = bool(command) and status != 0
    _print(found, args.report, how, output if failed else "")
    return 0 if found.passed and not failed else 1


def _print(found: Verdict, report: str, how: str, output: str) -> None:
    if report == "json":
        print(json.dumps({**found.to_json(), "ended": how, "client_output": output}, indent=2))
        return
    print(f"{how}.")
    if output:
        print("its output ended with:\n" + "\n".join("  " + line for line in output.splitlines()[-20:]))
    if found.passed:
        print(f"no mistake found in the session of {found.cassette}")
    print(found.text or found.timeline)
