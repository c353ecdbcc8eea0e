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


def test_the_page_never_overwrites_a_cassette(
    dropped: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cassette = tmp_path / "session.yaml"
    shutil.copy(dropped, cassette)
    other = tmp_path / "other.yaml"
    shutil.copy(dropped, other)
    before = cassette.read_bytes()
    assert main(["inspect", str(cassette), "--html", str(cassette)]) == 2
    assert "is the cassette being inspected" in capsys.readouterr().err
    assert main(["inspect", str(cassette), "--html", str(other)]) == 2
    assert "exists and is not an HTML page" in capsys.readouterr().err
    assert cassette.read_bytes() == before
    assert other.read_bytes() == before
    page = tmp_path / "page.html"
    assert main(["inspect", str(cassette), "--html", str(page)]) == 0
    assert main(["inspect", str(cassette), "--html", str(page)]) == 0  # its own page, written again


HOSTILE = r"""version: 2
exchanges:
- at: 0
  request: {method: GET, url: 'http://127.0.0.1:9/v1beta/interactions/v1_a?stream=true'}
  response:
    status: 200
    headers: {content-type: text/event-stream}
    events:
    - {at: 0.01, event: interaction.created, data: {event_type: interaction.created, event_id: evt_1,
       interaction: {id: v1_a, status: "\e]0;owned\a\e[2J"}}}
    - {at: 0.02, event: "step\e[31m.red", data: {event_type: "step\e[31m.red", event_id: "evt\e[2J2"}}
end: 1
"""


def test_recorded_control_characters_reach_no_terminal_raw(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """ESC, BEL and OSC sequences a server sent are shown escaped by inspect, validate and diff."""
    cassette = tmp_path / "hostile.yaml"
    cassette.write_text(HOSTILE)
    other = tmp_path / "other.yaml"
    other.write_text(HOSTILE.replace(r"step\e[31m.red", r"step\e[32m.green"))
    for command in (
        ["inspect", str(cassette)],
        ["validate", str(cassette)],
        ["diff", str(cassette), str(other)],
    ):
        main(command)
        shown = capsys.readouterr()
        for stream in (shown.out, shown.err):
            assert "\x1b" not in stream, command
            assert "\x07" not in stream, command
        assert "\\x1b" in shown.out, command
