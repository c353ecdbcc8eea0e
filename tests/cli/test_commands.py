"""What every command shares: help with examples and exit statuses, the pre-commit hooks, and
a progress line that shows on a terminal only."""

from __future__ import annotations

import io
import shlex
from pathlib import Path

import pytest
import yaml

from pytest_interactions.cli import main
from pytest_interactions.cli._main import build_parser
from pytest_interactions.cli._progress import Progress

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = [
    "serve", "demo", "validate", "diff", "inspect", "scrub", "convert", "conform", "prune",
    "record", "replay", "sweep",
]  # fmt: skip


def test_every_command_is_registered() -> None:
    commands = next(a for a in build_parser()._actions if a.dest == "command_name")
    assert sorted(commands.choices) == sorted(COMMANDS)  # type: ignore[arg-type]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_has_examples_and_exit_statuses(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "examples:\n  pytest-interactions " + command in out
    assert "exit status:\n  0  " in out


def test_the_pre_commit_hooks_run_clean_on_the_committed_cassettes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert [h["id"] for h in hooks] == ["pytest-interactions-validate", "pytest-interactions-scrub"]
    files = sorted(str(p) for p in (ROOT / "cassettes").rglob("*.yaml"))
    for hook in hooks:
        program, *arguments = shlex.split(hook["entry"])
        assert program == "pytest-interactions"
        assert main([*arguments, *files]) == 0, capsys.readouterr().out


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_on_a_terminal_and_clears_itself() -> None:
    screen = Terminal()
    seen = list(Progress(3, screen).over(["a.yaml", "b.yaml", "c.yaml"], "validating "))
    assert seen == ["a.yaml", "b.yaml", "c.yaml"]
    written = screen.getvalue()
    assert "\r[1/3] validating a.yaml" in written
    assert "\r[3/3] validating c.yaml" in written
    assert written.endswith("\r")


def test_progress_is_quiet_elsewhere(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pipe = io.StringIO()
    assert list(Progress(2, pipe).over([1, 2])) == [1, 2]
    assert pipe.getvalue() == ""
    assert main(["validate", str(ROOT / "cassettes")]) == 0
    assert capsys.readouterr().err == ""
