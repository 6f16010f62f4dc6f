"""Test harness: one database per pytest process, emptied before each test.

``MEMBERS_TEST_DATABASE=sqlite`` (default) or ``postgres`` (see tests/databases.py). The
in-process tests run on one copy of the run's migrated template (``TEMPLATE``), e2e and attack
servers on copies of their own. Tortoise caches executors per table, not per dialect, so the two
backends always run in separate pytest processes (the Makefile does that).

``new_app`` / ``running`` / ``client_of`` are the one way a test builds the app, starts its
lifespan on an emptied database and talks GraphQL to it in-process.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from tortoise.contrib.test import truncate_all_models

from gql.app import create_app
from gql.config import Config
from gql.domain.clock import Clock
from gql.domain.registration_settings import RegistrationSettings
from gql.domain.roles import ensure_built_in_roles
from gql.domain.services import Services
from tests.databases import TEMPLATE
from tests.logs import StatementCounter, counting_statements
from tests.mailbox import Mailbox

ADMIN_KEY = "test-admin-key"
SECRET = "test-secret-key-that-is-long-enough-0123456789"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    TEMPLATE.close()


@pytest.fixture(scope="session")
def template_database() -> str:
    """The run's migrated template (SQLite file or PostgreSQL database); tests use copies."""
    return TEMPLATE.url()


@pytest.fixture(scope="session")
def database_url(template_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The in-process tests' database: one copy of the template for the session."""
    with TEMPLATE.copy(tmp_path_factory.mktemp("database")) as url:
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


def new_app(config: Config, *, clock: Clock | None = None, run_worker: bool = True, **services: Any) -> Starlette:
    """The real app on the test database (migrated already), going by ``clock`` if given;
    ``services`` replace the app's own (``outbox_wakeup=…``) before anything has used them."""
    application = create_app(config, apply_migrations=False, run_worker=run_worker)
    if clock is not None:
        services["clock"] = clock
    for name, value in services.items():
        assert hasattr(application.state.services, name), name
        setattr(application.state.services, name, value)
    return application


@asynccontextmanager
async def running(application: Starlette) -> AsyncIterator[Services]:
    """The app's lifespan (database open, worker started) on an emptied database, with the
    registration settings read afresh; its services."""
    async with application.router.lifespan_context(application):
        await truncate_all_models()
        application.state.services.registration_settings.forget()
        yield application.state.services


@asynccontextmanager
async def client_of(application: Starlette, **headers: str) -> AsyncIterator[GraphQLClient]:
    """A GraphQL client posting to ``application`` in-process (same event loop)."""
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", headers=headers) as http:
        yield GraphQLClient(http)


@pytest_asyncio.fixture
async def app(settings: Config) -> AsyncIterator[Starlette]:
    """The real app with its lifespan running (database open), on an emptied database."""
    application = new_app(settings)
    async with running(application) as services:
        await services.registration_settings.get()
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
    async with client_of(app) as client:
        yield client


@pytest.fixture
def sql_statements() -> Iterator[StatementCounter]:
    with counting_statements() as counter:
        yield counter


def with_defaults(settings: Config, **changes: Any) -> Config:
    return replace(settings, registration=replace(settings.registration, **changes))


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on a free port, for one test."""
    with Mailbox() as box:
        yield box


@asynccontextmanager
async def mailing_app(
    settings: Config, mailbox: Mailbox, *, poll_seconds: float, **services: Any
) -> AsyncIterator[Starlette]:
    """The app running, delivering mail to ``mailbox``, its worker polling every ``poll_seconds``."""
    configured = replace(
        settings, smtp_url=mailbox.url, outbox_poll_seconds=poll_seconds, public_url="http://testserver"
    )
    application = new_app(configured, **services)
    async with running(application):
        yield application


@pytest_asyncio.fixture
async def mail_app(settings: Config, mailbox: Mailbox) -> AsyncIterator[Starlette]:
    """The app delivering mail to a real SMTP server (aiosmtpd) started by the test."""
    async with mailing_app(settings, mailbox, poll_seconds=0.1) as application:
        yield application


@pytest_asyncio.fixture
async def mail_gql(mail_app: Starlette) -> AsyncIterator[GraphQLClient]:
    async with client_of(mail_app) as client:
        yield client
