"""Cassettes replayed in this process, parsed and compiled once while their files are unchanged.

Tests that share a recording (an ``each-event`` sweep, a suite replaying one cassette) would
otherwise read and compile it again for every test. Entries are keyed by a hash of the file's
bytes, so that any change to the file loads it again; replaying sessions only read what they are
given. The most recently used cassettes are kept, up to :data:`MEMO_BYTES` of files.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_interactions.cassette import Cassette
from pytest_interactions.cassette._files import (
    cache_derived,
    cached_cassette,
    cached_derived,
    cassette_key,
    is_cached,
    parse_cassette,
    read_cassette,
)

if TYPE_CHECKING:
    from pytest_interactions.replay import History

MEMO_BYTES = 16 * 1024 * 1024
"""Cassette bytes kept parsed between sessions (the most recent one is kept whatever its size)."""


class Loaded:
    """A cassette as replay uses it: parsed, and compiled into histories on first use."""

    def __init__(self, cassette: Cassette, size: int, key: str) -> None:
        self.cassette = cassette
        self.size = size
        self.key = key
        """The :func:`cassette_key` of the file's bytes, under which compiled facts are kept."""
        self._histories: dict[str, History] | None = None
        self._lock = threading.Lock()

    def histories(self) -> dict[str, History]:
        with self._lock:
            if self._histories is None:
                self._histories = _compile(self.cassette, self.key)
            return self._histories


def _compile(cassette: Cassette, key: str) -> dict[str, History]:
    """The cassette's histories, reading its events' facts from the cache when a run kept them."""
    from pytest_interactions.replay import compile_histories
    from pytest_interactions.replay._facts import CassetteFacts, facts_name

    if _stream_events(cassette) < FACTS_FROM or (name := facts_name()) is None:
        return compile_histories(cassette)
    facts = CassetteFacts.from_json(cached_derived(key, name)) or CassetteFacts()
    histories = compile_histories(cassette, facts)
    if facts.learned:
        cache_derived(key, name, facts.to_json())
    return histories


FACTS_FROM = 200
"""Stream events a cassette holds from which its compiled facts are kept between runs: below, a
compile costs less than reading the facts back."""


def _stream_events(cassette: Cassette) -> int:
    return sum(len(e.response.events or ()) for e in cassette.exchanges if e.response is not None)


_memo: OrderedDict[str, Loaded] = OrderedDict()
_memo_bytes = [0]  # the sizes of the files in _memo, summed
_memo_lock = threading.Lock()


def load_for_replay(path: Path) -> Loaded:
    """The cassette at ``path``, shared with earlier sessions that replayed the same bytes."""
    raw = read_cassette(path)
    key, size = cassette_key(raw), len(raw)
    with _memo_lock:
        found = _memo.get(key)
        if found is not None:
            _memo.move_to_end(key)
            return found
    cassette = None
    if is_cached(key):
        raw = b""  # let go of the file's bytes while its parsed copy is read back
        cassette = cached_cassette(key)
    if cassette is None:
        if not raw:  # the entry was damaged: read the file again (it may have changed since)
            raw = read_cassette(path)
            key, size = cassette_key(raw), len(raw)
        cassette = parse_cassette(path, raw, key)
    loaded = Loaded(cassette, size, key)
    with _memo_lock:
        if key not in _memo:
            _memo[key] = loaded
            _memo_bytes[0] += size
        while len(_memo) > 1 and _memo_bytes[0] > MEMO_BYTES:
            _, dropped = _memo.popitem(last=False)
            _memo_bytes[0] -= dropped.size
        return _memo[key]


def forget_loaded() -> None:
    """Drop every cassette kept in this process."""
    with _memo_lock:
        _memo.clear()
        _memo_bytes[0] = 0
