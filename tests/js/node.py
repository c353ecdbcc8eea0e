"""Run the JavaScript client programs of ``tests/js`` with node.

Their dependencies, ``@google/genai`` and ``openai``, are pinned in ``package.json`` and
``package-lock.json``.
:func:`ensure_node_modules` installs it into ``tests/js/node_modules`` once per checkout (``npm ci``,
or ``npm install`` without a lock file), under a file lock so that pytest-xdist workers do not
race, and does nothing while the installed packages match the lock file. :func:`run_js` runs one
program against a server.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from filelock import FileLock

JS_DIR = Path(__file__).resolve().parent
NODE_MODULES = JS_DIR / "node_modules"
LOCK_FILE = JS_DIR / "package-lock.json"
INSTALL_TIMEOUT = 600.0

#: Variables the programs (or the SDK under them) read that must not leak in from the caller's
#: shell: a real key, another base URL, a switch to Vertex AI.
_INHERITED_PREFIXES = ("GEMINI_", "GOOGLE_", "INTERACTIONS_")

_installed = False


class NodeSetupError(RuntimeError):
    """Installing the programs' npm dependencies failed."""


def missing_tools() -> list[str]:
    """Which of ``node`` and ``npm`` are not on PATH."""
    return [tool for tool in ("node", "npm") if shutil.which(tool) is None]


def _installed_matches_lock() -> bool:
    """Whether every package the lock file names is installed at the locked version."""
    if not (NODE_MODULES / "@google" / "genai" / "package.json").is_file():
        return False
    if not LOCK_FILE.is_file():
        return True  # nothing to compare with: an installed SDK is taken as it is
    packages = json.loads(LOCK_FILE.read_text(encoding="utf-8")).get("packages", {})
    for where, locked in packages.items():
        if not where.startswith("node_modules/"):
            continue
        manifest = JS_DIR / where / "package.json"
        if not manifest.is_file():
            if locked.get("optional"):
                continue  # an optional package for another platform
            return False
        if json.loads(manifest.read_text(encoding="utf-8")).get("version") != locked.get("version"):
            return False
    return True


def _lock_path() -> Path:
    """A lock file outside the tree, one per checkout (so it needs no .gitignore entry)."""
    tag = hashlib.sha256(str(JS_DIR).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"pytest-interactions-npm-{tag}.lock"


def ensure_node_modules() -> None:
    """Install ``tests/js``'s npm dependencies unless they are installed already.

    Raises :class:`NodeSetupError` naming the command when npm is missing or fails.
    """
    global _installed
    if _installed:
        return
    with FileLock(str(_lock_path()), timeout=INSTALL_TIMEOUT):
        if not _installed_matches_lock():
            npm = shutil.which("npm")
            command = ["npm", "ci"] if LOCK_FILE.is_file() else ["npm", "install"]
            command += ["--no-audit", "--no-fund", "--ignore-scripts"]
            shown = " ".join(command)
            if npm is None:
                raise NodeSetupError(f"`{shown}` cannot run in {JS_DIR}: npm is not on PATH")
            try:
                done = subprocess.run(
                    [npm, *command[1:]],
                    cwd=JS_DIR,
                    capture_output=True,
                    text=True,
                    timeout=INSTALL_TIMEOUT,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                raise NodeSetupError(
                    f"`{shown}` in {JS_DIR} did not finish in {INSTALL_TIMEOUT:.0f} s"
                ) from exc
            if done.returncode != 0 or not _installed_matches_lock():
                output = (done.stdout + done.stderr).strip()[-4000:]
                raise NodeSetupError(
                    f"`{shown}` in {JS_DIR} failed (exit status {done.returncode}):\n{output}"
                )
    _installed = True


def run_js(
    script: str,
    base_url: str,
    timeout: float = 60,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``tests/js/<script>`` with node against the server at ``base_url``.

    The program gets ``INTERACTIONS_BASE_URL=base_url`` and none of the caller's ``GEMINI_*``,
    ``GOOGLE_*`` or ``INTERACTIONS_*`` variables (so it uses the key ``test-key``), plus ``env``.
    Its stdout and stderr are captured as text; a program still running after ``timeout`` seconds
    is killed and :class:`subprocess.TimeoutExpired` raised.
    """
    ensure_node_modules()
    node = shutil.which("node")
    if node is None:
        raise NodeSetupError(f"cannot run {script}: node is not on PATH")
    child_env = {key: value for key, value in os.environ.items() if not key.startswith(_INHERITED_PREFIXES)}
    child_env["INTERACTIONS_BASE_URL"] = base_url
    child_env.update(env or {})
    return subprocess.run(
        [node, str(JS_DIR / script)],
        cwd=JS_DIR,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
