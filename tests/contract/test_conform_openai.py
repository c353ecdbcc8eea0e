"""Emulator conformance of OpenAI Responses recordings: the emulator answers a recording's
requests (response ids and ``starting_after`` positions mapped) in the same shape, and a
recording that differs is named by response and event type."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_interactions.cassette import load_cassette
from pytest_interactions.cli import main
from pytest_interactions.contract import conform
from tests.contract.openai_recording import record_responses
from tests.contract.test_diff_openai import changed_server


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return record_responses(tmp_path_factory.mktemp("openai") / "responses.yaml", seed=3, hang_up_after=5)


def test_the_emulator_conforms_to_a_recording_of_itself(recorded: Path, tmp_path: Path) -> None:
    result = conform(recorded, keep=tmp_path / "emulated.yaml")
    assert [str(d) for d in result.drift] == []
    original = load_cassette(recorded)
    assert len(result.emulated.exchanges) == len(original.exchanges)
    # The resume asked the emulator, under its own response id, for the position the recording
    # resumed after.
    resumed, emulated = original.exchanges[1].request.url, result.emulated.exchanges[1].request.url
    assert "starting_after=4" in resumed
    assert "starting_after=4" in emulated
    assert resumed.split("?")[0].rsplit("/", 1)[1] != emulated.split("?")[0].rsplit("/", 1)[1]


def test_a_recording_that_differs_from_the_emulator_is_named(
    recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    live = changed_server(
        recorded,
        tmp_path / "live.yaml",
        "response.output_item.added",
        lambda p: p.update(position=p.pop("output_index")),
    )
    assert main(["conform", "--format", "json", str(live)]) == 1
    assert json.loads(capsys.readouterr().out) == [
        {
            "cassette": str(live),
            "drift": [
                {
                    "where": "response #1",
                    "category": "fields",
                    "message": "response.output_item.added(message): field position renamed to "
                    "output_index (number)",
                    "api": "openai",
                }
            ],
        }
    ]


def test_the_command_reports_the_cassette(recorded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conform", str(recorded)]) == 0
    assert capsys.readouterr().out.splitlines() == [f"{recorded}: the emulator conforms"]
