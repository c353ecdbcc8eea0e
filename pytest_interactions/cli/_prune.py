"""``pytest-interactions prune``: cassettes no collected test uses, and stale recordings."""

from __future__ import annotations

import argparse
import fnmatch
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pytest_interactions._errors import Error
from pytest_interactions.cassette import CassetteError, load_cassette
from pytest_interactions.cli._paths import cassette_files

EPILOG = """\
The tests are collected (not run) with `python -m pytest --collect-only` in the current
directory; arguments after `--` are passed to it. A test uses a cassette when it carries
@pytest.mark.interactions or asks for the `interactions` fixture. Nothing is deleted when the
collection fails.

examples:
  pytest-interactions prune
  pytest-interactions prune --delete
  pytest-interactions prune --max-age 90 --exclude 'reference/*'
  pytest-interactions prune -- tests/api -p no:cacheprovider

exit status:
  0  every cassette is used (and, with --max-age, recent); or the unused ones were deleted
  1  unused cassettes (without --delete) or stale recordings were found
  2  bad usage, or the collection failed
"""


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "prune",
        help="list (or delete) cassettes no collected test uses; report stale recordings",
        description="List the cassettes that no collected test uses any more, optionally delete\n"
        "them, and report recordings older than a maximum age.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--delete", action="store_true", help="delete the unused cassettes")
    parser.add_argument(
        "--max-age", type=float, metavar="DAYS", help="report used cassettes recorded longer ago"
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="cassettes to leave out, relative to the cassette directory (repeatable)",
    )
    parser.add_argument("pytest_args", nargs="*", metavar="-- PYTEST_ARGS", help="passed to pytest")
    parser.set_defaults(run=run)


class CollectionError(Error):
    """pytest could not collect the tests."""


def collect(pytest_args: list[str]) -> tuple[Path, set[Path], list[str]]:
    """The cassette directory, the cassettes the collected tests use, and why the collection may
    not hold every test (empty when it holds them all)."""
    with tempfile.TemporaryDirectory() as scratch:
        inventory = Path(scratch) / "inventory.json"
        command = [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "pytest_interactions.plugin._inventory",
            f"--interactions-inventory={inventory}",
            *pytest_args,
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode not in (0, 5) or not inventory.exists():
            tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
            raise CollectionError(f"pytest --collect-only failed (exit {result.returncode}):\n{tail}")
        report = json.loads(inventory.read_text(encoding="utf-8"))
    used = {Path(p).resolve() for p in report["used"]}
    return Path(report["cassette_dir"]), used, list(report.get("narrowed", []))


def _is_cassette(path: Path) -> bool:
    """The file reads as a cassette (this plugin's or vcrpy's): other YAML is never touched."""
    try:
        load_cassette(path)
    except CassetteError:
        return False
    return True


def recorded_at(path: Path) -> float:
    """When a cassette was recorded: its ``meta.started_at``, else the file's modification time."""
    try:
        started = load_cassette(path).meta.get("started_at")
    except CassetteError:
        started = None
    if isinstance(started, str):
        try:
            moment = datetime.fromisoformat(started)
        except ValueError:
            pass
        else:
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    return path.stat().st_mtime


def run(args: argparse.Namespace) -> int:
    try:
        directory, used, narrowed = collect(args.pytest_args)
    except CollectionError as exc:
        print(f"pytest-interactions prune: {exc}", file=sys.stderr)
        return 2
    if narrowed and args.delete:
        print(
            "pytest-interactions prune: --delete needs the whole collection, and this one may not hold "
            "every test that uses a cassette; nothing was deleted:\n  " + "\n  ".join(narrowed),
            file=sys.stderr,
        )
        return 2
    if not directory.is_dir():
        print(f"no cassette directory at {directory}: nothing to prune")
        return 0
    files = [
        p
        for p in cassette_files([directory])
        if not any(fnmatch.fnmatch(str(p.relative_to(directory)), pattern) for pattern in args.exclude)
    ]
    unused = [p for p in files if p.resolve() not in used and _is_cassette(p)]
    status = 0
    for path in unused:
        if args.delete:
            path.unlink()
            print(f"deleted {path}")
        else:
            print(f"unused {path}")
            status = 1
    if args.max_age is not None:
        now = time.time()
        for path in files:
            if path in unused:
                continue
            age = (now - recorded_at(path)) / 86400
            if age > args.max_age:
                print(f"stale {path}: recorded {age:.0f} days ago (maximum {args.max_age:g})")
                status = 1
    kept = len(files) - len(unused)
    verb = "deleted" if args.delete else "unused"
    print(f"{len(files)} cassette(s) under {directory}: {kept} used, {len(unused)} {verb}")
    return status
