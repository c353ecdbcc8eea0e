"""pytest-interactions beside vcrpy, cassetter and the floor: every speed and memory figure in one run.

    python benchmarks/run.py [--quick | --tiny] [--json results.json] [--only poll,stream,...]

Each figure is measured side by side in the same run: the tools take turns within every round
(paired rounds) and the table shows medians. Replays, memory and whole pytest runs each run in
fresh processes (cassetter registers its own ``--record-mode``, so it never shares a pytest
process). Peers come from the ``bench`` extra (``pip install -e '.[test,bench]'``); a peer that
is not installed is named in the output and left out. ``--quick`` takes fewer rounds, ``--tiny``
also shrinks every size (the test suite runs it so that no benchmark rots).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _fixtures  # noqa: E402
import _peers  # noqa: E402
from _timer import now  # noqa: E402

BENCHMARKS = ("poll", "stream", "memory", "cold", "files", "sweep", "suite", "collect", "import", "clock")

PROFILES: dict[str, dict[str, Any]] = {
    "full": {
        "sizes": _fixtures.Sizes(),
        "rounds": {
            "poll": 30,
            "stream": 5,
            "memory": 3,
            "cold": 5,
            "files": 5,
            "pytest": 3,
            "collect": 7,
            "clock": 50,
            "import": 5,
        },
    },
    "quick": {
        "sizes": _fixtures.Sizes(),
        "rounds": {
            "poll": 10,
            "stream": 3,
            "memory": 1,
            "cold": 3,
            "files": 3,
            "pytest": 1,
            "collect": 3,
            "clock": 20,
            "import": 3,
        },
    },
    "tiny": {
        "sizes": _fixtures.Sizes(polls=3, events=200, exchanges=20, cuts=8, tests=8, cold_polls=20),
        "rounds": {
            "poll": 2,
            "stream": 1,
            "memory": 1,
            "cold": 1,
            "files": 1,
            "pytest": 1,
            "collect": 1,
            "clock": 3,
            "import": 1,
        },
    },
}
EXTRA_MODULES = 2000  # modules imported on top for the clock's second figure


def _worker(name: str, workdir: Path, env: dict[str, str] | None = None, **options: Any) -> Any:
    """Run one measurement in a fresh process (with ``env`` added to its environment); what it
    printed as JSON."""
    done = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--worker",
            name,
            "--workdir",
            str(workdir),
            "--options",
            json.dumps(options),
        ],
        capture_output=True,
        text=True,
        timeout=3600,
        env={**os.environ, **(env or {})},
    )
    if done.returncode != 0:
        raise RuntimeError(f"the {name} worker failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _run_worker(name: str, workdir: Path, options: dict[str, Any]) -> Any:
    if name == "record":
        return asdict(_fixtures.record(workdir, _fixtures.Sizes(**options["sizes"])))
    if name == "poll":
        import _replay

        return _replay.poll_rounds(workdir, options["rounds"], options["library"])
    if name == "stream":
        import _replay

        return _replay.stream_rounds(workdir, options["rounds"])
    if name == "memory":
        import _memory

        return _memory.stream_growth(workdir, options["tool"])
    if name == "cold":
        import _cold

        return _cold.measure(workdir, options["tool"], options["figure"])
    if name == "files":
        import _files

        return _files.file_rounds(workdir, options["rounds"])
    if name == "clock":
        import _clock

        return _clock.enter_leave(workdir, options["modules"], options["rounds"])
    if name == "projects":
        import _suites

        return {
            k: str(v) for k, v in _suites.make_projects(workdir, options["cuts"], options["tests"]).items()
        }
    raise ValueError(f"unknown worker {name!r}")


def _median(values: list[float] | None) -> float | None:
    return round(statistics.median(values), 3) if values else None


def _medians(samples: dict[str, list[float]]) -> dict[str, float | None]:
    return {name: _median(values) for name, values in samples.items()}


class Results:
    """The table's rows and the raw measurements behind them."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.raw: dict[str, Any] = {}

    def row(self, figure: str, values: dict[str, Any], note: str = "") -> None:
        self.rows.append({"figure": figure, **values, "note": note})


def _poll(results: Results, workdir: Path, rounds: dict[str, int]) -> None:
    for library in ("httpx", "httpx2"):
        data = _worker("poll", workdir, rounds=rounds["poll"], library=library)
        results.raw[f"poll_{library}"] = data
        results.row(f"one poll GET replayed, {library} (µs)", _medians(data["samples"]), _errors(data))


def _stream(results: Results, workdir: Path, rounds: dict[str, int], manifest: _fixtures.Manifest) -> None:
    data = _worker("stream", workdir, rounds=rounds["stream"])
    results.raw["stream"] = data
    events = f"{data['events']:,}"
    results.row(
        f"{events}-event SSE replayed via httpx-sse, load included (ms)",
        _medians(data["samples"]),
        _errors(data),
    )
    results.row("same, stream read only (ms)", _medians(data["read_samples"]))


def _memory(results: Results, workdir: Path, rounds: dict[str, int], manifest: _fixtures.Manifest) -> None:
    samples: dict[str, list[float]] = {}
    first: dict[str, list[float]] = {}
    errors: dict[str, str] = {}
    for _ in range(rounds["memory"]):
        for tool in [*manifest.tools, _peers.FLOOR]:
            try:
                measured = _worker("memory", workdir, tool=tool)
            except RuntimeError as exc:
                errors[tool] = str(exc)[-300:]
                continue
            samples.setdefault(tool, []).append(measured["growth_mib"])
            first.setdefault(tool, []).append(measured["first_ms"])
    results.raw["memory"] = {"samples": samples, "first_samples": first, "errors": errors}
    failed = "; ".join(f"{k}: {v}" for k, v in errors.items())
    results.row(
        f"peak RSS growth replaying the {manifest.events:,}-event stream (MiB)", _medians(samples), failed
    )
    results.row(
        "same stream, load included, the first replay in a fresh process (ms)",
        _medians(first),
        "nothing kept from an earlier replay in the process; parsed-cassette cache and compiled facts warm",
    )


COLD_FIGURES = {
    "stream": "first replay of the {events}-event stream, load included: fresh process, empty cache (ms)",
    "polls": "first replay of a {polls}-poll cassette (enter + one GET): fresh process, empty cache (ms)",
    "save": "save a {polls}-poll recording (leaving the recording context): fresh process (ms)",
}


def _cold(results: Results, workdir: Path, rounds: dict[str, int], manifest: _fixtures.Manifest) -> None:
    """The figures of a fresh CI runner: each a fresh process per tool and round, nothing cached."""
    samples: dict[str, dict[str, list[float]]] = {figure: {} for figure in COLD_FIGURES}
    growth: dict[str, list[float]] = {}
    errors: dict[str, str] = {}
    for n in range(rounds["cold"]):
        for figure in COLD_FIGURES:
            for tool in manifest.tools:
                if f"{figure} {tool}" in errors:
                    continue
                cache = workdir / f"empty-cache-{figure}-{tool}-{n}"  # made empty, as on a new runner
                try:
                    measured = _worker(
                        "cold", workdir, {"INTERACTIONS_CACHE_DIR": str(cache)}, tool=tool, figure=figure
                    )
                except RuntimeError as exc:
                    errors[f"{figure} {tool}"] = str(exc)[-300:]
                    continue
                samples[figure].setdefault(tool, []).append(measured["ms"])
                if "growth_mib" in measured:
                    growth.setdefault(tool, []).append(measured["growth_mib"])
    results.raw["cold"] = {"samples": samples, "growth_samples": growth, "errors": errors}
    sizes = {"events": f"{manifest.events:,}", "polls": f"{manifest.sizes['cold_polls']:,}"}
    for figure, title in COLD_FIGURES.items():
        failed = "; ".join(f"{k}: {v}" for k, v in errors.items() if k.startswith(figure))
        results.row(title.format(**sizes), _medians(samples[figure]), failed)
    results.row(
        "peak RSS growth during that first replay of the stream (MiB)",
        _medians(growth),
        "; ".join(f"{k}: {v}" for k, v in errors.items() if k.startswith("stream")),
    )


def _files(results: Results, workdir: Path, rounds: dict[str, int], manifest: _fixtures.Manifest) -> None:
    data = _worker("files", workdir, rounds=rounds["files"])
    results.raw["files"] = data
    count = f"{data['exchanges']:,}"
    results.row(
        f"first load of {count} exchanges (ms)",
        _medians(data["first_load_samples"]),
        "; ".join(filter(None, ["pytest-interactions: no parsed-cassette cache entry", _errors(data)])),
    )
    results.row(
        "same, loaded again: next test or next run (ms)",
        _medians(data["load_samples"]),
        "pytest-interactions: from its parsed-cassette cache; the others keep nothing between loads",
    )
    results.row(f"save {count} exchanges (ms)", _medians(data["save_samples"]))


def _pytest_runs(
    results: Results, workdir: Path, rounds: dict[str, int], sizes: _fixtures.Sizes, which: set[str]
) -> None:
    import _suites

    projects = {
        k: Path(v) for k, v in _worker("projects", workdir, cuts=sizes.cuts, tests=sizes.tests).items()
    }
    runs: dict[str, tuple[Path, list[str]]] = {}
    cold = {"replayed, first run"}
    if "sweep" in which:
        runs.update(
            {
                "sweep": (projects["sweep"], []),
                "sweep -n 2": (projects["sweep"], ["-n", "2"]),
                "sweep on MockTransport": (projects["mocked-sweep"], []),
                f"empty{sizes.cuts}": (projects[f"empty{sizes.cuts}"], []),
            }
        )
    if "suite" in which:
        runs.update(
            {
                "replayed": (projects["replayed"], []),
                "replayed, first run": (projects["replayed"], []),
                "replayed -n 2": (projects["replayed"], ["-n", "2"]),
                "replayed on MockTransport": (projects["mocked-replayed"], []),
                "replayed on MockTransport -n 2": (projects["mocked-replayed"], ["-n", "2"]),
                "busy": (projects["replayed-busy"], []),
                "busy -n 2": (projects["replayed-busy"], ["-n", "2"]),
                "busy on MockTransport": (projects["mocked-replayed-busy"], []),
                "busy on MockTransport -n 2": (projects["mocked-replayed-busy"], ["-n", "2"]),
                f"empty{sizes.tests}": (projects[f"empty{sizes.tests}"], []),
            }
        )
    if "collect" in which:
        empty = projects["collect"]
        runs.update(
            {
                "collect": (empty, ["--collect-only", "test_bench.py"]),
                "collect without the plugin": (
                    empty,
                    ["--collect-only", "-p", "no:interactions", "test_bench.py"],
                ),
            }
        )
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    outcomes: dict[str, str] = {}
    loads: list[list[float]] = []
    for n in range(max(rounds["pytest"], rounds["collect"] if "collect" in which else 0)):
        for name, (project, args) in runs.items():
            if name.startswith("collect") is False and n >= rounds["pytest"]:
                continue
            run = _suites.run_pytest(project, *args, cold=name in cold)
            loads.append(_suites.load_average())
            seconds[name].append(run["seconds"])
            outcomes[name] = run["outcome"]
    results.raw["pytest_runs"] = {"seconds": seconds, "outcomes": outcomes, "load_averages": loads}
    med = _medians(seconds)
    bad = {k: v for k, v in outcomes.items() if "failed" in v or "error" in v}
    note = "; ".join(f"{k}: {v}" for k, v in bad.items())
    if "sweep" in which:
        empty = med[f"empty{sizes.cuts}"]
        results.row(
            f"`each-event` sweep of {sizes.cuts} cuts, whole pytest run (s)",
            {_peers.OURS: med["sweep"], _peers.FLOOR: empty},
            (note or outcomes["sweep"]) + f"; floor: {sizes.cuts} empty tests",
        )
        results.row("same, `-n 2` (s)", {_peers.OURS: med["sweep -n 2"]}, outcomes["sweep -n 2"])
        results.row(
            "plugin cost per test of the sweep (ms)",
            {
                _peers.OURS: _per_test(med["sweep"], med["sweep on MockTransport"], sizes.cuts),
                _peers.FLOOR: _per_test(med["sweep on MockTransport"], empty, sizes.cuts),
            },
            "(sweep - the same client reading the same stream on MockTransport) / cuts; "
            "floor: that client's own cost per test, (its run - empty tests) / cuts",
        )
    if "suite" in which:
        empty = med[f"empty{sizes.tests}"]
        results.row(
            f"plugin cost per replayed test, {_suites.SMALL}-event stream (ms)",
            {
                _peers.OURS: _per_test(med["replayed"], med["replayed on MockTransport"], sizes.tests),
                _peers.FLOOR: _per_test(med["replayed on MockTransport"], empty, sizes.tests),
            },
            f"({sizes.tests} replayed tests - the same tests on MockTransport) / {sizes.tests}; "
            "floor: the client's own cost per test, (its run - empty tests) / tests",
        )
        results.row(
            "same, the first run: no parsed-cassette cache (ms)",
            {
                _peers.OURS: _per_test(
                    med["replayed, first run"], med["replayed on MockTransport"], sizes.tests
                )
            },
            "as on a fresh machine or CI runner: every cassette's YAML is read",
        )
        results.row(f"{sizes.tests} empty tests, whole pytest run (s)", {_peers.FLOOR: empty})
        load = loads[-1] if loads else _suites.load_average()
        machine = f"load average {load[0]}, {load[1]}, {load[2]} on {os.cpu_count()} cores"
        for name, figure in (
            ("replayed", f"xdist `-n 2` on {sizes.tests} cassette-backed tests (s)"),
            ("busy", f"same, each test also doing about {_suites.BUSY_MS:g} ms of its own work (s)"),
        ):
            serial, parallel = med[name], med[f"{name} -n 2"]
            mocked, mocked_parallel = med[f"{name} on MockTransport"], med[f"{name} on MockTransport -n 2"]
            results.row(
                figure,
                {
                    _peers.OURS: parallel,
                    "serial": serial,
                    "speed-up": _ratio(serial, parallel),
                    _peers.FLOOR: mocked_parallel,
                },
                f"{machine}; {outcomes[name]}; floor: the same tests on MockTransport, `-n 2` "
                f"against {mocked} s serial (speed-up {_ratio(mocked, mocked_parallel)})",
            )
    if "collect" in which:
        results.row(
            "`pytest --collect-only` on an empty file (s)",
            {_peers.OURS: med["collect"], _peers.FLOOR: med["collect without the plugin"]},
            "floor: -p no:interactions",
        )


def _ratio(serial: float | None, parallel: float | None) -> float | None:
    return round(serial / parallel, 2) if serial and parallel else None


def _per_test(total: float | None, empty: float | None, count: int) -> float | None:
    if total is None or empty is None:
        return None
    return round((total - empty) / count * 1e3, 3)


def _import(results: Results, rounds: dict[str, int]) -> None:
    """Milliseconds ``import pytest_interactions.plugin`` adds once pytest is imported (-X importtime)."""
    samples = []
    for _ in range(rounds["import"]):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import pytest; import pytest_interactions.plugin"],
            capture_output=True,
            text=True,
            check=True,
        )
        after = done.stderr.split("| pytest\n", 1)[-1]
        samples.append(
            sum(
                int(line.split("|")[0].split(":")[1])
                for line in after.splitlines()
                if line.startswith("import time:")
            )
            / 1e3
        )
    results.raw["import"] = samples
    results.row(
        "importing the plugin after pytest (ms)", {_peers.OURS: _median(samples)}, "-X importtime, self times"
    )


def _clock(results: Results, workdir: Path, rounds: dict[str, int]) -> None:
    for extra in (0, EXTRA_MODULES):
        data = _worker("clock", workdir, modules=extra, rounds=rounds["clock"])
        results.raw[f"clock_{extra}"] = data
        med = _medians(data["samples"])
        results.row(
            f"virtual clock enter + leave, {data['modules']} modules loaded (ms)",
            {_peers.OURS: med["VirtualClock"], _peers.FLOOR: med.get("time-machine")},
            "floor: time-machine travel(tick=False)"
            + (f"; freezegun freeze_time: {med['freezegun']:.3f}" if "freezegun" in med else ""),
        )


def _errors(data: dict[str, Any]) -> str:
    parts = [f"{k}: {v}" for k, v in data.get("errors", {}).items()]
    parts += [v for v in data.get("skipped", {}).values()]
    return "; ".join(parts)


COLUMNS = [_peers.OURS, _peers.VCRPY, _peers.CASSETTER, _peers.FLOOR]


def render(results: Results) -> str:
    def cell(value: Any) -> str:
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
        return str(value)

    lines = ["| figure | " + " | ".join(COLUMNS) + " | note |", "|---|" + "---|" * (len(COLUMNS) + 1)]
    for row in results.rows:
        values = [cell(row.get(c)) for c in COLUMNS]
        extra = {k: v for k, v in row.items() if k not in {"figure", "note", *COLUMNS}}
        note = " ".join(f"{k}: {cell(v)}" for k, v in extra.items())
        note = "; ".join(x for x in (note, row["note"]) if x)
        lines.append(f"| {row['figure']} | " + " | ".join(values) + f" | {note.replace('|', '/')[:400]} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, same sizes")
    parser.add_argument("--tiny", action="store_true", help="tiny sizes and one round: a smoke run")
    parser.add_argument("--json", type=Path, help="write the table and raw samples here")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help=f"comma-separated among {BENCHMARKS}")
    parser.add_argument("--without", default="", help="comma-separated peers to leave out (vcrpy, cassetter)")
    parser.add_argument("--workdir", type=Path, help="keep recordings and projects here (default: temporary)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(_run_worker(args.worker, args.workdir, json.loads(args.options))))
        return
    profile_name = "tiny" if args.tiny else "quick" if args.quick else "full"
    profile = PROFILES[profile_name]
    sizes: _fixtures.Sizes = profile["sizes"]
    rounds: dict[str, int] = profile["rounds"]
    which = set(args.only.split(","))
    unknown = which - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmarks {sorted(unknown)}; choose among {BENCHMARKS}")
    os.environ[_peers.WITHOUT_ENV] = args.without  # read by the workers
    started = now()
    load_before = [round(v, 2) for v in os.getloadavg()]
    results = Results()
    with tempfile.TemporaryDirectory(prefix="interactions-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        os.environ["INTERACTIONS_CACHE_DIR"] = str(workdir / "parsed-cache")  # not the user's cache
        manifest = _fixtures.Manifest(**_worker("record", workdir, sizes=asdict(sizes)))
        for tool, reason in manifest.skipped.items():
            print(f"note: {tool} not measured: {reason}", file=sys.stderr)
        if "poll" in which:
            _poll(results, workdir, rounds)
        if "stream" in which:
            _stream(results, workdir, rounds, manifest)
        if "memory" in which:
            _memory(results, workdir, rounds, manifest)
        if "cold" in which:
            _cold(results, workdir, rounds, manifest)
        if "files" in which:
            _files(results, workdir, rounds, manifest)
        if which & {"sweep", "suite", "collect"}:
            _pytest_runs(results, workdir, rounds, sizes, which)
        if "import" in which:
            _import(results, rounds)
        if "clock" in which:
            _clock(results, workdir, rounds)
    load_after = [round(v, 2) for v in os.getloadavg()]
    table = render(results)
    print(table)
    machine = (
        f"{platform.python_implementation()} {platform.python_version()} on {platform.machine()}, "
        f"{os.cpu_count()} cores; load average {load_before} before, {load_after} after; "
        f"{profile_name} profile, {now() - started:.0f} s"
    )
    print(machine)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "profile": profile_name,
                    "sizes": asdict(sizes),
                    "rounds": rounds,
                    "machine": machine,
                    "load_average": {"before": load_before, "after": load_after},
                    "skipped": manifest.skipped,
                    "rows": results.rows,
                    "raw": results.raw,
                    "table": table,
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
