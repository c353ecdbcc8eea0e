"""A parsed-cassette cache: an unchanged cassette is read back from JSON instead of parsed as YAML.

Building Python objects from YAML is most of a long cassette's load time; the same objects read
back from JSON take a fraction of it. Entries are keyed by a hash of the file's bytes (and of this
format), so any change to the cassette misses; they are plain JSON (never pickle), written
atomically, and live in a directory users may delete at any time. Anything unexpected (an entry
that does not decode, a cassette that does not survive the round trip, a directory that cannot be
written) falls back to parsing: the cache only ever saves time.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import hashlib
import json
import os
import stat
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytest_interactions._gc import paused
from pytest_interactions._version import __version__
from pytest_interactions.cassette._model import (
    SCHEMA_VERSION,
    Body,
    Cassette,
    Disconnect,
    Exchange,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
)

CACHE_ENV = "INTERACTIONS_CACHE_DIR"
"""Where entries are kept; unset: ``$XDG_CACHE_HOME/pytest-interactions`` (``~/.cache/...``)."""
FORMAT = 2
"""Bumped whenever the encoding below changes, so that older entries simply miss."""
MAX_AGE_DAYS = 30
"""Entries not read for this long are removed (once a process, at its first write)."""
MAX_ENTRY_BYTES = 512 * 1024 * 1024
"""Larger entries are not read (a cassette may hold 256 MiB; its entry is about as large)."""


def _reader_version() -> str:
    """This release and the sources of the cassette reader: a fixed check misses older entries."""
    digest = hashlib.sha256(__version__.encode())
    here = Path(__file__).parent
    for name in (
        "_yaml.py",
        "_yaml_events.py",
        "_yaml_model.py",
        "_fast_read.py",
        "_scalars.py",
        "_cache.py",
        "_model.py",
    ):
        with contextlib.suppress(OSError):
            digest.update((here / name).read_bytes())
    return digest.hexdigest()[:16]


_READER = _reader_version()


def default_cache_dir() -> Path:
    """``$INTERACTIONS_CACHE_DIR``, else the user's cache directory."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pytest-interactions"


class ParsedCache:
    """Parsed cassettes kept as JSON, one file per distinct cassette content."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory if directory is not None else default_cache_dir()
        self._evicted = False
        self._later: dict[str, Cassette] = {}
        self._lock = threading.Lock()

    def key(self, data: bytes) -> str:
        """The entry name of a cassette whose file holds ``data``."""
        digest = hashlib.sha256(f"pytest-interactions {FORMAT} {SCHEMA_VERSION} {_READER}\n".encode())
        digest.update(data)
        return digest.hexdigest()

    def entry(self, data: bytes) -> Path:
        return self.directory / f"{self.key(data)}.json"

    def get(self, data: bytes) -> Cassette | None:
        """The cassette parsed earlier from exactly ``data``, or ``None``."""
        return self.get_key(self.key(data))

    def has(self, key: str) -> bool:
        """Whether an entry is kept for the bytes whose :meth:`key` is ``key`` (it may be damaged)."""
        return (self.directory / f"{key}.json").is_file()

    def get_key(self, key: str) -> Cassette | None:
        """The cassette parsed earlier from the bytes whose :meth:`key` is ``key``, or ``None``."""
        value = self._read(f"{key}.json", lambda text: _decode(json.loads(text), key))
        return value if isinstance(value, Cassette) else None

    def put(self, data: bytes, cassette: Cassette, key: str | None = None, *, exact: bool = False) -> bool:
        """Keep ``cassette`` as parsed from ``data`` (whose :meth:`key` may be given instead);
        ``False`` when it cannot be kept exactly. ``exact``: every value came from JSON text or
        is a string or number, so the entry is not read back to be compared."""
        key = key or self.key(data)
        try:
            text = json.dumps(
                _encode(cassette, key), ensure_ascii=False, allow_nan=False, separators=(",", ":")
            )
            if not exact and _decode(json.loads(text), key) != cassette:
                return False  # a value JSON cannot hold as it is (a date, a non-string key)
        except (ValueError, TypeError):
            return False
        return self._write(f"{key}.json", text)

    def put_later(self, key: str, cassette: Cassette) -> None:
        """Keep ``cassette`` (as :meth:`put` with ``exact``) when this process ends, or at
        :meth:`flush`: off the path of the replay that parsed it, which keeps it in memory."""
        with self._lock:
            if not self._later:
                atexit.register(self.flush)
            self._later[key] = cassette

    def flush(self, key: str | None = None) -> None:
        """Write what :meth:`put_later` was given (only the entry named ``key``, if given)."""
        with self._lock:
            if key is None:
                later, self._later = self._later, {}
            else:
                later = {key: self._later.pop(key)} if key in self._later else {}
        for name, cassette in later.items():
            with contextlib.suppress(Exception):  # the cache only ever saves time
                self.put(b"", cassette, name, exact=True)

    def forget(self, data: bytes) -> None:
        """Remove the entry kept for ``data`` and what was kept beside it: a cassette rewritten
        (scrubbed, re-recorded) leaves no copy of what it no longer holds."""
        key = self.key(data)
        with contextlib.suppress(OSError):
            for entry in self.directory.glob(f"{key}.*json"):
                with contextlib.suppress(OSError):
                    entry.unlink()

    def get_derived(self, key: str, name: str) -> Any:
        """What was kept as ``name`` beside the entry for the bytes named ``key``; ``None`` if nothing
        (or something damaged) was."""
        return self._read(f"{key}.{name}.json", json.loads)

    def _read(self, name: str, decode: Callable[[str], Any]) -> Any:
        """The entry ``name`` decoded; ``None`` when there is none, or it is damaged (then removed,
        to be written anew)."""
        entry = self.directory / name
        try:
            data = _read_regular_file(entry)
        except FileNotFoundError:
            return None
        except OSError:  # a FIFO, a symlink, a device, an oversized file: not an entry of ours
            data = None
        try:
            if data is None:
                raise ValueError("not a regular file")
            with paused():
                value = decode(data.decode("utf-8"))
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError):
            with contextlib.suppress(OSError):
                entry.unlink()
            return None
        with contextlib.suppress(OSError):
            os.utime(entry)  # read: kept by the age bound
        return value

    def put_derived(self, key: str, name: str, value: Any) -> bool:
        """Keep ``value`` (plain JSON data) as ``name`` beside the entry for the bytes named ``key``."""
        try:
            text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        except (ValueError, TypeError):
            return False
        return self._write(f"{key}.{name}.json", text)

    def evict_old(self, max_age_days: float = MAX_AGE_DAYS) -> int:
        """Remove entries not read for ``max_age_days`` (their cassettes changed, or are gone);
        how many were removed."""
        cutoff = time.time() - max_age_days * 86400
        removed = 0
        with contextlib.suppress(OSError):
            for entry in self.directory.glob("*.json"):
                with contextlib.suppress(OSError):
                    if entry.lstat().st_mtime < cutoff:
                        entry.unlink()
                        removed += 1
        return removed

    def _write(self, name: str, text: str) -> bool:
        """Write an entry atomically; ``False`` when the directory cannot be written."""
        if not self._evicted:
            self._evicted = True
            self.evict_old()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".entry-", suffix=".tmp")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as file:
                    file.write(text)
                os.replace(temporary, self.directory / name)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        except OSError:
            return False
        return True

    def load(self, path: Path, data: bytes, parse: Callable[[str, Path], Cassette]) -> Cassette:
        """The cassette in ``data`` (read from ``path``): from the cache, else parsed and kept."""
        cached = self.get(data)
        if cached is not None:
            return cached
        cassette = parse(data.decode("utf-8"), path)
        self.put(data, cassette)
        return cassette


def _read_regular_file(path: Path) -> bytes:
    """The bytes of ``path`` if it is a regular file, not a link, of a sane size; else ``OSError``
    (a FIFO is opened without blocking and refused, never read)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_ENTRY_BYTES:
            raise OSError(f"{path} is not a cache entry")
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def _unb64(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text.encode("ascii"), validate=True)


def _pairs(headers: list[tuple[str, str]]) -> list[list[str]]:
    return [[name, value] for name, value in headers]


def _unpairs(items: list[list[str]]) -> list[tuple[str, str]]:
    return [(str(name), str(value)) for name, value in items]


def _body(body: Body | None) -> list[Any] | None:
    return None if body is None else [body.kind, body.value, body.style]


def _unbody(item: list[Any] | None) -> Body | None:
    return None if item is None else Body(str(item[0]), item[1], str(item[2]))


def _disconnect(item: Disconnect | None) -> list[Any] | None:
    return None if item is None else ["d", item.at, item.error, item.message, _b64(item.partial)]


def _undisconnect(item: list[Any] | None) -> Disconnect | None:
    if item is None:
        return None
    return Disconnect(float(item[1]), str(item[2]), str(item[3]), _unb64(item[4]) or b"")


def _events(items: list[StreamEvent | Disconnect]) -> dict[str, Any]:
    """A stream's items as columns (one list per field, ``None`` when a field is never set):
    far fewer objects to build back than one list per event."""
    events = [item for item in items if isinstance(item, StreamEvent)]

    def column(values: list[Any], unset: Any = None) -> list[Any] | None:
        return values if any(value != unset for value in values) else None

    return {
        "kinds": "".join("d" if isinstance(item, Disconnect) else "e" for item in items),
        "at": [event.at for event in events],
        "event": column([event.event for event in events]),
        "data": column([event.data for event in events]),
        "id": column([event.id for event in events]),
        "retry": column([event.retry for event in events]),
        "comments": column([list(event.comments) for event in events], []),
        "raw": column([_b64(event.raw) for event in events]),
        "disconnects": [_disconnect(item) for item in items if isinstance(item, Disconnect)],
    }


def _unevents(columns: dict[str, Any]) -> list[StreamEvent | Disconnect]:
    count, kinds = len(columns["at"]), str(columns["kinds"])
    if kinds.count("e") != count or kinds.count("d") != len(columns["disconnects"]):
        raise ValueError("the cached stream's kinds do not match its columns")

    def column(name: str, unset: Any = None) -> list[Any]:
        values = columns[name]
        if values is None:
            return [unset] * count
        if len(values) != count:
            raise ValueError(f"the cached column {name!r} has {len(values)} values, not {count}")
        return list(values)

    comments = (
        [tuple(value) for value in column("comments")] if columns["comments"] is not None else [()] * count
    )
    raws = [_unb64(value) for value in column("raw")] if columns["raw"] is not None else [None] * count
    events = iter(
        map(
            StreamEvent,
            [float(at) for at in columns["at"]],
            column("event"),
            column("data"),
            column("id"),
            column("retry"),
            comments,
            raws,
        )
    )
    if not columns["disconnects"] and len(kinds) == count:
        return list(events)  # kinds holds only events
    disconnects = iter(columns["disconnects"])
    items: list[StreamEvent | Disconnect] = []
    for kind in kinds:
        if kind == "e":
            items.append(next(events))
        elif kind == "d":
            disconnect = _undisconnect(next(disconnects))
            assert disconnect is not None
            items.append(disconnect)
        else:
            raise ValueError(f"unknown event kind {kind!r}")
    return items


def _encode(cassette: Cassette, key: str) -> dict[str, Any]:
    exchanges = []
    for exchange in cassette.exchanges:
        request = exchange.request
        response = exchange.response
        exchanges.append(
            [
                exchange.at,
                [request.method, request.url, _pairs(request.headers), _body(request.body)],
                None
                if response is None
                else [
                    response.status,
                    _pairs(response.headers),
                    response.after,
                    _body(response.body),
                    None if response.events is None else _events(response.events),
                    _disconnect(response.disconnect),
                    response.closed_early,
                ],
                _disconnect(exchange.error),
                exchange.line,
            ]
        )
    return {
        "format": FORMAT,
        "key": key,
        "version": cassette.version,
        "meta": cassette.meta,
        "exchanges": exchanges,
    }


def _decode(document: dict[str, Any], key: str) -> Cassette:
    if document["format"] != FORMAT:
        raise ValueError(f"cache format {document['format']!r}, not {FORMAT}")
    if document["key"] != key:  # an entry copied or renamed from another: not this file's
        raise ValueError("the entry belongs to other content")
    exchanges = []
    for at, request, response, error, line in document["exchanges"]:
        recorded = None
        if response is not None:
            status, headers, after, body, events, disconnect, closed_early = response
            recorded = RecordedResponse(
                status=int(status),
                headers=_unpairs(headers),
                after=float(after),
                body=_unbody(body),
                events=None if events is None else _unevents(events),
                disconnect=_undisconnect(disconnect),
                closed_early=bool(closed_early),
            )
        method, url, request_headers, request_body = request
        exchanges.append(
            Exchange(
                float(at),
                RecordedRequest(str(method), str(url), _unpairs(request_headers), _unbody(request_body)),
                recorded,
                _undisconnect(error),
                line,
            )
        )
    meta = document["meta"]
    if not isinstance(meta, dict):
        raise TypeError("the cached meta is not a mapping")
    return Cassette(exchanges=exchanges, meta=meta, version=int(document["version"]))
