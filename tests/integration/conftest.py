"""Fixtures of the integration tests beyond tests/conftest.py's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import replace
from typing import Any

import pytest_asyncio

from gql.config import Config
from gql.domain.roles import ensure_built_in_roles
from tests.clock import ManualClock
from tests.conftest import GraphQLClient, client_of, new_app, running
from tests.integration.session_harness import Harness, Start


@pytest_asyncio.fixture
async def start(settings: Config) -> AsyncIterator[Start]:
    """``await start(max_sessions=2, …)``: the app with those settings on an emptied database."""
    async with AsyncExitStack() as stack:

        async def make(**changes: Any) -> Harness:
            clock = ManualClock()
            application = new_app(replace(settings, **changes), clock=clock)
            services = await stack.enter_async_context(running(application))
            await ensure_built_in_roles()
            client = await stack.enter_async_context(client_of(application, **{"User-Agent": "test-agent/1"}))
            return Harness(client, services, clock)

        yield make


@pytest_asyncio.fixture
async def limited(settings: Config) -> AsyncIterator[GraphQLClient]:
    """The app with the rate limits at a tenth: 3 calls of a 30-per-5-minutes bucket (login's,
    the contact deletions') per address."""
    application = new_app(replace(settings, rate_limit_scale=0.1))
    async with running(application), client_of(application) as client:
        yield client
