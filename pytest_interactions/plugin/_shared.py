"""Cassettes shared by several tests: recorded once per run, by a test that plans no faults.

Every process of the run (each pytest-xdist worker too) sees the same collection, so each works
out the same recorder for a cassette: the first test using it that plans no faults. The others
wait for it to finish, then replay what it wrote, with their faults. A marker file per cassette in
a directory named for the run tells every process what has been recorded.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_interactions._errors import Error
from pytest_interactions._processes import alive
from pytest_interactions.plugin._marker import FAULT_OPTIONS
from pytest_interactions.plugin._naming import CUT_PARAM, cassette_path, has_marker, marker_kwargs, test_name

#: How long a test waits for another one to record the cassette it needs (seconds).
DEFAULT_WAIT = 300.0
_RUNS = Path(tempfile.gettempdir()) / "pytest-interactions-runs"


class RecordingUnavailableError(Error, AssertionError):
    """A test needs a recording that no test of this run makes (or its recorder failed)."""


def plans_faults(item: Any, kwargs: dict[str, Any]) -> bool:
    """True when a test declares faults on its marker (an each-event run before recording doesn't)."""
    callspec = getattr(item, "callspec", None)
    if callspec is not None and CUT_PARAM in callspec.params:
        return callspec.params[CUT_PARAM] is not None
    return any(kwargs.get(name) is not None for name in FAULT_OPTIONS)


def _check_distinct(named: dict[Path, tuple[str, str]], path: Path, name: str, nodeid: str) -> None:
    """Two tests whose names become one cassette file name would share it by accident, and fail
    later as unmatched requests: stop at collection, naming both."""
    earlier = named.setdefault(path, (name, nodeid))
    if earlier[0] != name:
        raise pytest.UsageError(
            f"{earlier[1]} and {nodeid} would both use the cassette {path}: their names differ only "
            "in characters a file name cannot hold. Rename one, or give each its own "
            "@pytest.mark.interactions(cassette=...)"
        )


@dataclass
class Group:
    """The tests of this run that use one cassette, and the one that records it."""

    path: Path
    users: list[str] = field(default_factory=list)
    recorder: str | None = None


class SharedCassettes:
    """Who records which cassette in this run, and what has been recorded so far."""

    def __init__(self, run_id: str, *, owner: bool) -> None:
        self.run_id = run_id
        self.directory = _RUNS / run_id
        self.owner = owner
        self.groups: dict[Path, Group] = {}
        self._recording: dict[str, list[Group]] = {}  # a recorder's node id -> the groups it records
        self.wait_timeout = DEFAULT_WAIT

    # -- planning, at collection --------------------------------------------------------------

    def plan(self, config: pytest.Config, items: list[pytest.Item]) -> list[pytest.Item]:
        """Group the tests by cassette, choose each recorder, and move it before the others."""
        self.groups.clear()
        faults_off = bool(config.getoption("--interactions-no-faults"))
        first_position: dict[Path, int] = {}
        recorders: dict[Path, pytest.Item] = {}
        named: dict[Path, tuple[str, str]] = {}  # a derived cassette name -> (test name, node id)
        for position, item in enumerate(items):
            if not (has_marker(item) or "interactions" in getattr(item, "fixturenames", ())):
                continue
            kwargs = marker_kwargs(item)
            try:
                path = cassette_path(config, item, kwargs)
            except Exception:  # a broken marker is reported when the test runs
                continue
            if not kwargs.get("cassette"):
                _check_distinct(named, path, test_name(item), item.nodeid)
            group = self.groups.setdefault(path, Group(path))
            group.users.append(item.nodeid)
            first_position.setdefault(path, position)
            if group.recorder is None and (faults_off or not plans_faults(item, kwargs)):
                group.recorder = item.nodeid
                recorders[path] = item
        self._recording.clear()
        for group in self.groups.values():
            if group.recorder is not None:
                self._recording.setdefault(group.recorder, []).append(group)
        moved = {id(item) for item in recorders.values()}
        ordered: list[pytest.Item] = []
        starts = {first_position[path]: item for path, item in recorders.items()}
        for position, item in enumerate(items):
            if position in starts:
                ordered.append(starts[position])
            if id(item) not in moved:
                ordered.append(item)
        return ordered

    def group(self, path: Path) -> Group | None:
        return self.groups.get(path)

    def recorded_by(self, nodeid: str) -> list[Group]:
        """The groups whose cassette the test ``nodeid`` records."""
        return self._recording.get(nodeid, [])

    # -- what has been recorded in this run ---------------------------------------------------

    def _marker(self, path: Path) -> Path:
        return self.directory / (hashlib.sha1(str(path).encode("utf-8")).hexdigest() + ".done")

    def finished(self, path: Path, outcome: str) -> None:
        """Tell every process that the recorder of ``path`` is done (``written`` or why not)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        marker = self._marker(path)
        if marker.exists():
            return
        temporary = marker.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(outcome, encoding="utf-8")
        os.replace(temporary, marker)

    def started(self, path: Path) -> None:
        """Tell every process that this one is recording ``path`` now (so that its death is seen)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self._marker(path).with_suffix(".started").write_text(str(os.getpid()), encoding="utf-8")

    def _recorder_gone(self, path: Path) -> int | None:
        """The process id of the recorder of ``path`` if it started and has died since."""
        try:
            pid = int(self._marker(path).with_suffix(".started").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return None if alive(pid) else pid

    def outcome(self, path: Path) -> str | None:
        """``written``, the reason the recorder wrote nothing, or ``None`` while it has not finished."""
        try:
            return self._marker(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def wait(self, path: Path, recorder: str) -> str:
        """Wait for the recorder of ``path`` to finish (in another process, or earlier here)."""
        from pytest_interactions.clock import real_monotonic, real_sleep

        deadline = real_monotonic() + self.wait_timeout
        while True:
            outcome = self.outcome(path)
            if outcome is not None:
                return outcome
            gone = self._recorder_gone(path)
            if gone is not None and self.outcome(path) is None:
                return f"its recorder {recorder} died (process {gone} is gone) before it finished"
            if real_monotonic() > deadline:
                raise RecordingUnavailableError(
                    f"waited {self.wait_timeout:g}s for {recorder} to record {path}, in vain"
                )
            real_sleep(0.05)

    def close(self) -> None:
        if self.owner:
            shutil.rmtree(self.directory, ignore_errors=True)


def run_id(config: pytest.Config) -> tuple[str, bool]:
    """This run's id, the same in every xdist worker, and whether this process owns its directory."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        return str(workerinput["testrunuid"]), False
    existing = config.getoption("testrunuid", default=None) if _has_option(config, "testrunuid") else None
    if existing:
        return str(existing), True
    fresh = uuid.uuid4().hex
    if _has_option(config, "testrunuid"):
        config.option.testrunuid = fresh  # the workers xdist starts will use it too
    return fresh, True


def _has_option(config: pytest.Config, name: str) -> bool:
    return hasattr(config.option, name)


@dataclass(frozen=True)
class Role:
    """What one test does with its cassette in this run."""

    mode: str
    """The record mode the test's session runs in."""
    records_for_others: bool = False
    """This test is the recorder others wait for: it must say when it is done."""


def role(shared: SharedCassettes | None, path: Path, nodeid: str, mode: str, faults: bool) -> Role:
    """Decide whether the test records its cassette, waits for another test to, or replays it.

    Only ``once`` and ``all`` coordinate; ``none`` replays and ``new_episodes`` appends as always.
    """
    group = shared.group(path) if shared is not None else None
    if shared is None or group is None or mode not in ("once", "all"):
        return Role(mode)
    needs_recording = mode == "all" or not path.exists()
    if mode == "all" and shared.outcome(path) is not None:
        needs_recording = False  # re-recorded already in this run: replay what was written
    if not needs_recording:
        return Role("none" if mode == "all" else mode)
    if group.recorder == nodeid:
        records_for_others = len(group.users) > 1 or mode == "all"
        if records_for_others:
            shared.started(path)
        return Role(mode, records_for_others=records_for_others)
    if group.recorder is None:
        if not faults:
            return Role(mode)
        raise RecordingUnavailableError(
            f"{path} has no recording yet, and this test's faults need one: no test of this run "
            "records it without faults. Give it a test that plans no faults (the same cassette=), "
            "or record it once with --interactions-no-faults"
        )
    outcome = shared.wait(path, group.recorder)
    if outcome != "written" and not faults:
        return Role(mode)  # nothing to replay: this test records what it needs itself
    if outcome != "written":
        raise RecordingUnavailableError(
            f"{path} was to be recorded by {group.recorder}, which wrote nothing: {outcome}"
        )
    return Role("none")
