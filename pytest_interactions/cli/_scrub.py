"""``pytest-interactions scrub``: re-apply the secret filters to existing cassettes."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pytest_interactions.cassette import (
    DEFAULT_ENV_VARS,
    CassetteError,
    SecretPolicy,
    cassette_lines,
    load_cassette,
    save_cassette,
)
from pytest_interactions.cli._paths import PathError, cassette_files
from pytest_interactions.cli._progress import Progress
from pytest_interactions.contract import leaked_values, secrets_in

EPILOG = """\
Scrubbed: the headers x-goog-api-key, authorization, proxy-authorization, cookie, set-cookie,
x-api-key, api-key; the query parameters key, api_key, access_token; the JSON keys api_key,
access_token, refresh_token, client_secret; and whatever the --filter options add. The value of
$GEMINI_API_KEY, $GOOGLE_API_KEY, $OPENAI_API_KEY (and each --secret-env-var) anywhere else is
an error that scrubbing cannot fix.

Each file is rewritten atomically (a temporary file renamed over it), only when something
changed. Cassettes written by vcrpy are left alone: convert them first.

examples:
  pytest-interactions scrub cassettes/
  pytest-interactions scrub --check cassettes/          # in a pre-commit hook or CI
  pytest-interactions scrub --filter-header x-session-token cassettes/

exit status:
  0  nothing to scrub (--check), or everything scrubbed
  1  --check: something would change; or a secret that the filters do not reach
  2  bad usage, a path that does not exist, or a cassette that cannot be read
"""


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "scrub",
        help="re-apply the secret filters to existing cassettes (--check: report only)",
        description="Re-apply the secret filters to existing cassettes and report each change.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="cassette files or directories")
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if anything would change"
    )
    parser.add_argument("--filter-header", action="append", default=[], metavar="NAME", help="another header")
    parser.add_argument(
        "--filter-query-parameter",
        action="append",
        default=[],
        metavar="NAME",
        help="another query parameter",
    )
    parser.add_argument(
        "--filter-json-key", action="append", default=[], metavar="NAME", help="another JSON key"
    )
    add_secret_env_var(parser)
    parser.set_defaults(run=run)


def add_secret_env_var(parser: argparse.ArgumentParser) -> None:
    """The plugin's ini key interactions_secret_env_vars, as an option of a command."""
    parser.add_argument(
        "--secret-env-var",
        action="append",
        default=[],
        metavar="NAME",
        help="another environment variable whose value must appear in no cassette "
        f"({', '.join(DEFAULT_ENV_VARS)} always are; the plugin's interactions_secret_env_vars)",
    )


def run(args: argparse.Namespace) -> int:
    try:
        files = cassette_files(args.paths)
    except PathError as exc:
        print(f"pytest-interactions scrub: {exc}", file=sys.stderr)
        return 2
    policy = SecretPolicy().extended(
        headers=args.filter_header,
        query_parameters=args.filter_query_parameter,
        json_keys=args.filter_json_key,
        env_vars=args.secret_env_var,
    )
    status = 0
    changed_files = 0
    for path in Progress(len(files)).over(files, "scrubbing "):
        try:
            cassette = load_cassette(path)
            text = path.read_text(encoding="utf-8")
        except CassetteError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = max(status, 2)
            continue
        if cassette.meta.get("imported_from") == "vcrpy":
            print(f"{path}: skipped, a vcrpy cassette (run pytest-interactions convert first)")
            continue
        lines = cassette_lines(text)
        found = secrets_in(cassette, policy)
        for item in found:
            line = item.line(text, lines)
            verb = "would scrub" if args.check else "scrubbed"
            print(f"{path}:{line}: {verb} {item.where}")
        leaks = leaked_values(text, policy)
        for variable, line in leaks:
            print(f"{path}:{line}: the value of {variable} appears here; no filter reaches it")
        if leaks:
            status = max(status, 1)
        if not found:
            continue
        changed_files += 1
        if args.check:
            status = max(status, 1)
            continue
        try:
            save_cassette(path, cassette, policy)
        except CassetteError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = max(status, 1)
    verb = "would change" if args.check else "changed"
    print(f"{len(files)} cassette(s) checked, {changed_files} {verb}")
    return status
