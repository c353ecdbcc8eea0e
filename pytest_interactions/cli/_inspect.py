"""``pytest-interactions inspect``: a cassette's session as a timeline, in the terminal or HTML."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pytest_interactions._terminal import terminal_safe
from pytest_interactions.cassette import CassetteError, load_cassette
from pytest_interactions.contract import cassette_transcript, summarise
from pytest_interactions.protocol import render_html, render_timeline

EPILOG = """\
examples:
  pytest-interactions inspect cassettes/test_api/test_stream.yaml
  pytest-interactions inspect cassettes/test_api/test_stream.yaml --html stream.html

exit status:
  0  shown (and written)
  2  bad usage, a cassette that cannot be read, or an HTML file that cannot be written
"""


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "inspect",
        help="show a cassette's session as a timeline (terminal or HTML)",
        description="Show the session a cassette recorded on its recorded time: requests, each\n"
        "stream with its events, disconnects and resumes, and the statuses seen; then each\n"
        "interaction summed up in the terms of its API (Gemini interactions with their event ids,\n"
        "OpenAI responses with their sequence numbers).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("cassette", type=Path, metavar="CASSETTE", help="the cassette to show")
    parser.add_argument(
        "--html",
        type=Path,
        metavar="FILE",
        help="also write a self-contained HTML page: a lane per interaction, events on the time axis",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    refusal = _html_refusal(args.cassette, args.html) if args.html is not None else None
    if refusal is not None:
        print(f"pytest-interactions inspect: --html {args.html}: {refusal}", file=sys.stderr)
        return 2
    try:
        cassette = load_cassette(args.cassette)
    except CassetteError as exc:
        print(f"pytest-interactions inspect: {exc}", file=sys.stderr)
        return 2
    transcript = cassette_transcript(cassette)
    print(render_timeline(transcript, title=f"{args.cassette} (recorded time since the session started):"))
    summary = summarise(transcript)
    if summary:
        print("\nby API, in its own terms:")
        print("\n".join(terminal_safe(f"  {line}") for line in summary))
    if args.html is not None:
        page = render_html(transcript, title=str(args.cassette))
        try:
            args.html.write_text(page, encoding="utf-8")
        except OSError as exc:
            print(
                f"pytest-interactions inspect: {args.html}: cannot be written: {exc.strerror}",
                file=sys.stderr,
            )
            return 2
        print(f"wrote {args.html}")
    return 0


def _html_refusal(cassette: Path, html: Path) -> str | None:
    """Why ``html`` must not be written: it is the cassette read, or an existing file that is no
    page (a cassette, most likely); ``None`` when it may be."""
    if html.exists() and html.resolve() == cassette.resolve():
        return "is the cassette being inspected; name another file for the page"
    if html.exists() and (not html.is_file() or html.suffix.lower() not in (".html", ".htm")):
        return "exists and is not an HTML page; inspect overwrites only .html files"
    return None
