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

import asyncio
import itertools
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from tests.processes import ServerProcess, clean_env, free_port, unique_email

__all__ = ["free_port", "unique_email"]  # for the attack tests

ADMIN_KEY = "attack-admin-key-0123456789abcdefghijklmn"
SECRET_KEY = "attack-secret-key-that-is-long-enough-0123456789abcdef"
BACKEND = os.environ.get("MEMBERS_TEST_DATABASE", "sqlite")
POSTGRES_URL = os.environ.get("MEMBERS_TEST_POSTGRES_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
REDIS_URL = os.environ.get("MEMBERS_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"

_addresses = itertools.count(1)


def new_address() -> str:
    """A client address no other test of this run uses (TEST-NET-3 and friends)."""
    n = next(_addresses) + (os.getpid() % 1000) * 1000
    return f"198.{18 + n // 65536 % 2}.{n // 256 % 256}.{n % 256}"


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    env = clean_env()
    env.update(
        MEMBERS_DATABASE_URL=database_url,
        MEMBERS_ADMIN_API_KEY=ADMIN_KEY,
        MEMBERS_SECRET_KEY=SECRET_KEY,
        MEMBERS_BCRYPT_COST="4",
        MEMBERS_HASH_THREADS="2",
        MEMBERS_ENV="test",
        MEMBERS_RATE_LIMITS="off",
        MEMBERS_TRUSTED_PROXIES="127.0.0.1",
    )
    env.update({k if k.startswith("MEMBERS_") else f"MEMBERS_{k.upper()}": v for k, v in extra.items()})
    return env


def run_cli(*args: str, database_url: str, cwd: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gql", *args],
        cwd=cwd,
        env=server_env(database_url),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"python -m gql {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"


class Server(ServerProcess):
    """One ``python -m gql serve`` process on a free port, its output in a file."""

    def __init__(self, workdir: Path, database_url: str, env: dict[str, str]) -> None:
        super().__init__(workdir, server_env(database_url, **env))
        self.database_url = database_url

    def start(self) -> Server:
        self.launch()
        return self


# --- databases ---------------------------------------------------------------------------


async def pg_execute(sql: str, url: str = POSTGRES_URL) -> None:
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1), timeout=10)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def pg_fetch(url: str, sql: str) -> list[dict[str, Any]]:
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1), timeout=10)
    try:
        return [dict(row) for row in await connection.fetch(sql)]
    finally:
        await connection.close()


def query_database(url: str, sql: str) -> list[dict[str, Any]]:
    """Read the database directly (no Tortoise in this process): the server is a black box."""
    if url.startswith("sqlite://"):
        connection = sqlite3.connect(url.removeprefix("sqlite://"), timeout=30)
        connection.row_factory = sqlite3.Row
        try:
            return [dict(row) for row in connection.execute(sql).fetchall()]
        finally:
            connection.close()
    return run_sync(pg_fetch(url, sql))


def run_sync(coroutine: Any) -> Any:
    """Run a coroutine to its end from sync code, also when called inside an event loop."""
    return asyncio.run(coroutine) if not _loop_running() else _run_in_thread(coroutine)


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _run_in_thread(coroutine: Any) -> Any:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database the tests copy (SQLite file or PostgreSQL template)."""
    workdir = tmp_path_factory.mktemp("attack-template")
    if BACKEND == "postgres":
        name = f"members_attack_tpl_{os.getpid()}"
        asyncio.run(pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        asyncio.run(pg_execute(f'CREATE DATABASE "{name}"'))
        url = f"{POSTGRES_URL.rpartition('/')[0]}/{name}"
        try:
            run_cli("migrate", database_url=url, cwd=workdir)
            yield url
        finally:
            asyncio.run(pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        url = f"sqlite://{workdir / 'template.sqlite3'}"
        run_cli("migrate", database_url=url, cwd=workdir)
        yield url


_databases = itertools.count(1)


@contextmanager
def fresh_database(template_database: str, directory: Path) -> Iterator[str]:
    """A new migrated database copied from the template (dropped afterwards on PostgreSQL)."""
    if BACKEND == "postgres":
        template = template_database.rpartition("/")[2]
        name = f"members_attack_{os.getpid()}_{next(_databases)}"
        run_sync(pg_execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        try:
            yield f"{POSTGRES_URL.rpartition('/')[0]}/{name}"
        finally:
            run_sync(pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        source = Path(template_database.removeprefix("sqlite://"))
        target = directory / f"members-{next(_databases)}.sqlite3"
        shutil.copyfile(source, target)
        yield f"sqlite://{target}"


@pytest.fixture
def attack_database(template_database: str, tmp_path: Path) -> Iterator[str]:
    """A fresh migrated database for one test."""
    with fresh_database(template_database, tmp_path) as url:
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


# --- documents -------------------------------------------------------------------------------

ERROR = "... on Error { code message } ... on RetryableError { retryAfter }"
LOGIN_ERROR = ERROR
REGISTER = f"""mutation ($email: String, $password: String!, $options: RegistrationOptions) {{
  register(email: $email, password: $password, options: $options) {{
    __typename ... on RegisterPayload {{ status approvalToken sessionToken member {{ id loginEmail status }} }} {ERROR}
  }} }}"""
LOGIN = f"""mutation ($identity: String!, $password: String!) {{
  login(identity: $identity, password: $password) {{
    __typename ... on SessionPayload {{ sessionToken member {{ id status }} }} {LOGIN_ERROR}
  }} }}"""
APPROVE_BY_TOKEN = f"""mutation ($token: String!) {{
  approveByToken(token: $token) {{ __typename ... on SessionPayload {{ sessionToken }} {ERROR} }} }}"""
APPROVE_BY_EMAIL = """mutation ($email: String!) {
  approveByEmail(email: $email) { __typename ... on SessionPayload { sessionToken } ... on Error { code message } } }"""
BLOCK_BY_EMAIL = """mutation ($email: String!) {
  blockByEmail(email: $email) { __typename ... on Error { code message } } }"""
CURRENT_MEMBER = "{ currentMember { id loginEmail status } }"
LOGOUT = "mutation { logout { __typename ... on Error { code message } } }"
UPDATE_SETTINGS = """mutation ($input: RegistrationSettingsInput!) {
  updateRegistrationSettings(input: $input) { __typename ... on Error { code message } } }"""
PASSWORD = "correct horse"


async def register(client: Client, email: str, password: str = PASSWORD, **auth: str | None) -> dict[str, Any]:
    return await client.field(REGISTER, {"email": email, "password": password}, **auth)


async def login(client: Client, identity: str, password: str = PASSWORD) -> dict[str, Any]:
    return await client.field(LOGIN, {"identity": identity, "password": password})


async def manual_approval(client: Client) -> None:
    result = await client.field(UPDATE_SETTINGS, {"input": {"approval": "MANUAL"}}, api_key=ADMIN_KEY)
    assert result["__typename"] == "UpdateRegistrationSettingsPayload", result


SharedServers = Callable[..., list[Server]]


@pytest.fixture(scope="module")
def shared_servers(template_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedServers]:
    """``shared_servers("name", count, **env)``: ``count`` servers on one database, started
    once per module under that name and reused by its tests (which keep apart by using
    their own emails and client addresses). Starting a server costs more than most tests."""
    started: dict[str, list[Server]] = {}
    workdir = tmp_path_factory.mktemp("shared")
    with ExitStack() as stack:

        def get(name: str, count: int = 1, **env: str) -> list[Server]:
            if name not in started:
                url = stack.enter_context(fresh_database(template_database, workdir))
                servers = []
                for i in range(count):
                    directory = workdir / f"{name}-{i}"
                    directory.mkdir()
                    servers.append(Server(directory, url, env).start())
                    stack.callback(servers[-1].stop)
                started[name] = servers
            return started[name]

        yield get
