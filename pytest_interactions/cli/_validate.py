"""``pytest-interactions validate``: check cassettes against the protocol."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pytest_interactions._terminal import terminal_safe
from pytest_interactions.cassette import SecretPolicy
from pytest_interactions.cli._paths import PathError, cassette_files
from pytest_interactions.cli._progress import Progress
from pytest_interactions.cli._scrub import add_secret_env_var
from pytest_interactions.contract import RULES, Problem, Validation, validate_cassette
from pytest_interactions.protocol import APIS, ERROR_SEVERITY

EPILOG = """\
rules:
{rules}

examples:
  pytest-interactions validate cassettes/
  pytest-interactions validate cassettes/test_api/test_stream.yaml --strict
  pytest-interactions validate cassettes/ --format json > findings.json

exit status:
  0  every cassette follows the protocol (warnings may have been printed)
  1  at least one error (or, with --strict, a warning)
  2  bad usage, or a path that does not exist
"""


def _rules() -> str:
    """The cassette's own rules, then each API's grammar, each rule with where it comes from."""
    own = {name: RULES[name] for name in ("cassette", "api", "secrets")}
    blocks = ["\n".join(f"  {name:<16} {text}" for name, text in own.items())]
    for api in APIS:
        rules, sources = api.grammar.rules, api.grammar.sources
        lines = [
            f"    {name:<16} {text}\n{'':<21}source: {sources.get(name, 'assumed')}"
            for name, text in rules.items()
        ]
        blocks.append(f"  {api.name}:\n" + "\n".join(lines))
    return "\n".join(blocks)


def judged_line(validation: Validation) -> str:
    """The API each interaction (or response) of a file was judged by."""
    by_api: dict[str, list[str]] = {}
    for subject, api in validation.judged.items():
        by_api.setdefault(api, []).append(subject)
    shown = "; ".join(f"{api}: {', '.join(subjects)}" for api, subjects in by_api.items())
    return terminal_safe(
        f"{validation.path}: judged as {shown}" if shown else f"{validation.path}: no API request"
    )


def add_parser(commands: Any) -> None:
    rules = _rules()
    parser = commands.add_parser(
        "validate",
        help="check cassettes against the protocol",
        description="Check cassettes against the protocol of the API each interaction belongs to\n"
        "(Gemini Interactions, OpenAI Responses, MCP): event order and nesting, event ids or\n"
        "sequence numbers and resumes, status paths, required fields, and secrets. Each file is\n"
        "introduced by the API each interaction was judged by; each finding is printed as\n"
        "PATH:LINE: [RULE] REASON (API RESOURCE).",
        epilog=EPILOG.format(rules=rules),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="cassette files or directories")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default text)"
    )
    parser.add_argument("--strict", action="store_true", help="fail on warnings too")
    add_secret_env_var(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        files = cassette_files(args.paths)
    except PathError as exc:
        print(f"pytest-interactions validate: {exc}", file=sys.stderr)
        return 2
    policy = SecretPolicy().extended(env_vars=args.secret_env_var)
    problems: list[Problem] = []
    validations: list[Validation] = []
    for path in Progress(len(files)).over(files, "validating "):
        validations.append(validate_cassette(path, policy))
        problems += validations[-1].problems
    errors = [p for p in problems if p.severity == ERROR_SEVERITY]
    warnings = len(problems) - len(errors)
    if args.format == "json":
        report = {
            "files": len(files),
            "errors": len(errors),
            "warnings": warnings,
            "judged": {str(v.path): v.judged for v in validations},
            "problems": [p.as_json() for p in problems],
        }
        print(json.dumps(report, indent=2))
    else:
        for validation in validations:
            print(judged_line(validation))
            for problem in validation.problems:
                print(problem)
        print(f"{len(files)} cassette(s) checked: {len(errors)} error(s), {warnings} warning(s)")
    failed = bool(errors) or (args.strict and warnings > 0)
    return 1 if failed else 0
