"""``grades/run.py --tiny`` writes a well-formed grade: a row per path graded with a verdict per
protocol check, and every failing path followed by its findings and a reproduction. The verdicts
themselves are the SDKs' business, not this test's."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from pytest_interactions.protocol import CHECKS

pytestmark = pytest.mark.slow  # a subprocess recording and replaying three SDK paths: seconds

ROOT = Path(__file__).resolve().parents[2]
VERDICTS = {"pass", "FAIL", "n/a"}


@pytest.fixture(scope="module")
def grade(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """The tiny grade's file, and what the run printed on stderr."""
    out = tmp_path_factory.mktemp("grades") / "sdk-grades.md"
    done = subprocess.run(
        [sys.executable, str(ROOT / "grades" / "run.py"), "--tiny", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return out.read_text(encoding="utf-8"), done.stderr


def rows(text: str) -> list[list[str]]:
    """The table's rows (header and separator left out), as their cells."""
    table = [line for line in text.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in table[1:]]


def test_the_header_says_how_to_regenerate_it_and_names_the_versions(grade: tuple[str, str]) -> None:
    text, _ = grade
    assert text.startswith("# SDK grades\n")
    assert "`python grades/run.py`" in text
    environment = re.search(r"^Environment: (.*)\.$", text, re.M)
    assert environment is not None
    for sdk in ("google-genai", "openai", "@google/genai", "openai-node"):
        assert f"{sdk} " in environment[1]
    assert re.search(r"Python \d+\.\d+$", environment[1])  # major.minor only


def test_a_row_per_path_graded_with_a_verdict_per_check(grade: tuple[str, str]) -> None:
    text, stderr = grade
    header = next(line for line in text.splitlines() if line.startswith("| SDK |"))
    assert header.split("|")[5:-1] == [f" `{check}` " for check in CHECKS]
    graded = re.search(r"graded (\d+) paths", stderr)
    assert graded is not None
    found = rows(text)
    assert len(found) == int(graded[1]) > 0
    assert len({(row[0], row[2]) for row in found}) == len(found)
    for row in found:
        assert len(row) == 4 + len(CHECKS), row
        assert row[3].isdigit(), row
        assert set(row[4:]) <= VERDICTS, row
    assert found == sorted(found, key=lambda row: (row[0], row[2]))


def test_each_failing_path_is_followed_by_its_findings_and_a_reproduction(grade: tuple[str, str]) -> None:
    text, _ = grade
    sections = {section.split("\n", 1)[0]: section for section in re.split(r"^### ", text, flags=re.M)[1:]}
    for row in rows(text):
        failing = [check for check, verdict in zip(CHECKS, row[4:], strict=True) if verdict == "FAIL"]
        if not failing:
            continue
        section = sections[f"{row[0]} {row[1]}, {row[2]}"]
        findings = section[section.index("**Findings**") : section.index("**Reproduction**")]
        for check in failing:
            finding = rf"^- `{check}`, at \d+ of \d+ replays \(first `[^`]+`\): \[{check}\] \S"
            assert re.search(finding, findings, re.M), (check, findings)
        reproduction = section[section.index("**Reproduction**") :]
        assert re.search(r"^```\w+\n.+?\n```$", reproduction, re.M | re.S)
        assert "What the checks say it should have done" in reproduction


def test_no_path_of_this_machine_is_in_it(grade: tuple[str, str]) -> None:
    text, _ = grade
    assert str(ROOT) not in text
    assert tempfile.gettempdir() not in text  # where the recordings were made
