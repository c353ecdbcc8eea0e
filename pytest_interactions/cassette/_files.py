"""Reading and writing cassette files: safe loads, atomic writes, one writer at a time."""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import filelock

from pytest_interactions._processes import alive
from pytest_interactions.cassette import _yaml
from pytest_interactions.cassette._cache import ParsedCache
from pytest_interactions.cassette._errors import CassetteError, CorruptCassetteError, SecretLeakError
from pytest_interactions.cassette._guard import forms
from pytest_interactions.cassette._model import Cassette
from pytest_interactions.cassette._secrets import SecretPolicy

MAX_CASSETTE_BYTES = 256 * 1024 * 1024

_CAUSES = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EFBIG: "the file is larger than the process may write (file size limit)",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOENT: "the folder does not exist",
    errno.ENOTDIR: "a parent of the path is a file, not a folder",
    errno.EEXIST: "a parent of the path is a file, not a folder",
    errno.EISDIR: "the path is a folder",
}


def load_cassette(path: Path | str) -> Cassette:
    """Read a cassette; a missing, unreadable or corrupt file raises with its path and line."""
    path = Path(path)
    return parse_cassette(path, read_cassette(path))


def read_cassette(path: Path) -> bytes:
    """The bytes of the cassette at ``path``; a missing, unreadable or oversized file raises."""
    try:
        size = path.stat().st_size
        if size > MAX_CASSETTE_BYTES:
            raise CorruptCassetteError(path, f"{size} bytes is more than a cassette may hold")
        return path.read_bytes()
    except FileNotFoundError:
        raise CassetteError(path, "no such cassette") from None
    except OSError as exc:
        raise CassetteError(path, f"cannot be read: {exc.strerror or exc}") from None


def parse_cassette(path: Path, raw: bytes, key: str | None = None) -> Cassette:
    """The cassette in ``raw`` (read from ``path``, its :func:`cassette_key` ``key`` if known),
    through the parsed-cassette cache."""
    key = key or cassette_key(raw)
    cached = cached_cassette(key)
    if cached is not None:
        return cached
    return parse_text(path, decode_cassette(path, raw), key)


def decode_cassette(path: Path, raw: bytes) -> str:
    """The text of a cassette file's bytes; bytes that are not UTF-8 name their line."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise CorruptCassetteError(path, "not UTF-8 text", line) from None


KEEP_LAYOUT_FROM = 256 * 1024
"""Characters from which a cassette in the writer's layout is kept in the parsed-cassette cache:
below, reading the layout costs about what reading the entry back does."""


def parse_text(path: Path, text: str, key: str, *, later: bool = False) -> Cassette:
    """The cassette in ``text`` (read from ``path``, whose bytes :func:`cassette_key` names ``key``),
    kept in the parsed-cassette cache: at once, or when ``later``, as this process ends (for a
    caller that keeps the cassette in memory meanwhile)."""
    cassette, slow = _yaml.read(text, path)
    if _holds_guarded_value(text):  # the guard would refuse to write it: keep no copy of it
        return cassette
    cache = _parsed_cache()
    if slow:
        cache.put(b"", cassette, key)
    elif len(text) >= KEEP_LAYOUT_FROM:  # read from JSON text, strings and numbers: exact in JSON
        if later:
            cache.put_later(key, cassette)
        else:
            cache.put(b"", cassette, key, exact=True)
    return cassette


def keep_now(key: str) -> None:
    """Write the cache entry :func:`parse_text` was to keep later for ``key``, if any, now."""
    _parsed_cache().flush(key)


def _holds_guarded_value(text: str) -> bool:
    """A guarded value (``$GEMINI_API_KEY``, ...) appears in ``text`` as written or escaped."""
    return any(
        spelling in text for value in SecretPolicy().secret_values().values() for spelling in forms(value)
    )


def cassette_key(raw: bytes) -> str:
    """A name for the content of a cassette file: any change to its bytes changes it."""
    return _parsed_cache().key(raw)


def is_cached(key: str) -> bool:
    """Whether the parsed-cassette cache holds an entry for the bytes named ``key``."""
    return _parsed_cache().has(key)


def cached_cassette(key: str) -> Cassette | None:
    """The cassette parsed earlier from the bytes named ``key``, if the parsed-cassette cache has it."""
    return _parsed_cache().get_key(key)


def cached_derived(key: str, name: str) -> Any:
    """What replay kept as ``name`` for the cassette bytes named ``key`` (``None`` if nothing)."""
    return _parsed_cache().get_derived(key, name)


def cache_derived(key: str, name: str, value: Any) -> None:
    """Keep plain JSON ``value`` as ``name`` for the cassette bytes named ``key``, for later runs."""
    _parsed_cache().put_derived(key, name, value)


@functools.cache
def _parsed_cache() -> ParsedCache:
    """The cache of parsed cassettes (its directory read from the environment on first use)."""
    return ParsedCache()


def save_cassette(
    path: Path | str,
    cassette: Cassette,
    policy: SecretPolicy | None = None,
    secrets_seen: dict[str, str] | None = None,
) -> None:
    """Scrub, check and write atomically: on any failure the previous file stays as it was.

    ``secrets_seen`` are guarded values captured earlier, checked with the current ones.
    A symlinked cassette is written through to its target; an existing file keeps its mode.
    """
    path = Path(path)
    policy = policy or SecretPolicy()
    scrubbed = policy.scrub(cassette)
    try:
        text, layout = _yaml.write(cassette)
    except Exception as exc:
        raise CassetteError(path, f"could not be serialised, nothing was written: {exc}") from exc
    try:
        policy.check(text, str(path), {**(secrets_seen or {}), **scrubbed}, layout)
    except SecretLeakError as error:
        # Raised afresh from a frame holding no secret: a traceback with locals (``-l``) shows none.
        del text, cassette, scrubbed, secrets_seen
        raise error.with_traceback(None) from None
    cache = _parsed_cache()
    try:  # the old content's cache entry goes with it (read only where a cache exists)
        previous = path.read_bytes() if cache.directory.is_dir() and path.is_file() else None
    except OSError:
        previous = None
    data = text.encode("utf-8")
    try:
        _write_atomically(path, data)
    except OSError as exc:
        cause = _cause(exc)
        raise CassetteError(path, f"could not be written: {cause}; the previous file is unchanged") from None
    if previous is not None and previous != data:
        cache.forget(previous)


def _cause(exc: OSError) -> str:
    known = _CAUSES.get(exc.errno or 0)
    detail = exc.strerror or str(exc)
    where = f" ({exc.filename})" if exc.filename else ""
    return f"{known} [{detail}{where}]" if known else f"{detail}{where}"


def _write_atomically(path: Path, data: bytes) -> None:
    target = Path(os.path.realpath(path))
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale_temp_files(target)
    temp = folder / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        mode = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        mode = None
    # 0o666 lets the umask decide the mode of a new cassette, as for any file the user creates.
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        try:
            if mode is not None and hasattr(os, "fchmod"):
                os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _sync_folder(folder)


def _sync_folder(folder: Path) -> None:
    """Make the rename durable; some file systems cannot open a folder, which is fine."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _remove_stale_temp_files(target: Path) -> None:
    """Delete temporary files that writers killed during a save left behind."""
    prefix = f".{target.name}."
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent):
            if not (entry.name.startswith(prefix) and entry.name.endswith(".tmp")):
                continue
            pid_text = entry.name[len(prefix) :].split(".", 1)[0]
            if pid_text.isdigit() and not alive(int(pid_text)):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


@contextlib.contextmanager
def cassette_lock(path: Path | str, timeout: float = 30.0) -> Iterator[None]:
    """Hold an exclusive lock on a cassette (across processes, e.g. pytest-xdist workers).

    An OS lock (``flock``): released when its holder dies, so a killed save never blocks the next
    one. Its file lives in the temporary folder, keyed by the cassette's real path, so that nothing
    but cassettes appears beside them.
    """
    lock_path = lock_file_for(path)
    try:
        lock_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise CassetteError(path, f"cannot be locked: {_cause(exc)}") from None
    lock = filelock.FileLock(lock_path, timeout=timeout, thread_local=False)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise CassetteError(path, f"locked by another writer for over {timeout:g} s") from None
    except OSError as exc:
        raise CassetteError(path, f"cannot be locked: {_cause(exc)}") from None
    try:
        yield
    finally:
        lock.release()


def lock_file_for(path: Path | str) -> Path:
    """The file whose OS lock stands for the cassette at ``path`` (the same for every process)."""
    real = os.path.realpath(path)
    digest = hashlib.sha256(os.fsencode(real)).hexdigest()[:32]
    folder = Path(tempfile.gettempdir()) / f"pytest-interactions-locks-{_user_id()}"
    return folder / f"{Path(real).name[:64]}.{digest}.lock"


def _user_id() -> str:
    getuid = getattr(os, "getuid", None)
    return str(getuid()) if getuid is not None else "user"
