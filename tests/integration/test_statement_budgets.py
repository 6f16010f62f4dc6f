"""The SQL statement budgets of issue 5, with the per-address rate limits on (database buckets).

register ≤ 4, login ≤ 3, a session caller +1: counted through Tortoise's db-client logger,
with the registration settings cached as in production (each process re-reads them every 2 s).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest_asyncio
from tortoise.contrib.test import truncate_all_models

from gql.app import create_app
from gql.config import Config
from tests.conftest import GraphQLClient, StatementCounter
from tests.integration.documents import CURRENT_MEMBER, LOGIN, REGISTER

_TABLE = re.compile(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)', re.IGNORECASE)


def summary(statements: list[str]) -> list[str]:
    """ "INSERT member": each statement's verb and first table."""
    return [f"{s.split(None, 1)[0].upper()} {m.group(1) if (m := _TABLE.search(s)) else ''}" for s in statements]


@pytest_asyncio.fixture
async def limited_gql(settings: Config) -> AsyncIterator[GraphQLClient]:
    application = create_app(replace(settings, rate_limit_scale=1.0, settings_cache_seconds=60), apply_migrations=False)
    async with application.router.lifespan_context(application):
        await truncate_all_models()
        application.state.services.registration_settings.forget()
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            client = GraphQLClient(http)
            await client.anonymous(REGISTER, {"email": "warm@example.com", "password": "warm-password"})
            yield client


async def test_register_login_and_session_caller_within_budget(
    limited_gql: GraphQLClient, sql_statements: StatementCounter
) -> None:
    sql_statements.statements.clear()
    registered = await limited_gql.anonymous(REGISTER, {"email": "budget@example.com", "password": "pw-budget"})
    assert registered["data"]["register"]["__typename"] == "RegisterPayload"
    assert summary(sql_statements.statements) == [
        "INSERT rate_limit_bucket",  # the per-address limit
        "INSERT contact",  # only if no contact has this email (INSERT … WHERE NOT EXISTS)
        "INSERT member",
        "INSERT member_event",  # the audit row, in the same transaction
    ]

    sql_statements.statements.clear()
    session = (await limited_gql.anonymous(LOGIN, {"identity": "budget@example.com", "password": "pw-budget"}))["data"][
        "login"
    ]
    assert session["__typename"] == "LoginPayload"
    # The session is a signed token: logging in writes no session row.
    assert summary(sql_statements.statements) == ["INSERT rate_limit_bucket", "SELECT member", "UPDATE member"]

    sql_statements.statements.clear()
    me = await limited_gql.member(session["sessionToken"], CURRENT_MEMBER)
    assert me["data"]["currentMember"]["loginEmail"] == "budget@example.com"
    assert summary(sql_statements.statements) == ["SELECT member", "SELECT member"]  # the caller, then the member
