"""``pytest-interactions scrub``: secrets put back into a recorded cassette are found, reported
with their lines, and scrubbed atomically; ``--check`` changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_interactions.cli import main
from pytest_interactions.contract import validate_file
from tests.contract.recording import record_session
from tests.contract.sample import line_of


@pytest.fixture
def leaky(tmp_path: Path) -> Path:
    """A recorded cassette into which someone pasted secrets by hand."""
    path = record_session(tmp_path / "session.yaml")
    text = path.read_text()
    assert text.count("x-goog-api-key: <REDACTED>") == 4
    text = text.replace("x-goog-api-key: <REDACTED>", "x-goog-api-key: AIzaPastedKey", 1)
    text = text.replace("      input: tides\n", "      input: tides\n      api_key: pasted-json-secret\n", 1)
    path.write_text(text)
    return path


def test_check_reports_each_secret_with_its_line_and_changes_nothing(
    leaky: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = leaky.read_bytes()
    text = before.decode()
    assert main(["scrub", "--check", str(leaky)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == [
        f"{leaky}:{line_of(text, 'AIzaPastedKey')}: would scrub exchanges[0].request.headers.x-goog-api-key",
        f"{leaky}:{line_of(text, 'pasted-json-secret')}: would scrub exchanges[0].request.json.api_key",
    ]
    assert out[-1] == "1 cassette(s) checked, 1 would change"
    assert leaky.read_bytes() == before


def test_scrub_rewrites_the_file_and_then_check_passes(
    leaky: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert [p.rule for p in validate_file(leaky)] == ["secrets", "secrets"]
    assert main(["scrub", str(leaky)]) == 0
    assert "scrubbed exchanges[0].request.headers.x-goog-api-key" in capsys.readouterr().out
    text = leaky.read_text()
    assert "AIzaPastedKey" not in text
    assert "pasted-json-secret" not in text
    assert "api_key: <REDACTED>" in text
    assert validate_file(leaky) == []
    assert main(["scrub", "--check", str(leaky)]) == 0
    assert capsys.readouterr().out.strip() == "1 cassette(s) checked, 0 would change"


def test_a_key_value_no_filter_reaches_fails_and_the_file_is_kept(
    leaky: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "sk-live-0123456789")
    leaky.write_text(leaky.read_text().replace("input: tides", "input: 'tides sk-live-0123456789'", 1))
    before = leaky.read_bytes()
    assert main(["scrub", str(leaky)]) == 1
    captured = capsys.readouterr()
    line = line_of(before.decode(), "sk-live")
    assert f"{leaky}:{line}: the value of $GEMINI_API_KEY appears here; no filter reaches it" in captured.out
    assert "nothing was written" in captured.err
    assert leaky.read_bytes() == before


def test_extra_filters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = record_session(tmp_path / "session.yaml")
    assert main(["scrub", "--check", "--filter-header", "accept", str(path)]) == 1
    assert "would scrub exchanges[0].request.headers.accept" in capsys.readouterr().out
