"""``pytest-interactions convert``: vcrpy / pytest-recording cassettes and older versions into this format."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pytest_interactions.cassette import (
    SCHEMA_VERSION,
    CassetteError,
    Disconnect,
    load_cassette,
    save_cassette,
)
from pytest_interactions.cli._paths import PathError, cassette_files

EPILOG = """\
A vcrpy cassette keeps a stream's body as one string: each text/event-stream body is split into
its events (with at: 0, since vcrpy kept no timing). A cassette of an older schema version is
written again in the current one (version 3 keeps JSON payloads as JSON text), with the same
exchanges. Secrets are scrubbed on the way, and the write is atomic. A directory converts every
cassette under it, in place.

examples:
  pytest-interactions convert tests/cassettes/test_chat.yaml
  pytest-interactions convert tests/cassettes/test_chat.yaml --output cassettes/test_chat.yaml
  pytest-interactions convert tests/cassettes/
  pytest-interactions convert cassettes/    # version 1 and 2 files -> version 3

exit status:
  0  converted (files already in the current format are reported and left alone)
  1  a cassette could not be converted (named with its line)
  2  bad usage, or a path that does not exist
"""


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "convert",
        help="turn vcrpy / pytest-recording cassettes and older versions into this format",
        description="Turn vcrpy or pytest-recording cassettes into pytest-interactions cassettes,\n"
        "splitting Server-Sent-Event bodies into events, and older pytest-interactions cassettes\n"
        "into the current schema version.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("path", type=Path, metavar="PATH", help="a cassette, or a directory of them")
    parser.add_argument(
        "--output", type=Path, metavar="NEW", help="where to write (a single file only; default: in place)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        files = cassette_files([args.path])
    except PathError as exc:
        print(f"pytest-interactions convert: {exc}", file=sys.stderr)
        return 2
    if args.output is not None and args.path.is_dir():
        print("pytest-interactions convert: --output needs a single file, not a directory", file=sys.stderr)
        return 2
    status = 0
    for path in files:
        try:
            cassette = load_cassette(path)
        except CassetteError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 1
            continue
        target = args.output or path
        if cassette.meta.get("imported_from") == "vcrpy":
            cassette.meta.pop("imported_from", None)
            cassette.meta["converted_from"] = "vcrpy"
            streams = [
                e.response for e in cassette.exchanges if e.response is not None and e.response.is_stream
            ]
            events = sum(1 for r in streams for item in r.events or [] if not isinstance(item, Disconnect))
            split = f"{len(streams)} stream(s) split into {events} event(s)"
            done = f"{len(cassette.exchanges)} exchange(s), {split}"
        elif cassette.version < SCHEMA_VERSION:
            done = f"version {cassette.version} -> {SCHEMA_VERSION}, {len(cassette.exchanges)} exchange(s)"
        else:
            print(f"{path}: already a version {SCHEMA_VERSION} cassette, left alone")
            continue
        try:
            save_cassette(target, cassette)
        except CassetteError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 1
            continue
        print(f"{path} -> {target}: {done}")
    return status
