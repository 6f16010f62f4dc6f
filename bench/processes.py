"""Server processes: the product (``python -m gql serve``) and the bare comparison app.

Each runs as its own uvicorn process with one worker, bound to 127.0.0.1, logging to
a file (a full pipe would stall it). Linux's /proc gives the figures the process
cannot be asked for over HTTP: peak RSS and CPU time.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
ADMIN_KEY = "bench-admin-key"
# Fixed, so the product writes no development secret file beside the database.
SECRET_KEY = "bench-secret-key-not-for-production-0123456789"
START_TIMEOUT = 120.0
RATE_LIMIT_SCALE = 10_000


def product_env(database_url: str, bcrypt_cost: int = 4, hash_threads: int = 0) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMBERS_")}
    env.update(
        MEMBERS_DATABASE_URL=database_url,
        MEMBERS_ADMIN_API_KEY=ADMIN_KEY,
        MEMBERS_SECRET_KEY=SECRET_KEY,
        MEMBERS_BCRYPT_COST=str(bcrypt_cost),
        MEMBERS_APPROVAL="AUTOMATIC",
        # Every request comes from 127.0.0.1: the per-address limits stay on (their cost is
        # part of what is measured) but are scaled up so that they never refuse the load.
        MEMBERS_RATE_LIMITS=str(RATE_LIMIT_SCALE),
    )
    if hash_threads:
        env["MEMBERS_HASH_THREADS"] = str(hash_threads)
    return env


def run_migrations(database_url: str) -> None:
    """The product's own migrations, exactly as an operator applies them."""
    done = subprocess.run(
        [sys.executable, "-m", "gql", "migrate"],
        cwd=REPO,
        env=product_env(database_url),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"python -m gql migrate failed for {database_url}:\n{done.stdout}{done.stderr}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _proc_status(pid: int, field: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024  # kB
    except OSError:
        pass
    return None


@dataclass
class Served:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def peak_rss(self) -> int | None:
        """Bytes: the high-water mark of resident memory since the process started."""
        return _proc_status(self.process.pid, "VmHWM")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far (all its threads)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _wait_ready(served: Served) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            raise RuntimeError(f"{served.name} exited with {served.process.returncode}:\n{served.log_tail()}")
        try:
            if httpx.get(served.base_url + "/health", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{served.name} did not answer /health within {START_TIMEOUT:.0f}s:\n{served.log_tail()}")


@contextmanager
def serve(name: str, argv: list[str], env: dict[str, str], log_dir: Path) -> Iterator[Served]:
    port = free_port()
    log_path = log_dir / f"{name}-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*argv, "--port", str(port)], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    served = Served(name, process, port, log_path)
    try:
        _wait_ready(served)
        yield served
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown runs the lifespan exit
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def product_server(
    database_url: str, bcrypt_cost: int, hash_threads: int, log_dir: Path
) -> AbstractContextManager[Served]:
    argv = [sys.executable, "-m", "gql", "serve", "--host", "127.0.0.1"]
    return serve("server", argv, product_env(database_url, bcrypt_cost, hash_threads), log_dir)


def bare_server(database_url: str, log_dir: Path) -> AbstractContextManager[Served]:
    argv = [sys.executable, "-m", "bench.bare", "--database-url", database_url]
    return serve("bare", argv, product_env(database_url), log_dir)
