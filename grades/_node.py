"""Grading a Node client through the any-language path: the program is recorded through
``pytest-interactions record`` and swept with ``pytest-interactions sweep``, as a team outside
Python would do it (docs/cli.md). The programs live in tests/js beside their npm dependencies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from _grade import Cut, PathGrade, cut_place, exercised, parse_mistake, real_time, scrub

from pytest_interactions.session import cut_points
from tests.js.node import JS_DIR, LOCK_FILE, NodeSetupError, ensure_node_modules, missing_tools

#: Variables of the caller's shell that would point the programs elsewhere or hand them a real key.
_INHERITED_PREFIXES = ("GEMINI_", "GOOGLE_", "OPENAI_", "INTERACTIONS_")
_TIMEOUT = 600.0


class NodeGradeError(RuntimeError):
    """Recording or sweeping a Node program failed for a reason other than the program's mistakes."""


@dataclass(frozen=True)
class NodePath:
    """One way of using one npm SDK: its row, the program in tests/js, the calls to report."""

    key: str
    sdk: str
    """The name the grade shows for the SDK."""
    package: str
    """Its npm package, whose locked version the grade shows."""
    path: str
    script: str
    snippet: str


PATHS: tuple[NodePath, ...] = (
    NodePath(
        "genai-node-resume",
        "@google/genai",
        "@google/genai",
        "node: background streamed create, the guide's resume loop "
        "(`interactions.get(id, {stream: true, last_event_id})`)",
        "stream_resume.mjs",
        "\n".join(
            (
                "const ai = new GoogleGenAI({apiKey: KEY,",
                "                            httpOptions: {baseUrl: URL, apiVersion: 'v1beta'}});",
                "let stream = await ai.interactions.create({model: 'gemini-3.5-flash', input: PROMPT,",
                "                                            background: true, stream: true});",
                "for await (const event of stream) last = event.event_id ?? last;  // the connection drops",
                "stream = await ai.interactions.get(id, {stream: true, last_event_id: last});",
            )
        ),
    ),
    NodePath(
        "openai-node-retrieve",
        "openai-node",
        "openai",
        "node: background stream, resumed with `responses.retrieve(id, {stream: true, starting_after})`",
        "openai_background_resume.mjs",
        "\n".join(
            (
                "const client = new OpenAI({apiKey: KEY, baseURL: `${URL}/v1`});",
                "let stream = await client.responses.create({model: 'gpt-4o', input: PROMPT,",
                "                                            background: true, stream: true});",
                "for await (const event of stream) last = event.sequence_number;  // the connection drops",
                "stream = await client.responses.retrieve(id, {stream: true, starting_after: last});",
            )
        ),
    ),
)


def unavailable() -> str | None:
    """Why the Node rows cannot be graded on this machine (``None``: they can)."""
    missing = missing_tools()
    if missing:
        return f"{' and '.join(missing)} not on PATH"
    try:
        ensure_node_modules()
    except NodeSetupError as exc:
        return f"the npm modules of tests/js could not be installed ({str(exc).splitlines()[0]})"
    return None


def locked_version(package: str) -> str:
    """The version of ``package`` that tests/js/package-lock.json pins (and ``npm ci`` installs)."""
    packages = json.loads(LOCK_FILE.read_text(encoding="utf-8")).get("packages", {})
    return str(packages.get(f"node_modules/{package}", {}).get("version", "not locked"))


def grade(path: NodePath, folder: Path) -> PathGrade:
    """Record ``path``'s program once into ``folder``, then sweep it over every cut of its stream."""
    cassette = folder / f"{path.key}.yaml"
    program = ["node", str(JS_DIR / path.script)]
    recorded = _cli("record", "--cassette", str(cassette), "--", *program)
    if recorded.returncode != 0:
        raise NodeGradeError(f"recording {path.script} failed:\n{recorded.stdout}{recorded.stderr}")
    graded = PathGrade(
        path.sdk, locked_version(path.package), path.path, "js", path.snippet, exercised(cassette)
    )
    swept = _cli("sweep", str(cassette), "--jobs", "2", "--report", "json", "--", *program)
    if swept.returncode not in (0, 1):
        raise NodeGradeError(f"sweeping {path.script} failed:\n{swept.stdout}{swept.stderr}")
    points = {point.test_id: point for point in cut_points(cassette) if point.cut is not None}
    for result in json.loads(swept.stdout)["cuts"]:
        findings: list[tuple[str, str]] = []
        other: list[str] = []
        for mistake in result["mistakes"]:
            parsed = parse_mistake(mistake)
            findings += parsed
            if not parsed:
                other.append(scrub(real_time(mistake), folder))
        graded.cuts.append(
            Cut(
                result["cut"],
                cut_place(points[result["cut"]]),
                tuple((check, scrub(real_time(text), folder)) for check, text in findings),
                (),
                tuple(other),
            )
        )
    return graded


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``pytest-interactions ARGS`` with this interpreter, the programs' reconnect waits shortened
    (served sessions run on real time) and none of the caller's keys or base URLs."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(_INHERITED_PREFIXES)}
    env["INTERACTIONS_BACKOFF_MS"] = "10"
    return subprocess.run(
        [sys.executable, "-m", "pytest_interactions.cli", *args],
        capture_output=True,
        text=True,
        timeout=_TIMEOUT,
        env=env,
        check=False,
    )
