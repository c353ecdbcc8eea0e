"""``pytest-interactions inspect``: the recorded session as a timeline, and as an HTML page that a
real browser opens."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pytest_interactions.cli import main
from tests.contract.recording import record_session

BROWSER = next((shutil.which(name) for name in ("chromium", "chromium-browser") if shutil.which(name)), None)


@pytest.fixture(scope="module")
def dropped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A recorded session whose stream the server dropped after 5 events, then resumed."""
    return record_session(tmp_path_factory.mktemp("inspect") / "dropped.yaml", drop=5)


def test_the_terminal_timeline_shows_requests_streams_cuts_resumes_and_statuses(
    dropped: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["inspect", str(dropped)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{dropped} (recorded time since the session started):")
    assert "POST   /v1beta/interactions -> 200" in out
    assert "stream #1 of v1_" in out
    assert "✂ cut RemoteProtocolError: peer closed connection" in out
    assert "stream #2 of v1_" in out
    assert "last_event_id=evt_000005" in out
    assert "evt_000006     step.delta" in out
    assert "■ end of stream" in out
    assert "is completed (seen by stream #2)" in out
    assert "/v1beta/interactions/v1_doesnotexist?stream=false -> 404" in out


def test_html_is_written(dropped: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "session.html"
    assert main(["inspect", str(dropped), "--html", str(page)]) == 0
    assert f"wrote {page}" in capsys.readouterr().out
    text = page.read_text()
    assert text.count('class="event"') == 10
    assert 'data-event-id="evt_000006"' in text


def test_an_unreadable_cassette_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "version: 1\nexchanges:\n- at: 0\n  request: {method: GET}\n  response: {status: 200}\n"
    )
    assert main(["inspect", str(broken)]) == 2
    assert f"{broken}:4: exchanges[0].request lacks 'url'" in capsys.readouterr().err


@pytest.mark.skipif(
    BROWSER is None, reason="no Chromium installed (apt-get install chromium) to open the page in"
)
def test_a_headless_browser_opens_the_page_and_shows_an_event(dropped: Path, tmp_path: Path) -> None:
    page = tmp_path / "session.html"
    assert main(["inspect", str(dropped), "--html", str(page)]) == 0
    command = [str(BROWSER), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    dom = subprocess.run(
        [*command, "--dump-dom", f"{page.as_uri()}#event=evt_000006"],
        capture_output=True,
        text=True,
        timeout=90,
        check=True,
    ).stdout
    assert '<pre id="details">evt_000006 step.delta at' in dom  # the page's script ran and found the event
    assert '"event_id": "evt_000006"' in dom
    shot = tmp_path / "session.png"
    subprocess.run(
        [*command, "--window-size=1300,600", f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        timeout=90,
        check=True,
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
