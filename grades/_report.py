"""docs/sdk-grades.md from the grades: the table, then each failing path with its findings and a
reproduction. Nothing in it depends on the machine, the clock or the order paths were graded in."""

from __future__ import annotations

from collections.abc import Sequence

from _grade import FAIL, Cut, PathGrade

from pytest_interactions.protocol import CHECKS

COMMAND = "python grades/run.py"
_WIRE_SHOWN = 12
"""Requests of a reproduction shown before the rest are counted."""

_HOW = """\
Each path is the way its SDK's documentation or guide teaches it. It is recorded once, without
a fault, against the embedded emulator; the recording is then replayed with the connection cut
after each event of its streams (*cuts swept*; a path that never streams is replayed once,
without a cut), and every replay is judged by every protocol check
([plugin.md](plugin.md#checks)). **FAIL**: at least one replay produced a finding of that check;
**pass**: none did; **n/a**: the path never gives that check anything to judge (no stream to
resume, no poll, no chained create, no answer asking to wait)."""

Block = list[str]


def render(grades: Sequence[PathGrade], environment: str, skipped: Sequence[str], *, tiny: bool) -> str:
    """The whole file."""
    rows = sorted(grades, key=lambda graded: (graded.sdk, graded.path))
    blocks: list[Block] = [
        ["# SDK grades"],
        [f"<!-- Written by `{COMMAND}`: edit grades/, not this file. -->"],
        [f"Regenerate with `{COMMAND}`. `{COMMAND} --check` exits 1 when this file is out of date."],
    ]
    if tiny:
        blocks.append([f"This is the `--tiny` subset (`{COMMAND} --tiny`), as the test suite makes it."])
    blocks += [_HOW.splitlines(), [f"Environment: {environment}."], _table(rows)]
    if skipped:
        blocks.append([f"Not graded here: {reason}." for reason in skipped])
    blocks.append(["The checks:", "", *(f"- `{check}`: {what}." for check, what in CHECKS.items())])
    failing = [graded for graded in rows if any(graded.verdict(check) == FAIL for check in CHECKS)]
    if failing:
        blocks.append(["## Failures"])
        for graded in failing:
            blocks += _failures(graded, [check for check in CHECKS if graded.verdict(check) == FAIL])
    outside = [graded for graded in rows if any(cut.other for cut in graded.cuts)]
    if outside:
        blocks += [
            ["## Outside the checks"],
            ["What else went wrong in the replays (the first example of each path):"],
        ]
        blocks.append([_outside(graded) for graded in outside])
    return "\n\n".join("\n".join(block) for block in blocks) + "\n"


def _table(rows: Sequence[PathGrade]) -> Block:
    lines = [
        "| SDK | version | path | cuts swept | " + " | ".join(f"`{check}`" for check in CHECKS) + " |",
        "|---|---|---|--:|" + "|".join(":-:" for _ in CHECKS) + "|",
    ]
    for graded in rows:
        verdicts = " | ".join(graded.verdict(check) for check in CHECKS)
        lines.append(f"| {graded.sdk} | {graded.version} | {graded.path} | {graded.swept} | {verdicts} |")
    return lines


def _title(graded: PathGrade) -> str:
    return f"{graded.sdk} {graded.version}, {graded.path}"


def _failures(graded: PathGrade, checks: Sequence[str]) -> list[Block]:
    """A path's failing checks, each with how often it fired and its first finding, then one
    reproduction: the replay where the most of them fired together (the earliest of those)."""
    findings = []
    for check in checks:
        failing = graded.failing(check)
        cut, text = failing[0]
        findings.append(
            f"- `{check}`, at {len(failing)} of {len(graded.cuts)} replays (first `{cut.name}`): {text}"
        )
    chosen = max(graded.cuts, key=lambda cut: len({check for check, _ in cut.findings} & set(checks)))
    return [
        [f"### {_title(graded)}"],
        ["**Findings**"],
        findings,
        ["**Reproduction**"],
        [f"```{graded.language}", graded.snippet, "```"],
        *_what_happened(chosen),
    ]


def _what_happened(cut: Cut) -> list[Block]:
    """The cut, the requests the client sent, and what the checks expected instead."""
    blocks = [[f"The server drops the connection {cut.where}." if cut.where else "Replayed without a fault."]]
    if cut.wire:
        shown = cut.wire[:_WIRE_SHOWN]
        more = [f"... and {len(cut.wire) - len(shown)} more requests"] if len(cut.wire) > len(shown) else []
        blocks += [["On the wire, the client sends:"], ["```", *shown, *more, "```"]]
    else:
        blocks.append(["The program ran in a process of its own: the findings tell what it sent."])
    blocks.append(["What the checks say it should have done, at this cut:"])
    blocks.append([f"- {text}" for _, text in cut.findings] + [f"- {line}" for line in cut.other])
    return blocks


def _outside(graded: PathGrade) -> str:
    hit = [cut for cut in graded.cuts if cut.other]
    return (
        f"- {_title(graded)}, at {len(hit)} of {len(graded.cuts)} replays "
        f"(first `{hit[0].name}`): {hit[0].other[0]}"
    )
