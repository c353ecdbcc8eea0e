"""Cassettes replayed in this process, parsed and indexed once while their files are unchanged.

Tests that share a recording (an ``each-event`` sweep, a suite replaying one cassette) would
otherwise read and compile it again for every test. Entries are keyed by a hash of the file's
bytes, so that any change to the file loads it again; replaying sessions only read what they are
given. The most recently used cassettes are kept, up to :data:`MEMO_BYTES` of files.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from pytest_interactions.cassette import (
    cached_cassette,
    cassette_key,
    decode_cassette,
    is_cached,
    keep_now,
    parse_text,
    read_cassette,
)
from pytest_interactions.replay import CassetteIndex

MEMO_BYTES = 16 * 1024 * 1024
"""Cassette bytes kept parsed between sessions (the most recent one is kept whatever its size)."""

_memo: OrderedDict[str, CassetteIndex] = OrderedDict()
_memo_bytes = [0]  # the sizes of the files in _memo, summed
_memo_lock = threading.Lock()


def load_for_replay(path: Path) -> CassetteIndex:
    """The cassette at ``path``, indexed, shared with earlier sessions that replayed the same bytes."""
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
        text = decode_cassette(path, raw)
        del raw  # the file's bytes go before the cassette is built from its text
        cassette = parse_text(path, text, key, later=True)  # the entry is written when the process ends
        del text
    index = CassetteIndex(cassette, key, size)
    with _memo_lock:
        if key not in _memo:
            _memo[key] = index
            _memo_bytes[0] += size
        while len(_memo) > 1 and _memo_bytes[0] > MEMO_BYTES:
            dropped_key, dropped = _memo.popitem(last=False)
            _memo_bytes[0] -= dropped.size
            keep_now(dropped_key)  # no longer in memory: its cache entry is due now
        return _memo[key]


def forget_loaded() -> None:
    """Drop every cassette kept in this process."""
    with _memo_lock:
        _memo.clear()
        _memo_bytes[0] = 0
