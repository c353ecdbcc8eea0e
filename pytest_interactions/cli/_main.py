"""Argument parsing and dispatch for the ``pytest-interactions`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pytest_interactions._version import __version__
from pytest_interactions.cli import (
    _conform,
    _convert,
    _demo,
    _diff,
    _inspect,
    _prune,
    _record,
    _replay,
    _scrub,
    _serve,
    _sweep,
    _validate,
)

CLIENT_COMMANDS = frozenset({"replay", "sweep", "record"})
"""The commands that run a client program given after ``--``."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pytest-interactions",
        description="Record, replay and emulate Interactions API sessions; check, compare, show and "
        "maintain cassettes. `pytest-interactions COMMAND --help` shows a command's options, examples "
        "and exit status.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command_name", required=True, metavar="COMMAND")
    _serve.add_parser(commands)
    _record.add_parser(commands)
    _replay.add_parser(commands)
    _sweep.add_parser(commands)
    _demo.add_parser(commands)
    _validate.add_parser(commands)
    _diff.add_parser(commands)
    _inspect.add_parser(commands)
    _scrub.add_parser(commands)
    _convert.add_parser(commands)
    _conform.add_parser(commands)
    _prune.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    name = next((word for word in words if not word.startswith("-")), None)
    # Everything after `--` is the client command of replay, sweep and record, options and all.
    command: list[str] | None = None
    if name in CLIENT_COMMANDS and "--" in words:
        command, words = words[words.index("--") + 1 :], words[: words.index("--")]
    args = parser.parse_args(words)
    if command is not None:
        args.command = command
    try:
        status: int = args.run(args)
    except KeyboardInterrupt:
        return 130
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
