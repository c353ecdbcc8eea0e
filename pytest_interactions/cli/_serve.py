"""``pytest-interactions serve``: run the emulator until interrupted."""

from __future__ import annotations

import argparse
import threading
from typing import Any

from pytest_interactions.emulator import AnsweredRequest, Emulator


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "serve",
        help="serve the Interactions API emulator on loopback until interrupted",
        description="Serve the Interactions API emulator. Point a client at the printed base URL.",
        epilog="examples:\n"
        "  pytest-interactions serve --port 8080\n"
        "  pytest-interactions serve --speed 20 --quiet\n\n"
        "exit status:\n"
        "  0  stopped with Ctrl-C (or SIGINT)\n"
        "  2  bad usage",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one (default)")
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="how many times faster than real time scenarios run (default 1.0)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for interaction ids (default 0)")
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    parser.set_defaults(run=run)


def _log(exchange: AnsweredRequest) -> None:
    kind = f" stream {exchange.outcome}" if exchange.streamed else ""
    print(f"{exchange.status} {exchange.method} {exchange.target}{kind}", flush=True)


def run(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    emulator = Emulator(
        args.host,
        args.port,
        speed=args.speed,
        seed=args.seed,
        on_exchange=None if args.quiet else _log,
    )
    with emulator:
        print(f"Interactions API emulator listening on {emulator.base_url}", flush=True)
        print("Stop it with Ctrl-C.", flush=True)
        try:
            (stop or threading.Event()).wait()
        except KeyboardInterrupt:
            print("stopping", flush=True)
    return 0
