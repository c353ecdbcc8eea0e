"""What ``replay``, ``sweep`` and ``record`` share: fault options as the marker takes them, a
served session's lifetime (a client command, a process to watch, the reserved path, Ctrl-C), and
the origin a cassette's requests were made to."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pytest_interactions._processes import alive
from pytest_interactions.cassette import CassetteError
from pytest_interactions.faults import FaultPlan, FaultSpecError, plan_from_options
from pytest_interactions.front import FINISH_PATH, Front
from pytest_interactions.protocol import Thresholds
from pytest_interactions.session import Session, SessionConfig


class UsageError(SystemExit):
    """Bad usage or input that cannot be read: the message on stderr, exit status 2."""

    def __init__(self, message: str) -> None:
        print(f"pytest-interactions: {message}", file=sys.stderr)
        super().__init__(2)


BASE_URL_VARIABLE = "INTERACTIONS_BASE_URL"
"""Where a client command finds the server it is to use."""


def add_fault_options(parser: argparse.ArgumentParser, *, disconnect: bool = True) -> None:
    """The marker's fault options, spelled as flags."""
    group = parser.add_argument_group("faults (as the marker's options)")
    if disconnect:
        group.add_argument(
            "--disconnect",
            action="append",
            metavar="SPEC",
            help="cut streams: after:N, mid-event:N, every:N, event:TYPE:K, random:SEED[:COUNT], "
            "stall:N, end:N (repeatable)",
        )
    group.add_argument("--reconnect", metavar="refuse|STATUS", help="what reconnects after a cut get")
    group.add_argument("--reconnect-times", type=int, default=1, metavar="N", help="how many get it (1)")
    group.add_argument("--polls", type=int, metavar="STATUS", help="an HTTP status the next polls get")
    group.add_argument("--poll-times", type=int, default=1, metavar="N", help="how many polls get it (1)")
    group.add_argument(
        "--creates", metavar="refuse|drop|STATUS", help="what the next creates get (429, 503, 400, ...)"
    )
    group.add_argument("--create-times", type=int, default=1, metavar="N", help="how many creates get it (1)")
    group.add_argument(
        "--retry-after",
        type=_seconds_or_none,
        default=1.0,
        metavar="S|none",
        help="Retry-After of injected 429/5xx answers (1; none: they ask for no wait)",
    )
    group.add_argument("--inject", metavar="KIND:N", help="failure:N, cancellation:N, requires_action:N")
    group.add_argument(
        "--gives-up-after", type=int, metavar="N", help="the client stops after N failed reconnects"
    )
    group.add_argument("--interaction", metavar="ID", help="the interaction cuts apply to (default: all)")
    checks = parser.add_argument_group("check thresholds (as the marker's options)")
    checks.add_argument(
        "--min-retry-delay",
        type=float,
        default=Thresholds.min_retry_delay,
        metavar="S",
        help=f"seconds before retrying a failure that asked for no wait ({Thresholds.min_retry_delay:g})",
    )
    checks.add_argument(
        "--min-poll-interval",
        type=float,
        default=Thresholds.min_poll_interval,
        metavar="S",
        help=f"seconds between polls below which polling is a storm ({Thresholds.min_poll_interval:g})",
    )


def _seconds_or_none(value: str) -> float | None:
    return None if value.lower() == "none" else float(value)


def thresholds(args: argparse.Namespace) -> Thresholds:
    """The check thresholds the flags set."""
    return Thresholds(min_retry_delay=args.min_retry_delay, min_poll_interval=args.min_poll_interval)


def fault_plan(args: argparse.Namespace) -> FaultPlan:
    """The plan the flags declare; a mistake exits with status 2, naming it."""
    options: dict[str, Any] = {
        "disconnect": getattr(args, "disconnect", None),
        "reconnect": args.reconnect,
        "reconnect_times": args.reconnect_times,
        "polls": args.polls,
        "poll_times": args.poll_times,
        "creates": args.creates,
        "create_times": args.create_times,
        "retry_after": args.retry_after,
        "inject": args.inject,
        "gives_up_after": args.gives_up_after,
        "interaction": args.interaction,
    }
    try:
        chosen = {k: v for k, v in options.items() if v is not None}
        if args.retry_after is None:
            chosen["retry_after"] = None
        plan, each_event = plan_from_options(chosen)
    except (FaultSpecError, ValueError) as exc:
        raise UsageError(f"{exc}") from None
    if each_event:
        raise UsageError("--disconnect each-event is what `sweep` does; run it instead")
    return plan


def replaying(path: Path, config: SessionConfig) -> Session:
    """A session replaying ``path``; a missing or corrupt cassette exits with status 2, naming it
    (and the line at fault)."""
    if not path.is_file():
        raise UsageError(f"no such cassette: {path}")
    try:
        session = Session(config)
    except CassetteError as exc:
        raise UsageError(f"{exc}") from None
    if session.cassette is None or not session.cassette.exchanges:
        raise UsageError(f"{path} holds no exchanges to replay")
    return session


def origin_of(session: Session) -> str:
    """The ``scheme://host[:port]`` the replayed cassette's first request was made to."""
    assert session.cassette is not None
    parts = urlsplit(session.cassette.exchanges[0].request.url)
    return f"{parts.scheme}://{parts.netloc}"


def client_env(base_url: str) -> dict[str, str]:
    """The environment a client command runs in: the served base URL in :data:`BASE_URL_VARIABLE`."""
    return {**os.environ, BASE_URL_VARIABLE: base_url}


def run_client(command: Sequence[str], base_url: str, timeout: float | None) -> tuple[int | None, str]:
    """Run ``command`` against ``base_url``; its exit status (``None``: killed at ``timeout``) and
    the tail of its output."""
    try:
        done = subprocess.run(
            list(command),
            env=client_env(base_url),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return None, out[-2000:]
    except OSError as exc:
        raise UsageError(f"cannot run {command[0]!r}: {exc}") from None
    return done.returncode, (done.stdout + done.stderr)[-2000:]


def wait_for_client(front: Front, watch: int | None) -> str:
    """Block until the client is done: the reserved path is called, the watched process exits, or
    Ctrl-C. Says which."""
    try:
        while not front.finished.wait(0.1):
            if watch is not None and not alive(watch):
                return f"process {watch} exited"
    except KeyboardInterrupt:
        return "interrupted"
    return f"{FINISH_PATH} was called"


def settle(seconds: float = 0.05) -> None:
    """Let the last answers' streams finish being written before the session is judged."""
    time.sleep(seconds)
