"""A failing run names each dependency release that no green run has had, beside those that passed."""

from __future__ import annotations

from pathlib import Path

from green_versions import news, read_green, write_green


def test_a_new_release_is_named_with_the_versions_that_passed(tmp_path: Path) -> None:
    green = tmp_path / "green.txt"
    write_green({"pyyaml": "6.0.0", "httpx": "0.28.1"}, green)
    write_green({"pyyaml": "6.0.3", "httpx": "0.28.1"}, green)
    assert read_green(green) == {"httpx": ["0.28.1"], "pyyaml": ["6.0.0", "6.0.3"]}
    installed = {"pyyaml": "6.0.4", "httpx": "0.28.1", "openai": "3.63.0"}
    assert news(installed, read_green(green)) == [
        "pyyaml 6.0.4, passed with 6.0.0, 6.0.3",
        "openai 3.63.0, never tested before",
    ]


def test_versions_that_passed_are_no_news(tmp_path: Path) -> None:
    green = tmp_path / "green.txt"
    write_green({"pyyaml": "6.0.4"}, green)
    assert news({"pyyaml": "6.0.4"}, read_green(green)) == []
    assert read_green(tmp_path / "missing.txt") == {}
