"""Live contract mode: run the suite against the live API (or the emulator), record into a
scratch directory instead of the committed cassettes, and fail each test whose fresh recording
drifted in shape from its committed cassette; one summary at the end."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_interactions.plugin import _options
from pytest_interactions.plugin._keys import SESSION_KEY

#: Seconds an interaction's duration may change: the differ's own default, repeated here so that
#: the plugin's start does not import the differ (a test keeps the two equal).
DEFAULT_TIMING_TOLERANCE = 30.0

OPTION = "--interactions-contract"
_PROPERTY = "interactions_contract"
DIR_OPTION = "--interactions-contract-dir"
TOLERANCE_OPTION = "--interactions-contract-timing"
_SCRATCH_ENV = "PYTEST_INTERACTIONS_CONTRACT_DIR"


@dataclass(eq=False)  # registered as a plugin: pytest keeps plugins in a set
class ContractRun:
    """Where the committed cassettes are, where fresh ones go, and what each test found."""

    committed: Path
    scratch: Path
    tolerance: float
    results: dict[str, tuple[Path, list[str] | None]] = field(default_factory=dict)
    """Per test: the committed cassette and its drift (``None``: no committed cassette)."""

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Collect what each test found (here, or in a pytest-xdist worker)."""
        for name, value in report.user_properties:
            if name == _PROPERTY and isinstance(value, dict):
                self.results[report.nodeid] = (Path(value["committed"]), value["drift"])

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        terminalreporter.section("interactions contract")
        drifted = 0
        for nodeid, (committed, drift) in self.results.items():
            if drift is None:
                terminalreporter.line(f"{nodeid}: no committed cassette ({committed})")
            elif drift:
                drifted += 1
                terminalreporter.line(f"{nodeid}: DRIFT, {len(drift)} difference(s)", red=True)
                for item in drift:
                    terminalreporter.line(f"    {item}")
            else:
                terminalreporter.line(f"{nodeid}: no drift", green=True)
        checked = sum(1 for _, drift in self.results.values() if drift is not None)
        terminalreporter.line(
            f"{checked} test(s) checked against their cassettes, {drifted} drifted; "
            f"fresh recordings in {self.scratch}"
        )


RUN_KEY = pytest.StashKey[ContractRun]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("interactions")
    group.addoption(
        OPTION,
        action="store_true",
        default=False,
        help="contract mode: record each test afresh (live API with --interactions-base-url, else the "
        "emulator) into a scratch directory, and fail the tests whose recording drifted in shape from "
        "the committed cassette; committed cassettes are never written",
    )
    group.addoption(
        DIR_OPTION,
        metavar="DIR",
        default=None,
        help="where contract mode writes fresh recordings (default: a temp dir)",
    )
    group.addoption(
        TOLERANCE_OPTION,
        metavar="SECONDS",
        type=float,
        default=DEFAULT_TIMING_TOLERANCE,
        help="how many seconds an interaction's duration may change in contract mode "
        f"(default {DEFAULT_TIMING_TOLERANCE:g})",
    )


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption(OPTION):
        return
    root = Path(config.rootpath)
    committed = Path(_options.cassette_dir(config))
    committed = committed if committed.is_absolute() else root / committed
    chosen = config.getoption(DIR_OPTION) or os.environ.get(_SCRATCH_ENV)
    scratch = Path(chosen).resolve() if chosen else Path(tempfile.mkdtemp(prefix="interactions-contract-"))
    os.environ[_SCRATCH_ENV] = str(scratch)  # pytest-xdist workers, started later, write there too
    run = ContractRun(committed, scratch, float(config.getoption(TOLERANCE_OPTION)))
    config.stash[RUN_KEY] = run
    config.pluginmanager.register(run, "interactions-contract-run")
    config.option.interactions_cassette_dir = str(scratch)
    config.option.interactions_record_mode = "all"
    config.option.interactions_no_faults = True  # each test records its session live, as it is


#: Why contract mode skips a test that plans faults.
FAULTS_SKIPPED = (
    "contract mode records each test live, without faults, and this test plans faults ({what}), "
    "which apply in replay only: it runs in the ordinary (replaying) run"
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Contract mode skips tests whose marker plans faults, saying why: their assertions are about
    the injected failure, which a live recording never holds."""
    if not config.getoption(OPTION):
        return
    from pytest_interactions.plugin._marker import FAULT_OPTIONS
    from pytest_interactions.plugin._naming import marker_kwargs
    from pytest_interactions.plugin._shared import plans_faults

    for item in items:
        kwargs = marker_kwargs(item)
        if plans_faults(item, kwargs):  # an each-event test's recording run plans none
            planned = [f"{name}={kwargs[name]!r}" for name in FAULT_OPTIONS if kwargs.get(name) is not None]
            item.add_marker(pytest.mark.skip(reason=FAULTS_SKIPPED.format(what=", ".join(planned))))


def _committed_path(run: ContractRun, fresh: Path) -> Path:
    try:
        return run.committed / fresh.relative_to(run.scratch)
    except ValueError:
        return fresh


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    run = item.config.stash.get(RUN_KEY, None)
    handle = item.stash.get(SESSION_KEY, None)
    if run is None or handle is None or call.when != "call":
        return
    report: pytest.TestReport = outcome.get_result()
    committed = _committed_path(run, handle.cassette_path)
    if not committed.exists():
        report.user_properties.append((_PROPERTY, {"committed": str(committed), "drift": None}))
        if report.passed:
            report.outcome = "skipped"
            report.longrepr = (
                str(item.path),
                0,
                f"Skipped: no committed cassette {committed} to check against",
            )
        return
    from pytest_interactions.cassette import CassetteError, load_cassette
    from pytest_interactions.contract import Drift, diff_cassettes

    try:
        # A test sharing a cassette that another test of the run recorded afresh replayed that
        # fresh recording: it is what the service answered for it.
        session = handle.session
        fresh = session.cassette_to_write() if handle.recording else load_cassette(handle.cassette_path)
        drift = diff_cassettes(load_cassette(committed), fresh, timing_tolerance=run.tolerance)
    except CassetteError as exc:
        drift = [Drift("session", "cassette", str(exc))]
    # Kept on the report, so that the summary also sees what pytest-xdist workers found.
    report.user_properties.append(
        (_PROPERTY, {"committed": str(committed), "drift": [str(d) for d in drift]})
    )
    if drift and report.passed:
        report.outcome = "failed"
        lines = [f"the API drifted from {committed} ({len(drift)} difference(s)):"]
        lines += [f"  {d}" for d in drift]
        lines.append(f"fresh recording: {handle.cassette_path}")
        report.longrepr = "\n".join(lines)
