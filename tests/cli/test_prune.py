"""``pytest-interactions prune``: after a real collection, cassettes no test uses are listed (or
deleted), stale recordings reported, and nothing is touched when the collection fails."""

from __future__ import annotations

import os
import time

import pytest

from pytest_interactions.cli import main

TESTS = """
import pytest

@pytest.mark.interactions
def test_marked():
    pass

def test_fixture(interactions):
    pass

@pytest.mark.interactions(cassette="shared/session.yaml")
def test_named():
    pass

def test_plain():
    pass
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    pytester.makepyfile(test_api=TESTS)
    for name in (
        "test_api/test_marked",
        "test_api/test_fixture",
        "shared/session",
        "test_api/test_gone",
        "old",
    ):
        path = pytester.path / "cassettes" / f"{name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("version: 1\nmeta: {started_at: '2020-01-01T00:00:00+00:00'}\nexchanges: []\n")
    monkeypatch.chdir(pytester.path)
    return pytester


def test_lists_the_cassettes_no_test_uses(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["prune"]) == 1
    out = capsys.readouterr().out.splitlines()
    cassettes = project.path / "cassettes"
    assert out == [
        f"unused {cassettes / 'old.yaml'}",
        f"unused {cassettes / 'test_api' / 'test_gone.yaml'}",
        f"5 cassette(s) under {cassettes}: 3 used, 2 unused",
    ]
    assert (cassettes / "old.yaml").exists()


def test_delete_removes_only_the_unused_ones(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["prune", "--delete", "--exclude", "old.yaml"]) == 0
    cassettes = project.path / "cassettes"
    assert sorted(str(p.relative_to(cassettes)) for p in cassettes.rglob("*.yaml")) == [
        "old.yaml",
        "shared/session.yaml",
        "test_api/test_fixture.yaml",
        "test_api/test_marked.yaml",
    ]
    assert f"deleted {cassettes / 'test_api' / 'test_gone.yaml'}" in capsys.readouterr().out


def test_max_age_reports_stale_recordings(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    cassettes = project.path / "cassettes"
    fresh = cassettes / "test_api" / "test_fixture.yaml"
    fresh.write_text("version: 1\nexchanges: []\n")  # no recorded date: the file's age counts
    os.utime(fresh, (time.time(), time.time()))
    assert (
        main(["prune", "--max-age", "365", "--exclude", "old.yaml", "--exclude", "test_api/test_gone.yaml"])
        == 1
    )
    out = capsys.readouterr().out
    assert "stale " + str(cassettes / "test_api" / "test_marked.yaml") + ": recorded" in out
    assert "shared/session.yaml: recorded" in out
    assert "test_fixture.yaml: recorded" not in out


def test_a_failing_collection_deletes_nothing(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    project.makepyfile(test_broken="import nowhere_to_be_found\n")
    assert main(["prune", "--delete"]) == 2
    assert "pytest --collect-only failed" in capsys.readouterr().err
    assert len(list((project.path / "cassettes").rglob("*.yaml"))) == 5


def test_pytest_arguments_narrow_the_collection(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["prune", "--", "test_api.py::test_marked"]) == 1
    assert capsys.readouterr().out.splitlines()[-1].endswith(": 1 used, 4 unused")


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        (["--", "test_api.py::test_marked"], "the collection was limited to test_api.py::test_marked"),
        (["--", "-k", "marked"], "-k 'marked' selects tests"),
        (["--", "-m", "slow"], "-m 'slow' selects tests"),
        ([], "test_optional.py was skipped at collection"),
    ],
    ids=["paths", "keyword", "marker", "importorskip"],
)
def test_delete_refuses_a_collection_that_may_not_hold_every_test(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str], arguments: list[str], reason: str
) -> None:
    if not arguments:
        project.makepyfile(test_optional="import pytest\npytest.importorskip('nowhere_to_be_found')\n")
    project.makeini("[pytest]\nmarkers =\n    slow: slow\n")
    assert main(["prune", "--delete", *arguments]) == 2
    err = capsys.readouterr().err
    assert "--delete needs the whole collection" in err
    assert reason in err
    assert len(list((project.path / "cassettes").rglob("*.yaml"))) == 5


def test_yaml_that_is_not_a_cassette_is_never_touched(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = project.path / "cassettes" / "settings.yaml"
    settings.write_text("deploy:\n  region: eu\n")
    assert main(["prune", "--delete"]) == 0
    assert settings.read_text() == "deploy:\n  region: eu\n"
    assert not (project.path / "cassettes" / "old.yaml").exists()
