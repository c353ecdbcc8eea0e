"""``pytest-interactions convert``: a cassette vcrpy recorded against the emulator becomes one of
this format, with its stream split into events, that validates and replays; a cassette of an older
schema version is written again in the current one."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import httpx
import pytest
import vcr
from httpx_sse import connect_sse

from pytest_interactions.cassette import load_cassette
from pytest_interactions.cli import main
from pytest_interactions.contract import validate_file
from pytest_interactions.emulator import Emulator
from pytest_interactions.session import use_cassette


def read_stream(base_url: str, key: str) -> list[str]:
    """Create an interaction and stream it to its end; the event ids seen."""
    with httpx.Client(base_url=base_url + "/v1beta", headers={"x-goog-api-key": key}, timeout=10) as http:
        created = http.post("/interactions", json={"model": "m", "input": "hi", "background": True}).json()
        ids = []
        with connect_sse(http, "GET", f"/interactions/{created['id']}", params={"stream": "true"}) as source:
            for event in source.iter_sse():
                if event.data != "[DONE]":
                    ids.append(json.loads(event.data)["event_id"])
        return ids


@pytest.fixture
def vcrpy_cassette(tmp_path: Path) -> tuple[Path, str, list[str]]:
    path = tmp_path / "vcrpy.yaml"
    with Emulator(speed=200) as api, vcr.use_cassette(str(path), record_mode="all"):
        ids = read_stream(api.base_url, "vcrpy-recorded-key")
        base_url = api.base_url
    assert "interactions:" in path.read_text()
    return path, base_url, ids


def test_convert_splits_streams_scrubs_and_replays(
    vcrpy_cassette: tuple[Path, str, list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, base_url, ids = vcrpy_cassette
    target = tmp_path / "converted.yaml"
    assert main(["convert", str(source), "--output", str(target)]) == 0
    assert capsys.readouterr().out.strip() == (
        f"{source} -> {target}: 2 exchange(s), 1 stream(s) split into {len(ids) + 1} event(s)"
    )
    text = target.read_text()
    assert "vcrpy-recorded-key" not in text
    assert "event: interaction.created" in text
    assert validate_file(target) == []
    stream = load_cassette(target).exchanges[1].response
    assert stream is not None
    assert len(stream.events or []) == len(ids) + 1  # and [DONE]
    with use_cassette(target, "none"):
        assert read_stream(base_url, "k") == ids


def test_in_place_and_already_converted(
    vcrpy_cassette: tuple[Path, str, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    source, _, _ = vcrpy_cassette
    assert main(["convert", str(source.parent)]) == 0
    assert "exchanges:" in source.read_text()
    capsys.readouterr()
    assert main(["convert", str(source)]) == 0
    assert capsys.readouterr().out.strip() == f"{source}: already a version 3 cassette, left alone"


def test_a_broken_cassette_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("interactions:\n- request: {uri: x}\n")
    assert main(["convert", str(broken)]) == 1
    assert f"{broken}" in capsys.readouterr().err


#: A version 2 cassette as that version wrote it: JSON bodies and compact-JSON event data as YAML
#: structure, closed by its ``end:`` line.
VERSION_2 = """\
version: 2
meta:
  recorded_with: pytest-interactions 0.1.0
  started_at: '2026-05-20T12:00:00+00:00'
exchanges:
- at: 0.0
  request:
    method: POST
    url: http://127.0.0.1:9/v1beta/interactions
    headers:
      content-type: application/json
      x-goog-api-key: <REDACTED>
    json:
      model: gemini-3.5-flash
      input: Hello
      background: true
  response:
    status: 200
    after: 0.002
    headers:
      content-type: application/json
    json:
      id: v1_a
      status: in_progress
      steps: []
- at: 0.1
  request:
    method: GET
    url: http://127.0.0.1:9/v1beta/interactions/v1_a?stream=true
  response:
    status: 200
    after: 0.001
    headers:
      content-type: text/event-stream
    events:
    - at: 0.01
      event: step.delta
      data:
        event_type: step.delta
        index: 0
        delta:
          type: text
          text: Hi
        event_id: evt_3
    - at: 0.02
      event: done
      data: '[DONE]'
end: 2
"""


def test_a_version_2_cassette_is_migrated_to_version_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "old.yaml"
    path.write_text(VERSION_2)
    before = load_cassette(path)
    assert before.version == 2
    assert main(["convert", str(path)]) == 0
    assert capsys.readouterr().out.strip() == f"{path} -> {path}: version 2 -> 3, 2 exchange(s)"

    text = path.read_text()
    assert text.startswith("version: 3\n")
    assert text.endswith("\nend: 2\n")
    # JSON bodies as literal blocks of indented JSON, event data on one line as JSON text.
    assert (
        '    json: |-\n      {\n        "model": "gemini-3.5-flash",\n        "input": "Hello",\n'
        '        "background": true\n      }\n'
    ) in text
    assert (
        '      data: \'{"event_type":"step.delta","index":0,'
        '"delta":{"type":"text","text":"Hi"},"event_id":"evt_3"}\'\n'
    ) in text
    after = load_cassette(path)
    assert after.version == 3
    assert after.meta == before.meta
    assert [dataclasses.replace(e, line=None) for e in after.exchanges] == [
        dataclasses.replace(e, line=None) for e in before.exchanges
    ]
    stream = after.exchanges[1].response
    assert stream is not None
    assert stream.events is not None
    assert [getattr(e, "data", None) for e in stream.events] == [
        '{"event_type":"step.delta","index":0,"delta":{"type":"text","text":"Hi"},"event_id":"evt_3"}',
        "[DONE]",
    ]

    migrated = path.read_bytes()
    assert main(["convert", str(path)]) == 0
    assert capsys.readouterr().out.strip() == f"{path}: already a version 3 cassette, left alone"
    assert path.read_bytes() == migrated
