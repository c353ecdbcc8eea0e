"""``pytest-interactions record``: record any client through a local proxy into a cassette."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pytest_interactions.cassette import SecretLeakError
from pytest_interactions.cli._sessions import BASE_URL_VARIABLE, run_client, settle, wait_for_client
from pytest_interactions.emulator import Emulator
from pytest_interactions.front import FINISH_PATH, Front
from pytest_interactions.session import EMULATOR_BASE_URL, Session, SessionConfig


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "record",
        help="record any client through a local proxy into a cassette",
        description="Serve a loopback proxy that sends each request on to --upstream (default: the "
        "embedded emulator) and records the exchange: streams reach the client as they arrive, real "
        "drops are recorded, secrets are scrubbed and guarded as in the plugin. The cassette is "
        f"written when the client is done (COMMAND exits, --watch exits, {FINISH_PATH}, or Ctrl-C).",
        epilog="examples:\n"
        "  pytest-interactions record --cassette chat.yaml -- node client.mjs\n"
        "  pytest-interactions record --cassette live.yaml "
        "--upstream https://generativelanguage.googleapis.com --port 8080\n\n"
        f"The client finds the proxy in ${BASE_URL_VARIABLE} (COMMAND), or on the first line printed.\n\n"
        "exit status:\n"
        "  0  the cassette was written (and COMMAND, if given, exited 0)\n"
        "  1  nothing was recorded, a secret would have been written, or COMMAND failed\n"
        "  2  bad usage",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--cassette", type=Path, required=True, help="the cassette to write")
    parser.add_argument("--upstream", help="the server to record (default: the embedded emulator)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one (default)")
    parser.add_argument(
        "--emulator-speed", type=float, default=20.0, help="the embedded emulator's speed (20)"
    )
    parser.add_argument("--watch", type=int, metavar="PID", help="stop when this process exits")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds COMMAND may run (default 300)")
    parser.set_defaults(run=run, command=[])


def run(args: argparse.Namespace) -> int:
    command = list(args.command)
    session = Session(SessionConfig(args.cassette, "all", block_network=False))
    emulator = Emulator(speed=args.emulator_speed).start() if args.upstream is None else None
    upstream = args.upstream or (emulator.base_url if emulator is not None else "")
    if emulator is not None:
        assert session.recorder is not None
        session.recorder.record_origin_as(emulator.base_url, EMULATOR_BASE_URL)
    front = Front(session, origin=upstream, upstream=upstream, host=args.host, port=args.port).start()
    status, output = 0, ""
    try:
        print(front.base_url, file=sys.stderr if command else sys.stdout, flush=True)
        if command:
            status_or_none, output = run_client(command, front.base_url, args.timeout)
            status = 1 if status_or_none is None else status_or_none
        else:
            print(
                f"recording to {args.cassette}; call {front.base_url}{FINISH_PATH} when done", file=sys.stderr
            )
            wait_for_client(front, args.watch)
        settle()
    finally:
        front.close()
        if emulator is not None:
            emulator.stop()
    try:
        written = session.save()
    except SecretLeakError as exc:
        print(f"pytest-interactions: {exc}", file=sys.stderr)
        return 1
    if command and status != 0:
        print(f"the client exited with status {status}; its output ended with:\n{output}", file=sys.stderr)
    if not written:
        print("nothing was recorded", file=sys.stderr)
        return 1
    print(f"wrote {args.cassette} ({len(session.recorded())} exchanges)")
    return 0 if status == 0 else 1
