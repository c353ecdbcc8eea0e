"""Cassette files survive kills, full disks, odd paths and truncation: nothing lost, nothing blocking."""

from __future__ import annotations

import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pytest_interactions.cassette import (
    Body,
    Cassette,
    CassetteError,
    CorruptCassetteError,
    Exchange,
    RecordedRequest,
    RecordedResponse,
    StreamEvent,
    cassette_lock,
    load_cassette,
    save_cassette,
)


def a_session(exchanges: int = 3, events: int = 4, note: str = "first") -> Cassette:
    """A cassette with JSON bodies and streams, like a recorded session."""
    items = []
    for n in range(exchanges):
        url = f"http://127.0.0.1:9/v1beta/interactions?n={n}"
        request = RecordedRequest("POST", url, [("accept", "*/*")], Body("json", {"n": n}))
        stream = [
            StreamEvent(at=0.01 * i, event="step.delta", data=f'{{"note":"{note}","i":{i}}}', id=f"evt_{i}")
            for i in range(events)
        ]
        response = RecordedResponse(200, [("content-type", "text/event-stream")], 0.001, events=list(stream))
        items.append(Exchange(0.1 * n, request, response))
    return Cassette(items, {"note": note})


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# -- truncation -------------------------------------------------------------------------------------


def test_a_cassette_cut_anywhere_fails_to_load(tmp_path: Path) -> None:
    path = tmp_path / "whole.yaml"
    save_cassette(path, a_session())
    whole = path.read_bytes()
    assert whole.endswith(b"\nend: 3\n")
    cut = tmp_path / "cut.yaml"
    loaded_anyway = []
    for size in range(len(whole.rstrip())):
        cut.write_bytes(whole[:size])
        try:
            load_cassette(cut)
        except CorruptCassetteError:
            continue
        loaded_anyway.append(size)
    assert loaded_anyway == []
    # The file without its final newline is whole.
    cut.write_bytes(whole.rstrip())
    assert len(load_cassette(cut).exchanges) == 3


def test_a_cut_file_names_the_missing_closing_line(tmp_path: Path) -> None:
    path = tmp_path / "cut.yaml"
    save_cassette(path, a_session())
    text = path.read_text()
    path.write_text(text[: text.index("- at: 0.2")])
    with pytest.raises(CorruptCassetteError, match=r"cut\.yaml:\d+: the file is cut short: it lacks"):
        load_cassette(path)


def test_a_closing_line_that_disagrees_with_the_exchanges_fails(tmp_path: Path) -> None:
    path = tmp_path / "edited.yaml"
    save_cassette(path, a_session())
    path.write_text(path.read_text().replace("end: 3", "end: 2"))
    with pytest.raises(CorruptCassetteError, match=r"'end: 2' but it holds 3 exchanges"):
        load_cassette(path)


def test_a_version_1_cassette_without_closing_line_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "old.yaml"
    path.write_text(
        "version: 1\nexchanges:\n"
        "- at: 0\n  request: {method: GET, url: 'http://x/'}\n  response: {status: 204}\n"
    )
    (exchange,) = load_cassette(path).exchanges
    assert exchange.response is not None
    assert exchange.response.status == 204
    # Saving it again writes the current version, with its closing line.
    save_cassette(path, load_cassette(path))
    assert path.read_text().startswith("version: 3\n")
    assert path.read_text().endswith("end: 1\n")


# -- kills during save ------------------------------------------------------------------------------

SAVERS = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    sys.path[:0] = [sys.argv[2]]
    from test_files import a_session
    from pytest_interactions.cassette import cassette_lock, dump
    from pytest_interactions.cassette._files import _write_atomically

    path = Path(sys.argv[1])
    # Serialised once, so that each saver spends its time in the lock, the write and the rename.
    big = dump(a_session(exchanges=8, events=200, note="x" * 40)).encode()
    for command in sys.stdin:
        if command == "save\\n":
            pid = os.fork()
            if pid == 0:
                while True:
                    with cassette_lock(path):
                        _write_atomically(path, big)
            print(pid, flush=True)
        else:
            os.waitpid(int(command), 0)
            print("reaped", flush=True)
    """
)


def kill_savers(path: Path, kills: int, seed: int = 0) -> int:
    """SIGKILL a process saving ``path`` in a loop ``kills`` times; return how many kills left a temp file.

    After each kill the next save must take the lock at once, the cassette must load, and stale
    temporary files must be gone after that save. Each saver is forked from one process that has
    imported the plugin already, so a kill costs milliseconds rather than an interpreter start.
    """
    chance = random.Random(seed)
    caught_mid_save = 0
    savers = subprocess.Popen(
        [sys.executable, "-c", SAVERS, str(path), str(Path(__file__).parent)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert savers.stdin is not None
    assert savers.stdout is not None
    try:
        for _ in range(kills):
            savers.stdin.write("save\n")
            savers.stdin.flush()
            pid = int(savers.stdout.readline())
            time.sleep(chance.uniform(0.0, 0.15))
            os.kill(pid, signal.SIGKILL)
            savers.stdin.write(f"{pid}\n")
            savers.stdin.flush()
            assert savers.stdout.readline() == "reaped\n"
            caught_mid_save += bool(leftovers(path.parent))
            if path.exists():
                load_cassette(path)  # whole: the old or the new file, never a part
            with cassette_lock(path, timeout=5):
                save_cassette(path, a_session())
            assert leftovers(path.parent) == []
    finally:
        savers.stdin.close()
        savers.wait(timeout=10)
        savers.stdout.close()
    return caught_mid_save


def test_a_saver_killed_mid_save_blocks_nothing_and_leaves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "cassettes" / "killed.yaml"
    path.parent.mkdir()
    caught_mid_save = kill_savers(path, kills=20)
    assert caught_mid_save > 0, "no kill landed during a save: the test proved nothing"
    assert sorted(p.name for p in path.parent.iterdir()) == ["killed.yaml"]
    assert len(load_cassette(path).exchanges) == 3


def test_the_lock_is_released_when_its_holder_dies(tmp_path: Path) -> None:
    path = tmp_path / "held.yaml"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from pytest_interactions.cassette import cassette_lock\n"
            "with cassette_lock(sys.argv[1]):\n"
            "    print('held', flush=True)\n"
            "    time.sleep(60)\n",
            str(path),
        ],
        stdout=subprocess.PIPE,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline() == b"held\n"
    locked = r"held\.yaml: locked by another writer for over 0\.2 s"
    with pytest.raises(CassetteError, match=locked), cassette_lock(path, timeout=0.2):
        pass
    holder.kill()
    holder.wait()
    holder.stdout.close()
    with cassette_lock(path, timeout=5):
        save_cassette(path, a_session())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["held.yaml"]


# -- file errors ------------------------------------------------------------------------------------


def test_a_parent_that_is_a_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a folder")
    path = tmp_path / "notes.txt" / "cassette.yaml"
    parent_is_a_file = r"cassette\.yaml: could not be written: a parent of the path is a file"
    with pytest.raises(CassetteError, match=parent_is_a_file):
        save_cassette(path, a_session())
    assert (tmp_path / "notes.txt").read_text() == "not a folder"


def run_save_in_child(path: Path, preamble: str, **options: object) -> subprocess.CompletedProcess[str]:
    script = preamble + textwrap.dedent(
        """
        import sys
        from pathlib import Path
        sys.path[:0] = [sys.argv[2]]
        from test_files import a_session
        from pytest_interactions.cassette import CassetteError, save_cassette
        try:
            save_cassette(Path(sys.argv[1]), a_session(exchanges=50, events=50, note="second"))
        except CassetteError as exc:
            print(exc)
        """
    )
    return subprocess.run(
        [sys.executable, "-c", script, str(path), str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        **options,  # type: ignore[arg-type]
    )


def test_a_size_limit_is_named_and_the_old_file_kept(tmp_path: Path) -> None:
    path = tmp_path / "limited.yaml"
    save_cassette(path, a_session())
    before = path.read_bytes()
    limit = "import resource\nresource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))\n"
    child = run_save_in_child(path, limit)
    assert f"{path}: could not be written: the file is larger than the process may write" in child.stdout
    assert "the previous file is unchanged" in child.stdout
    assert path.read_bytes() == before
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write into any folder")
def test_a_folder_that_cannot_be_written_is_named_and_the_old_file_kept(tmp_path: Path) -> None:
    path = tmp_path / "kept.yaml"
    save_cassette(path, a_session())
    before = path.read_bytes()
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(CassetteError, match=r"kept\.yaml: could not be written: permission denied"):
            save_cassette(path, a_session(note="second"))
    finally:
        tmp_path.chmod(0o755)
    assert path.read_bytes() == before


def test_a_new_cassette_gets_the_umask_mode_and_an_old_one_keeps_its_mode(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        new = tmp_path / "new.yaml"
        save_cassette(new, a_session())
        assert stat.S_IMODE(new.stat().st_mode) == 0o640
        shared = tmp_path / "shared.yaml"
        save_cassette(shared, a_session())
        shared.chmod(0o664)
        save_cassette(shared, a_session(note="second"))
        assert stat.S_IMODE(shared.stat().st_mode) == 0o664
    finally:
        os.umask(old)


def test_a_symlinked_cassette_stays_a_symlink(tmp_path: Path) -> None:
    target = tmp_path / "store" / "real.yaml"
    save_cassette(target, a_session())
    link = tmp_path / "tests" / "linked.yaml"
    link.parent.mkdir()
    link.symlink_to(target)
    save_cassette(link, a_session(note="through the link"))
    assert link.is_symlink()
    assert load_cassette(target).meta == {"note": "through the link"}
    assert leftovers(link.parent) == leftovers(target.parent) == []
