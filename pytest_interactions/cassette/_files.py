"""Reading and writing cassette files: safe loads, atomic writes, one writer at a time."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from pytest_interactions.cassette import _yaml
from pytest_interactions.cassette._errors import CassetteError, CorruptCassetteError
from pytest_interactions.cassette._model import Cassette
from pytest_interactions.cassette._secrets import SecretPolicy

MAX_CASSETTE_BYTES = 256 * 1024 * 1024


def load_cassette(path: Path | str) -> Cassette:
    """Read a cassette; a missing, unreadable or corrupt file raises with its path and line."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_CASSETTE_BYTES:
            raise CorruptCassetteError(path, f"{size} bytes is more than a cassette may hold")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CassetteError(path, "no such cassette") from None
    except OSError as exc:
        raise CassetteError(path, f"cannot be read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise CorruptCassetteError(path, "not UTF-8 text", line) from None
    return _yaml.load(text, path)


def save_cassette(
    path: Path | str,
    cassette: Cassette,
    policy: SecretPolicy | None = None,
    secrets_seen: dict[str, str] | None = None,
) -> None:
    """Scrub, check and write atomically: on any failure the previous file stays as it was.

    ``secrets_seen`` are guarded values captured earlier, checked with the current ones.
    """
    path = Path(path)
    policy = policy or SecretPolicy()
    policy.scrub(cassette)
    try:
        text = _yaml.dump(cassette)
    except Exception as exc:
        raise CassetteError(path, f"could not be serialised, nothing was written: {exc}") from exc
    policy.check(text, str(path), secrets_seen)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


@contextlib.contextmanager
def cassette_lock(path: Path | str, timeout: float = 30.0) -> Iterator[None]:
    """Hold an exclusive lock on a cassette (across processes, e.g. pytest-xdist workers)."""
    lock = Path(f"{path}.lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            break
        except FileExistsError:
            if time.monotonic() > deadline:
                raise CassetteError(
                    path, f"locked by another writer for over {timeout:g} s (remove {lock} if stale)"
                ) from None
            time.sleep(0.01)
    try:
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock)
