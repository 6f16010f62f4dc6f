"""Attack and fault tests: real server processes (``python -m gql serve``) driven over HTTP.

Every test gets a fresh database: on SQLite a copy of a migrated template file, on
PostgreSQL (``MEMBERS_TEST_DATABASE=postgres``) ``CREATE DATABASE … TEMPLATE`` of a
migrated template database, dropped after the test. Servers of one test share it, which
is how the two-process tests show that limits live in the database (or in Redis).

Servers start with ``MEMBERS_TRUSTED_PROXIES=127.0.0.1`` unless a test says otherwise,
so a test can speak for any client address with ``X-Forwarded-For`` (each test uses
addresses of its own, see ``new_address()``), and with rate limits off unless the test
turns them on (``rate_limits="0.1"`` …).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from tests.databases import BACKEND, POSTGRES_URL, TEMPLATE, pg_execute, query_database, run_sync
from tests.documents import (
    APPROVE_BY_EMAIL,
    APPROVE_BY_TOKEN,
    BLOCK_BY_EMAIL,
    CURRENT_MEMBER,
    ERROR,
    LOGIN,
    LOGOUT,
    REGISTER,
    UPDATE_SETTINGS,
)
from tests.processes import ServerProcess, free_port, server_env, unique_email

# for the attack tests
__all__ = [
    "APPROVE_BY_EMAIL",
    "APPROVE_BY_TOKEN",
    "BLOCK_BY_EMAIL",
    "CURRENT_MEMBER",
    "ERROR",
    "LOGOUT",
    "BACKEND",
    "POSTGRES_URL",
    "free_port",
    "pg_execute",
    "query_database",
    "run_sync",
    "unique_email",
]

ADMIN_KEY = "attack-admin-key-0123456789abcdefghijklmn"
SECRET_KEY = "attack-secret-key-that-is-long-enough-0123456789abcdef"
REDIS_URL = os.environ.get("MEMBERS_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"

_addresses = itertools.count(1)


def new_address() -> str:
    """A client address no other test of this run uses (TEST-NET-3 and friends)."""
    n = next(_addresses) + (os.getpid() % 1000) * 1000
    return f"198.{18 + n // 65536 % 2}.{n // 256 % 256}.{n % 256}"


def attack_env(database_url: str, **extra: str) -> dict[str, str]:
    """A server's environment for these tests: hashing on two threads, the test environment,
    127.0.0.1 a trusted proxy (each overridden by ``extra`` if it says otherwise)."""
    settings = {"hash_threads": "2", "env": "test", "trusted_proxies": "127.0.0.1", **extra}
    return server_env(database_url, admin_key=ADMIN_KEY, secret_key=SECRET_KEY, **settings)


class Server(ServerProcess):
    """One ``python -m gql serve`` process on a free port, its output in a file."""

    def __init__(self, workdir: Path, database_url: str, env: dict[str, str]) -> None:
        super().__init__(workdir, attack_env(database_url, **env))
        self.database_url = database_url

    def start(self) -> Server:
        self.launch()
        return self


# --- databases ---------------------------------------------------------------------------


@contextmanager
def fresh_database(directory: Path) -> Iterator[str]:
    """A new migrated database copied from the run's template (dropped afterwards on PostgreSQL)."""
    with TEMPLATE.copy(directory) as url:
        yield url


@pytest.fixture
def attack_database(tmp_path: Path) -> Iterator[str]:
    """A fresh migrated database for one test."""
    with fresh_database(tmp_path) as url:
        yield url


StartServer = Callable[..., Server]


@pytest.fixture
def start_server(tmp_path: Path, attack_database: str) -> Iterator[StartServer]:
    """``start_server(rate_limits="0.1", lockout_threshold="3", …)``: keyword arguments are
    ``MEMBERS_*`` settings (upper-cased). All servers of a test share its database."""
    servers: list[Server] = []

    def start(*, database: str | None = None, **env: str) -> Server:
        workdir = tmp_path / f"server{len(servers)}"
        workdir.mkdir()
        server = Server(workdir, database or attack_database, env)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


# --- clients -------------------------------------------------------------------------------


class Client:
    """GraphQL over HTTP for one client address (``X-Forwarded-For`` via the trusted proxy)."""

    def __init__(self, http: httpx.AsyncClient, url: str, address: str | None = None) -> None:
        self.http = http
        self.url = url
        self.address = address or new_address()

    def headers(self, api_key: str | None = None, token: str | None = None) -> dict[str, str]:
        headers = {"X-Forwarded-For": self.address}
        if api_key:
            headers["X-Api-Key"] = api_key
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    async def response(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        api_key: str | None = None,
        token: str | None = None,
    ) -> httpx.Response:
        return await self.http.post(
            self.url, json={"query": query, "variables": variables or {}}, headers=self.headers(api_key, token)
        )

    async def post(self, query: str, variables: dict[str, Any] | None = None, **auth: str | None) -> dict[str, Any]:
        response = await self.response(query, variables, **auth)
        assert response.status_code == 200, f"{response.status_code}: {response.text}"
        return response.json()

    async def backend(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.post(query, variables, api_key=ADMIN_KEY)

    async def field(self, query: str, variables: dict[str, Any] | None = None, **auth: str | None) -> dict[str, Any]:
        """The one top-level field's value; fails on request-level errors."""
        body = await self.post(query, variables, **auth)
        assert not body.get("errors"), body
        (value,) = body["data"].values()
        return value


@pytest_asyncio.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        yield client


# --- documents (tests/documents.py) and helpers ------------------------------------------------

PASSWORD = "correct horse"


async def register(client: Client, email: str, password: str = PASSWORD, **auth: str | None) -> dict[str, Any]:
    return await client.field(REGISTER, {"email": email, "password": password}, **auth)


async def login(client: Client, identity: str, password: str = PASSWORD) -> dict[str, Any]:
    return await client.field(LOGIN, {"identity": identity, "password": password})


async def update_settings(client: Client, **changes: Any) -> None:
    """``updateRegistrationSettings(input: changes)`` as the admin; fails unless it is done."""
    result = await client.field(UPDATE_SETTINGS, {"input": changes}, api_key=ADMIN_KEY)
    assert result["__typename"] == "UpdateRegistrationSettingsPayload", result


async def manual_approval(client: Client) -> None:
    await update_settings(client, approval="MANUAL")


SharedServers = Callable[..., list[Server]]


@pytest.fixture(scope="module")
def shared_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedServers]:
    """``shared_servers("name", count, **env)``: ``count`` servers on one database, started
    once per module under that name and reused by its tests (which keep apart by using
    their own emails and client addresses). Starting a server costs more than most tests."""
    started: dict[str, list[Server]] = {}
    workdir = tmp_path_factory.mktemp("shared")
    with ExitStack() as stack:

        def get(name: str, count: int = 1, **env: str) -> list[Server]:
            if name not in started:
                url = stack.enter_context(fresh_database(workdir))
                servers = []
                for i in range(count):
                    directory = workdir / f"{name}-{i}"
                    directory.mkdir()
                    servers.append(Server(directory, url, env).start())
                    stack.callback(servers[-1].stop)
                started[name] = servers
            return started[name]

        yield get
