"""``pytest-interactions convert``: a cassette vcrpy recorded against the emulator becomes one of
this format, with its stream split into events, that validates and replays."""

from __future__ import annotations

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
    assert capsys.readouterr().out.strip() == f"{source}: already a pytest-interactions cassette, left alone"


def test_a_broken_cassette_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("interactions:\n- request: {uri: x}\n")
    assert main(["convert", str(broken)]) == 1
    assert f"{broken}" in capsys.readouterr().err
