"""The versions of the key dependencies this suite has passed with, so a failure names a new release.

``green_versions.txt`` holds one line per distribution: its name, then every version a green run
passed with. A failing run lists each installed version not among them ("pyyaml 6.0.4, passed with
6.0.0, 6.0.3"); a passing run under ``INTERACTIONS_RECORD_GREEN=1`` (as ``.ci/run`` sets) adds its own.
"""

from __future__ import annotations

from pathlib import Path

from pytest_interactions.plugin._versions import KEY_DISTRIBUTIONS, installed_versions

GREEN_FILE = Path(__file__).with_name("green_versions.txt")
TRACKED = (*KEY_DISTRIBUTIONS, "pytest", "pytest-xdist", "hypothesis")


def read_green(path: Path = GREEN_FILE) -> dict[str, list[str]]:
    """Each distribution's versions that passed, in the order they were first seen."""
    if not path.exists():
        return {}
    green = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, *versions = line.split()
            green[name] = versions
    return green


def write_green(installed: dict[str, str], path: Path = GREEN_FILE) -> None:
    """Add ``installed`` to the versions that passed."""
    green = read_green(path)
    for name, version in installed.items():
        seen = green.setdefault(name, [])
        if version not in seen:
            seen.append(version)
    lines = [f"{name} {' '.join(versions)}" for name, versions in sorted(green.items())]
    head = "# versions a green run passed with (tests/green_versions.py)"
    path.write_text("\n".join([head, *lines]) + "\n")


def news(installed: dict[str, str], green: dict[str, list[str]]) -> list[str]:
    """``name version, passed with a, b`` for each installed version no green run has had."""
    lines = []
    for name, version in installed.items():
        seen = green.get(name, [])
        if version not in seen:
            before = f"passed with {', '.join(seen)}" if seen else "never tested before"
            lines.append(f"{name} {version}, {before}")
    return lines


def tracked_versions() -> dict[str, str]:
    return installed_versions(TRACKED)
