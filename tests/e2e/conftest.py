"""End-to-end harness: the real server in a subprocess, driven over HTTP.

Each server is ``python -m gql serve --port <free port>`` (or ``uvicorn gql.app:app``) run
with this interpreter, its output captured to a file so tests can check what it printed.

Each server gets its own fresh database. ``MEMBERS_TEST_DATABASE=sqlite`` (default): a SQLite
file in the test's temp directory, which ``serve`` migrates at start-up.
``MEMBERS_TEST_DATABASE=postgres``: a copy (``CREATE DATABASE … TEMPLATE``) of the run's
migrated template (tests/databases.py; ``serve`` only migrates SQLite), dropped when the server
has stopped.

Nothing here opens the database in-process: the server is a black box.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.databases import BACKEND, TEMPLATE
from tests.processes import REPO_ROOT, ServerProcess, serve_argv, server_env, unique_email
from tests.processes import run_cli as run_gql

__all__ = ["BACKEND", "REPO_ROOT", "unique_email"]  # for the e2e tests

ADMIN_KEY = "e2e-admin-key-0123456789"
SECRET_KEY = "e2e-secret-key-that-is-long-enough-0123456789abcdef"


def e2e_env(database_url: str, **extra: str) -> dict[str, str]:
    """A server's environment with this harness's keys, plus ``extra`` settings."""
    return server_env(database_url, admin_key=ADMIN_KEY, secret_key=SECRET_KEY, **extra)


class Server(ServerProcess):
    """One server process on a free port, with an HTTP client; ``stop()`` returns everything it printed."""

    def __init__(self, workdir: Path, database_url: str, *, command: str = "serve", **env: str) -> None:
        super().__init__(workdir, e2e_env(database_url, **env))
        self.database_url = database_url
        self.command = command
        self.http: httpx.Client | None = None

    @property
    def base_url(self) -> str:
        return self.url

    def argv(self) -> list[str]:
        if self.command == "uvicorn":
            return [sys.executable, "-m", "uvicorn", "gql.app:app", "--host", "127.0.0.1", "--port", str(self.port),
                    "--no-proxy-headers"]  # fmt: skip
        return serve_argv(self.port)

    def start(self) -> Server:
        self.launch()
        self.http = httpx.Client(base_url=self.base_url, timeout=30)
        return self

    def stop(self) -> str:
        if self.http is not None:
            self.http.close()
            self.http = None
        return super().stop()

    # --- HTTP helpers -------------------------------------------------------------------

    def post(
        self, query: str, variables: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        assert self.http is not None, "server not started"
        return self.http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {})

    def graphql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        api_key: str | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        headers: dict[str, str] = {}
        if api_key is not None:
            headers["X-Api-Key"] = api_key
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        response = self.post(query, variables, headers)
        assert response.status_code == 200, f"{response.status_code}: {response.text}"
        return response.json()

    def backend(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.graphql(query, variables, api_key=ADMIN_KEY)


def run_cli(*args: str, database_url: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m gql <args>`` with the e2e environment."""
    return run_gql(*args, env=e2e_env(database_url, **env), cwd=cwd)


class Databases:
    """Fresh databases for servers: SQLite files, or copies of the run's PostgreSQL template,
    dropped by ``drop()``."""

    def __init__(self) -> None:
        self.copies = ExitStack()

    def new(self, workdir: Path) -> str:
        if BACKEND != "postgres":
            return f"sqlite://{workdir / 'members.sqlite3'}"
        return self.copies.enter_context(TEMPLATE.copy(workdir))

    def drop(self) -> None:
        self.copies.close()


StartServer = Callable[..., Server]


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[StartServer]:
    """Start servers for one test, each on its own fresh database; all stopped afterwards."""
    servers: list[Server] = []
    mine = Databases()

    def start(*, command: str = "serve", **env: str) -> Server:
        workdir = tmp_path / f"server{len(servers)}"
        workdir.mkdir()
        server = Server(workdir, mine.new(workdir), command=command, **env)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()
    mine.drop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server shared by a module's tests (manual approval, its own database)."""
    workdir = tmp_path_factory.mktemp("server")
    mine = Databases()
    running = Server(workdir, mine.new(workdir), MEMBERS_APPROVAL="MANUAL")
    try:
        yield running.start()
    finally:
        running.stop()
        mine.drop()
