"""Fixtures of the integration tests beyond tests/conftest.py's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import replace
from typing import Any

import httpx
import pytest_asyncio
from tortoise.contrib.test import truncate_all_models

from gql.app import create_app
from gql.config import Config
from gql.domain.roles import ensure_built_in_roles
from gql.domain.services import Services
from tests.clock import ManualClock
from tests.conftest import GraphQLClient
from tests.integration.external_harness import external  # noqa: F401  (external sign-in: the app and provider)
from tests.integration.session_harness import Harness, Start
from tests.oidc.harness import openid_provider  # noqa: F401  (a real OpenID Provider, once per run)


@pytest_asyncio.fixture
async def start(settings: Config) -> AsyncIterator[Start]:
    """``await start(max_sessions=2, …)``: the app with those settings on an emptied database."""
    async with AsyncExitStack() as stack:

        async def make(**changes: Any) -> Harness:
            clock = ManualClock()
            application = create_app(replace(settings, **changes), apply_migrations=False)
            services: Services = application.state.services
            services.clock = clock
            await stack.enter_async_context(application.router.lifespan_context(application))
            await truncate_all_models()
            services.registration_settings.forget()
            await ensure_built_in_roles()
            transport = httpx.ASGITransport(app=application)
            http = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=transport, base_url="http://testserver", headers={"User-Agent": "test-agent/1"}
                )
            )
            return Harness(GraphQLClient(http), services, clock)

        yield make
