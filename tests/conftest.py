"""Test harness: one database per pytest process, emptied before each test.

``MEMBERS_TEST_DATABASE=sqlite`` (default) uses a SQLite file in a temp directory;
``MEMBERS_TEST_DATABASE=postgres`` creates ``members_test_<pid>`` on the server named by
``MEMBERS_TEST_POSTGRES_URL`` (default postgres://postgres@127.0.0.1:5432/postgres) and
drops it afterwards. Tortoise caches executors per table, not per dialect, so the two
backends always run in separate pytest processes (the Makefile does that).
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from tortoise.contrib.test import truncate_all_models

from gql.app import create_app
from gql.config import Config
from gql.db.setup import migrate
from gql.domain.registration_settings import RegistrationSettings
from gql.domain.roles import ensure_built_in_roles
from gql.domain.services import Services

ADMIN_KEY = "test-admin-key"
SECRET = "test-secret-key-that-is-long-enough-0123456789"
BACKEND = os.environ.get("MEMBERS_TEST_DATABASE", "sqlite")
POSTGRES_URL = os.environ.get("MEMBERS_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def _server_url(url: str) -> tuple[str, str]:
    """Split postgres://user@host:port/db into (dsn without db, db)."""
    base, _, db = url.rpartition("/")
    return base, db


async def _admin_execute(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_URL.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    if BACKEND == "postgres":
        name = f"members_test_{os.getpid()}"
        asyncio.run(_admin_execute(f'DROP DATABASE IF EXISTS "{name}"'))
        asyncio.run(_admin_execute(f'CREATE DATABASE "{name}"'))
        url = f"{_server_url(POSTGRES_URL)[0]}/{name}"
        asyncio.run(migrate(url))
        yield url
        asyncio.run(_admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        with tempfile.TemporaryDirectory() as directory:
            url = f"sqlite://{Path(directory) / 'members.sqlite3'}"
            asyncio.run(migrate(url))
            yield url


@pytest.fixture
def settings(database_url: str) -> Config:
    return Config(
        database_url=database_url,
        environment="test",
        admin_api_key=ADMIN_KEY,
        secret_key=SECRET,
        bcrypt_cost=4,
        hash_threads=2,
        settings_cache_seconds=0,
        registration=RegistrationSettings(),
        # The suite drives many requests from one address: per-address limits are
        # off here and turned on only by the tests of tests/attack/ (lockout stays on).
        rate_limit_scale=0,
    )


@pytest_asyncio.fixture
async def app(settings: Config) -> AsyncIterator[Starlette]:
    """The real app with its lifespan running (database open), on an emptied database."""
    application = create_app(settings, apply_migrations=False)
    async with application.router.lifespan_context(application):
        await truncate_all_models()
        application.state.services.registration_settings.forget()
        await application.state.services.registration_settings.get()
        await ensure_built_in_roles()
        yield application


@pytest.fixture
def services(app: Starlette) -> Services:
    return app.state.services


class GraphQLClient:
    """Posts GraphQL documents to the app in-process (same event loop), as a browser or backend would."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def post(self, query: str, variables: dict[str, Any] | None = None, **headers: str) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def anonymous(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.post(query, variables)

    async def backend(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.post(query, variables, **{"X-Api-Key": ADMIN_KEY})

    async def member(self, token: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.post(query, variables, Authorization=f"Bearer {token}")


@pytest_asyncio.fixture
async def gql(app: Starlette) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield GraphQLClient(http)


class StatementCounter(logging.Handler):
    """Counts SQL statements by listening to Tortoise's db-client logger."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.statements.append(record.getMessage())

    def selects(self) -> list[str]:
        return [s for s in self.statements if s.lstrip().upper().startswith("SELECT")]


@pytest.fixture
def sql_statements() -> Iterator[StatementCounter]:
    logger = logging.getLogger("tortoise.db_client")
    counter = StatementCounter()
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(previous)


def with_defaults(settings: Config, **changes: Any) -> Config:
    return replace(settings, registration=replace(settings.registration, **changes))


@pytest.fixture
def mailbox() -> Iterator[Any]:
    from tests.mailbox import Mailbox

    box = Mailbox()
    box.start()
    yield box
    box.stop()


@pytest_asyncio.fixture
async def mail_app(settings: Config, mailbox: Any) -> AsyncIterator[Starlette]:
    """The app delivering mail to a real SMTP server (aiosmtpd) started by the test."""
    configured = replace(settings, smtp_url=mailbox.url, outbox_poll_seconds=0.1, public_url="http://testserver")
    application = create_app(configured, apply_migrations=False)
    async with application.router.lifespan_context(application):
        await truncate_all_models()
        application.state.services.registration_settings.forget()
        yield application


@pytest_asyncio.fixture
async def mail_gql(mail_app: Starlette) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=mail_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield GraphQLClient(http)
