"""The real server as a child process, shared by the e2e and attack harnesses.

A ``ServerProcess`` runs one argv on a free port (retrying when another process takes the
port first), waits for ``GET /health``, writes everything it prints to a file, and stops by
SIGTERM (then SIGKILL) or, for crash tests, by SIGKILL straight away.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
STARTUP_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unique_email(label: str = "m") -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}@example.com"


def clean_env() -> dict[str, str]:
    """This process's environment without any MEMBERS_* of the developer's, the repo importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMBERS_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def server_env(database_url: str, *, admin_key: str, secret_key: str, **settings: str) -> dict[str, str]:
    """A server's environment: ``clean_env()``, the database, the keys, bcrypt at its cheapest cost
    and the per-address rate limits off (every request of a test comes from 127.0.0.1), then
    ``settings``: ``approval="MANUAL"`` or ``MEMBERS_APPROVAL="MANUAL"`` alike."""
    env = clean_env()
    env.update(
        MEMBERS_DATABASE_URL=database_url,
        MEMBERS_ADMIN_API_KEY=admin_key,
        MEMBERS_SECRET_KEY=secret_key,
        MEMBERS_BCRYPT_COST="4",
        MEMBERS_RATE_LIMITS="off",
    )
    env.update({k if k.startswith("MEMBERS_") else f"MEMBERS_{k.upper()}": v for k, v in settings.items()})
    return env


def run_cli(*args: str, env: dict[str, str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python -m gql <args>`` in ``env``, what it printed captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "gql", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def serve_argv(port: int) -> list[str]:
    return [sys.executable, "-m", "gql", "serve", "--port", str(port)]


class ServerProcess:
    """``argv()`` run in ``cwd`` (default: ``workdir``), its output in a file in ``workdir``."""

    startup_timeout = STARTUP_TIMEOUT

    def __init__(self, workdir: Path, env: dict[str, str], *, cwd: Path | None = None) -> None:
        self.workdir = workdir
        self.cwd = cwd or workdir
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.log_path = workdir / f"server-{uuid.uuid4().hex[:8]}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def graphql_url(self) -> str:
        return self.url + "/graphql"

    def argv(self) -> list[str]:
        return serve_argv(self.port)

    def launch(self) -> None:
        """Start the process and wait until it is healthy; raises with its output if it is not."""
        for _attempt in range(3):
            self.port = free_port()
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(
                    self.argv(),
                    cwd=self.cwd,
                    env=self.env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            if self._wait_healthy():
                return
            if "address already in use" not in self.output().lower():
                break
        self.stop()
        raise RuntimeError(f"server did not start; its output:\n{self.output()}")

    def _wait_healthy(self) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        return False

    def kill(self) -> None:
        """SIGKILL: no shutdown, no cleanup, as a crash or an OOM kill."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=15)

    def stop(self) -> str:
        """Stop gracefully (SIGTERM, then SIGKILL after 15 s); returns everything it printed."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        return self.output()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
