"""``pytest-interactions scrub``: secrets put back into a recorded cassette are found, reported
with their lines, and scrubbed atomically; ``--check`` changes nothing."""

from __future__ import annotations

import base64
import gzip
import urllib.parse
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
    assert text.count('        "input": "tides",\n') == 1  # the request's JSON body
    text = text.replace(
        '        "input": "tides",\n', '        "input": "tides",\n        "api_key": "pasted-json-secret",\n'
    )
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
    assert '"api_key": "<REDACTED>"' in text
    assert validate_file(leaky) == []
    assert main(["scrub", "--check", str(leaky)]) == 0
    assert capsys.readouterr().out.strip() == "1 cassette(s) checked, 0 would change"


def test_a_key_value_no_filter_reaches_fails_and_the_file_is_kept(
    leaky: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "sk-live-0123456789")
    text = leaky.read_text()
    assert text.count('"input": "tides"') == 1
    leaky.write_text(text.replace('"input": "tides"', '"input": "tides sk-live-0123456789"'))
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


def test_the_cli_guards_the_same_environment_variables_as_the_plugin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--secret-env-var`` is the ini key ``interactions_secret_env_vars``; OPENAI_API_KEY is in
    the defaults of both."""
    cassette = tmp_path / "leak.yaml"
    cassette.write_text(
        "version: 2\nexchanges:\n- at: 0\n  request:\n    method: POST\n    url: http://127.0.0.1:9/v1/responses\n"
        "    json: {input: 'tok-MyService0123 and sk-OpenAi0123456'}\n  response: {status: 204}\nend: 1\n"
    )
    monkeypatch.setenv("MY_SERVICE_TOKEN", "tok-MyService0123")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-OpenAi0123456")
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    for command in ("scrub", "validate"):
        assert (
            main([command, "--check", str(cassette)] if command == "scrub" else [command, str(cassette)]) == 1
        )
        plain = capsys.readouterr()
        assert "$OPENAI_API_KEY" in plain.out + plain.err
        assert "$MY_SERVICE_TOKEN" not in plain.out + plain.err
        arguments = [command, "--secret-env-var", "MY_SERVICE_TOKEN", str(cassette)]
        assert main(arguments[:1] + (["--check"] if command == "scrub" else []) + arguments[1:]) == 1
        named = capsys.readouterr()
        assert "$MY_SERVICE_TOKEN" in named.out + named.err


@pytest.mark.parametrize("place", ["gzip body", "base64 body", "percent-encoded path"])
def test_the_cli_finds_a_guarded_value_wherever_the_record_time_guard_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], place: str
) -> None:
    """One finder for the guard at record time, ``scrub --check`` and ``validate``."""
    key = "AIzaSyGuardedEverywhere0042"
    monkeypatch.setenv("GEMINI_API_KEY", key)
    url = "http://127.0.0.1:9/v1beta/interactions"
    body = "{status: 204}"
    if place == "gzip body":
        data = base64.b64encode(gzip.compress(f'{{"note": "{key}"}}'.encode())).decode()
        body = f"{{status: 200, headers: {{content-encoding: gzip}}, base64: '{data}'}}"
    elif place == "base64 body":
        data = base64.b64encode(bytes([0, 1]) + key.encode()).decode()
        body = f"{{status: 200, base64: '{data}'}}"
    else:
        url += "/" + urllib.parse.quote(f"by/{key}", safe="")
    cassette = tmp_path / "guarded.yaml"
    request = f"{{method: GET, url: '{url}'}}"
    cassette.write_text(
        f"version: 2\nexchanges:\n- at: 0\n  request: {request}\n  response: {body}\nend: 1\n"
    )
    assert main(["validate", str(cassette)]) == 1
    assert "$GEMINI_API_KEY" in capsys.readouterr().out
    assert main(["scrub", "--check", str(cassette)]) == 1
    shown = capsys.readouterr()
    assert "$GEMINI_API_KEY" in shown.out + shown.err
    assert key not in shown.out + shown.err
