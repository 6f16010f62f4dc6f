"""Server processes: the product (``python -m gql serve``) and the bare comparison app.

Each runs as its own uvicorn process with one worker, bound to 127.0.0.1, logging to
a file (a full pipe would stall it), through the tests' ``ServerProcess`` (tests/processes.py:
a free port, waiting for ``/health``, a graceful stop). Linux's /proc gives the figures the
process cannot be asked for over HTTP: peak RSS and CPU time.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from tests.processes import REPO_ROOT, ServerProcess, run_cli, server_env

ADMIN_KEY = "bench-admin-key"
# Fixed, so the product writes no development secret file beside the database.
SECRET_KEY = "bench-secret-key-not-for-production-0123456789"
START_TIMEOUT = 120.0
RATE_LIMIT_SCALE = 10_000


def product_env(database_url: str, bcrypt_cost: int = 4, hash_threads: int = 0) -> dict[str, str]:
    extra = {"MEMBERS_HASH_THREADS": str(hash_threads)} if hash_threads else {}
    return server_env(
        database_url,
        admin_key=ADMIN_KEY,
        secret_key=SECRET_KEY,
        bcrypt_cost=str(bcrypt_cost),
        approval="AUTOMATIC",
        # Every request comes from 127.0.0.1: the per-address limits stay on (their cost is
        # part of what is measured) but are scaled up so that they never refuse the load.
        rate_limits=str(RATE_LIMIT_SCALE),
        **extra,
    )


def run_migrations(database_url: str) -> None:
    """The product's own migrations, exactly as an operator applies them."""
    done = run_cli("migrate", env=product_env(database_url), cwd=REPO_ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"python -m gql migrate failed for {database_url}:\n{done.stdout}{done.stderr}")


def _proc_status(pid: int, field: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024  # kB
    except OSError:
        pass
    return None


class Served(ServerProcess):
    """One server process: ``argv`` plus ``--port``, run from the repository, its log in ``log_dir``."""

    startup_timeout = START_TIMEOUT

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_dir: Path) -> None:
        super().__init__(log_dir, env, cwd=REPO_ROOT)
        self.name = name
        self.command = argv
        self.log_path = log_dir / f"{name}-{uuid.uuid4().hex[:8]}.log"

    def argv(self) -> list[str]:
        return [*self.command, "--port", str(self.port)]

    @property
    def base_url(self) -> str:
        return self.url

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def peak_rss(self) -> int | None:
        """Bytes: the high-water mark of resident memory since the process started."""
        return _proc_status(self.pid, "VmHWM")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far (all its threads)."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.output().splitlines()[-lines:])


@contextmanager
def serve(name: str, argv: list[str], env: dict[str, str], log_dir: Path) -> Iterator[Served]:
    served = Served(name, argv, env, log_dir)
    served.launch()
    try:
        yield served
    finally:
        served.stop()


def product_server(
    database_url: str, bcrypt_cost: int, hash_threads: int, log_dir: Path
) -> AbstractContextManager[Served]:
    argv = [sys.executable, "-m", "gql", "serve", "--host", "127.0.0.1"]
    return serve("server", argv, product_env(database_url, bcrypt_cost, hash_threads), log_dir)


def bare_server(database_url: str, log_dir: Path) -> AbstractContextManager[Served]:
    argv = [sys.executable, "-m", "bench.bare", "--database-url", database_url]
    return serve("bare", argv, product_env(database_url), log_dir)
