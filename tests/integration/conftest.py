"""Fixtures of the integration tests beyond tests/conftest.py's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import replace
from typing import Any

import pytest
import pytest_asyncio

from gql.config import Config
from gql.domain.services import Services
from tests.clock import ManualClock
from tests.conftest import GraphQLClient, client_of, new_app, running
from tests.integration.external_harness import external  # noqa: F401  (external sign-in: the app and provider)
from tests.integration.session_harness import Harness, Start, launch
from tests.oidc.harness import openid_provider  # noqa: F401  (a real OpenID Provider, once per run)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def clocked(services: Services, clock: ManualClock) -> Services:
    """The app's services going by ``clock``, with a small lockout: 3 failures lock an address
    for 60 s, doubling up to 240 s; 3 addresses lock the account."""
    config = replace(
        services.config, lockout_threshold=3, lockout_seconds=60, lockout_max_seconds=240, lockout_addresses=3
    )
    return replace(services, config=config, clock=clock)


@pytest_asyncio.fixture
async def start(settings: Config) -> AsyncIterator[Start]:
    """``await start(max_sessions=2, …)``: the app with those settings on an emptied database."""
    async with AsyncExitStack() as stack:

        async def make(**changes: Any) -> Harness:
            launched = await launch(stack, replace(settings, **changes), **{"User-Agent": "test-agent/1"})
            return Harness(*launched)

        yield make


@pytest_asyncio.fixture
async def limited(settings: Config) -> AsyncIterator[GraphQLClient]:
    """The app with the rate limits at a tenth: 3 calls of a 30-per-5-minutes bucket (login's,
    the contact deletions') per address."""
    application = new_app(replace(settings, rate_limit_scale=0.1))
    async with running(application), client_of(application) as client:
        yield client
