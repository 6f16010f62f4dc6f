"""Node.js projects the tests run (tests/clients, examples/typescript-client): their packages
installed from the lock file, and their tools run as child processes.

``npm ci`` installs a project's pinned packages into its ``node_modules`` once per lock file (and
Node version): a stamp in ``node_modules`` records what was installed, and a file lock beside
``package.json`` keeps concurrent runs (the SQLite and PostgreSQL processes, two developers'
shells) from installing at once or from reinstalling under a run that uses them. Without Node.js
20+ and npm the tests skip, except under CI (``CI`` set), where they fail.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

MIN_NODE = (20, 0)
STAMP_NAME = ".members-npm-ci"
LOCK_NAME = ".npm-install.lock"  # ignored by git

Completed = subprocess.CompletedProcess[str]


def unavailable(message: str) -> None:
    """Skip, or fail under CI, where every Node test must run."""
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI is set: the Node.js tests must run; install Node.js >= 20 and npm)")
    pytest.skip(message)


def run(argv: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300) -> Completed:
    """A tool of a Node project, its output captured as text, without colours."""
    return subprocess.run(
        argv,
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1", "FORCE_COLOR": "0", **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def shown(result: Completed) -> str:
    """A finished command and everything it printed, for an assertion's message."""
    return f"$ {' '.join(map(str, result.args))}\nexit status {result.returncode}\n{result.stdout}\n{result.stderr}"


def _digest(project: Path, node: str) -> str:
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((project / name).read_bytes())
    digest.update(f"node {subprocess.run([node, '--version'], capture_output=True, text=True).stdout}".encode())
    return digest.hexdigest()


def _installed(project: Path, digest: str) -> bool:
    stamp = project / "node_modules" / STAMP_NAME
    return stamp.exists() and stamp.read_text().strip() == digest


@contextmanager
def installed(project: Path) -> Iterator[Path]:
    """``project`` with its node_modules installed by ``npm ci`` from its lock file (only when that
    changed), kept from being reinstalled while the block runs."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        unavailable(f"node and npm are not on PATH: the tests of {project.name} cannot run")
    assert node is not None and npm is not None
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    found = re.match(r"v(\d+)\.(\d+)", version)
    if found is None or (int(found[1]), int(found[2])) < MIN_NODE:
        unavailable(f"Node.js >= {MIN_NODE[0]} is needed, found {version or 'none'}")

    digest = _digest(project, node)
    with (project / LOCK_NAME).open("a") as lock:
        # Shared while the packages are in use; exclusive only to install them.
        fcntl.flock(lock, fcntl.LOCK_SH)
        if not _installed(project, digest):
            fcntl.flock(lock, fcntl.LOCK_UN)
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not _installed(project, digest):  # another run may have installed meanwhile
                result = run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=project, timeout=600)
                if result.returncode != 0:
                    pytest.fail(f"npm ci failed in {project}:\n{shown(result)}")
                (project / "node_modules" / STAMP_NAME).write_text(digest + "\n")
            fcntl.flock(lock, fcntl.LOCK_SH)
        yield project


def copy_sources(project: Path, workdir: Path, sources: tuple[str, ...]) -> None:
    """``sources`` of ``project`` (files or folders) copied into ``workdir``, with its node_modules
    linked: each run generates into its own directory, never into another run's."""
    for source in sources:
        target = workdir / source
        target.parent.mkdir(parents=True, exist_ok=True)
        if (project / source).is_dir():
            shutil.copytree(project / source, target)
        else:
            shutil.copy2(project / source, target)
    (workdir / "node_modules").symlink_to(project / "node_modules", target_is_directory=True)
