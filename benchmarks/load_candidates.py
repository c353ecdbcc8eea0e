"""Ways to load a cassette faster, measured side by side on the same files (paired rounds, medians).

    python benchmarks/load_candidates.py CASSETTE.yaml [...] [--rounds 5]

Candidates: the reader of the writer's own layout (version 3 files; it declines others), the
general reader (libyaml's events, the path of older versions and edited files), PyYAML's C loader
and its pure-Python loader, each with the garbage collector on and paused; YAML parsers from PyPI
written in Rust (``ryaml``, ``yaml-rs``) when installed, checked for giving the same document; and
the parsed-cassette cache (JSON, or msgpack when installed) read back with the collector paused.
Times are in ms.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timer import now

from pytest_interactions.cassette import _fast_read, _yaml, load_cassette
from pytest_interactions.cassette._cache import ParsedCache, _decode, _encode


def _paused(function: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        gc.disable()
        try:
            return function()
        finally:
            gc.enable()

    return run


def candidates(path: Path, cache: ParsedCache) -> dict[str, Callable[[], Any]]:
    text = path.read_text(encoding="utf-8")
    data = path.read_bytes()
    found: dict[str, Callable[[], Any]] = {
        "load_cassette, cache bypassed": lambda: _yaml.load(text, path),
        "layout reader" + ("" if _fast_read.read(text, path) else " (declines this file)"): lambda: (
            _fast_read.read(text, path)
        ),
        "general reader (libyaml events)": lambda: _yaml._read_general(text, path),
        "load_cassette, gc paused": _paused(lambda: load_cassette(path)),
        "yaml CSafeLoader document only": lambda: yaml.load(text, Loader=yaml.CSafeLoader),
        "yaml CSafeLoader document, gc paused": _paused(lambda: yaml.load(text, Loader=yaml.CSafeLoader)),
        "yaml pure SafeLoader document only": lambda: yaml.load(text, Loader=yaml.SafeLoader),
    }
    reference = yaml.load(text, Loader=yaml.CSafeLoader)
    if importlib.util.find_spec("ryaml"):
        import ryaml

        found["ryaml document" + _same(ryaml.loads(text), reference)] = lambda: ryaml.loads(text)
    if importlib.util.find_spec("yaml_rs"):
        import yaml_rs

        found["yaml-rs document" + _same(yaml_rs.loads(text), reference)] = lambda: yaml_rs.loads(text)
    cache.put(data, load_cassette(path))
    found["parsed cache, JSON (hash + read + decode)"] = lambda: cache.get(data)
    key = cache.key(data)
    encoded = _encode(load_cassette(path), key)
    as_json = json.dumps(encoded, separators=(",", ":"))
    found["parsed cache, JSON decode only"] = _paused(lambda: _decode(json.loads(as_json), key))
    if importlib.util.find_spec("msgpack"):
        import msgpack

        packed = msgpack.packb(encoded, use_bin_type=True)
        found["parsed cache, msgpack decode only"] = _paused(
            lambda: _decode(msgpack.unpackb(packed, raw=False, strict_map_key=True), key)
        )
    return found


def _same(document: Any, reference: Any) -> str:
    return "" if document == reference else " (DIFFERS from PyYAML)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cassettes", nargs="+", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    report: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        cache = ParsedCache(Path(tmp))
        for path in args.cassettes:
            runners = candidates(path, cache)
            samples: dict[str, list[float]] = {name: [] for name in runners}
            for _ in range(args.rounds):
                for name, run in runners.items():
                    started = now()
                    run()
                    samples[name].append((now() - started) * 1e3)
            report[path.name] = {name: round(statistics.median(v), 2) for name, v in samples.items()}
            print(f"{path.name} ({path.stat().st_size:,} bytes)")
            for name, value in report[path.name].items():
                print(f"  {name:<48}{value:>10.1f} ms")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
