"""The SQL statement budgets (issues 5 and 13), with the per-address rate limits on (database buckets).

login ≤ 4 including the session's INSERT (≤ 3 with Redis buckets), a Bearer request resolves its
caller in one SELECT (and writes the session's last-seen time at most once a minute), register
5 (issue 5's 4, plus the session it opens), and a page of members with their sessions one query
more, not one per member. Counted through Tortoise's db-client logger, with the registration
settings cached as in production (each process re-reads them every 2 s).
"""

from __future__ import annotations

import asyncio
import os
import types
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
import pytest_asyncio
from starlette.applications import Starlette

from gql.config import Config
from gql.db import sweep
from gql.db.models import OutboxMessage
from tests.clock import ManualClock
from tests.conftest import GraphQLClient, client_of, new_app, running
from tests.integration.documents import CURRENT_MEMBER, LOGIN, REGISTER
from tests.logs import StatementCounter
from tests.logs import summary as statement_summary
from tests.passwordless import REQUEST as REQUEST_CODE
from tests.passwordless import WITH_CODE, issued

REDIS_URL = os.environ.get("MEMBERS_TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"
PASSWORDLESS_ON = """mutation { updateRegistrationSettings(input: { passwordlessLogin: true }) { __typename } }"""
SESSIONS_PAGE = """query { members(first: 20) { edges { node { ... on Member { id sessions { id method } } } } } }"""


@pytest.fixture(autouse=True)
def no_chance_sweeps(monkeypatch: pytest.MonkeyPatch) -> None:
    """The now-and-then sweeps (gql/db/sweep.py: a DELETE of stale rate-limit buckets on one take in
    500, by chance) are not part of any request's budget: here they never fire, so a budget is never
    off by a sweep that happened to land on the measured request."""
    monkeypatch.setattr(sweep, "random", types.SimpleNamespace(random=lambda: 1.0))


def summary(statements: list[str]) -> list[str]:
    """ "INSERT member": each statement's verb and first table."""
    return [statement_summary(s) for s in statements]


async def _client(application: Starlette) -> AsyncIterator[GraphQLClient]:
    async with running(application), client_of(application) as client:
        await client.anonymous(REGISTER, {"email": "warm@example.com", "password": "warm-password"})
        yield client


@pytest_asyncio.fixture
async def limited_app(settings: Config, clock: ManualClock) -> Starlette:
    # Last-seen writes go by the clock (the rate limits keep the real one).
    return new_app(replace(settings, rate_limit_scale=1.0, settings_cache_seconds=60), clock=clock)


@pytest_asyncio.fixture
async def limited_gql(limited_app: Starlette) -> AsyncIterator[GraphQLClient]:
    async for client in _client(limited_app):
        yield client


async def _login(client: GraphQLClient, email: str, password: str) -> dict:
    result = (await client.anonymous(LOGIN, {"identity": email, "password": password}))["data"]["login"]
    assert result["__typename"] == "LoginPayload", result
    return result


async def test_register_login_and_session_caller_within_budget(
    limited_gql: GraphQLClient, sql_statements: StatementCounter, clock: ManualClock
) -> None:
    sql_statements.statements.clear()
    registered = await limited_gql.anonymous(REGISTER, {"email": "budget@example.com", "password": "pw-budget"})
    assert registered["data"]["register"]["__typename"] == "RegisterPayload"
    assert summary(sql_statements.statements) == [
        "INSERT rate_limit_bucket",  # the per-address limit
        "INSERT contact",  # only if no contact has this email (INSERT … WHERE NOT EXISTS)
        "INSERT member",
        "INSERT member_event",  # the audit row, in the same transaction
        "INSERT session",  # the session it signs in with
    ]

    sql_statements.statements.clear()
    session = await _login(limited_gql, "budget@example.com", "pw-budget")
    assert summary(sql_statements.statements) == [
        "INSERT rate_limit_bucket",
        "SELECT member",
        "UPDATE member",  # the login's stamp, unless locked out at that moment
        "INSERT session",  # also checks the session limit, and counts the others for END_OLDEST
    ]

    sql_statements.statements.clear()
    me = await limited_gql.member(session["sessionToken"], CURRENT_MEMBER)
    assert me["data"]["currentMember"]["loginEmail"] == "budget@example.com"
    # The caller is one SELECT: the session by its token's hash, joined with its member.
    assert summary(sql_statements.statements) == ["SELECT session", "SELECT member"]  # the caller, then the member
    assert " JOIN " in sql_statements.statements[0].upper() and '"member"' in sql_statements.statements[0]

    # Within a minute no request writes; the first one after it records the activity once.
    for seconds, expected in (
        (59, ["SELECT session", "SELECT member"]),
        (2, ["SELECT session", "UPDATE session", "SELECT member"]),
        (1, ["SELECT session", "SELECT member"]),
    ):
        clock.advance(seconds)
        sql_statements.statements.clear()
        me = await limited_gql.member(session["sessionToken"], CURRENT_MEMBER)
        assert me["data"]["currentMember"] is not None
        assert summary(sql_statements.statements) == expected, seconds


async def test_a_page_of_members_reads_all_their_sessions_in_one_query(
    limited_gql: GraphQLClient, sql_statements: StatementCounter, clock: ManualClock
) -> None:
    for n in range(5):
        await limited_gql.anonymous(REGISTER, {"email": f"page{n}@example.com", "password": "pw-budget"})
        clock.advance(1)
        await _login(limited_gql, f"page{n}@example.com", "pw-budget")
    sql_statements.statements.clear()
    page = await limited_gql.backend(SESSIONS_PAGE)
    nodes = [edge["node"] for edge in page["data"]["members"]["edges"]]
    assert len(nodes) == 6 and all(node["sessions"] for node in nodes)
    assert [s["method"] for s in nodes[1]["sessions"]] == ["PASSWORD", "REGISTRATION"]  # newest first
    # The api-key bucket, the page, and every member's sessions at once.
    assert summary(sql_statements.statements) == ["SELECT rate_limit_bucket", "SELECT member", "SELECT session"]


@pytest_asyncio.fixture
async def redis_gql(settings: Config) -> AsyncIterator[GraphQLClient]:
    prefix = f"members-budget-{uuid.uuid4().hex[:8]}:"
    configured = replace(
        settings, rate_limit_scale=1.0, settings_cache_seconds=60, redis_url=REDIS_URL, redis_prefix=prefix
    )
    async for client in _client(new_app(configured)):
        yield client


async def test_login_with_redis_buckets_is_three_statements(
    redis_gql: GraphQLClient, sql_statements: StatementCounter
) -> None:
    await redis_gql.anonymous(REGISTER, {"email": "redis-budget@example.com", "password": "pw-budget"})
    sql_statements.statements.clear()
    await _login(redis_gql, "redis-budget@example.com", "pw-budget")
    assert summary(sql_statements.statements) == ["SELECT member", "UPDATE member", "INSERT session"]


async def test_login_with_code_within_budget(limited_gql: GraphQLClient, sql_statements: StatementCounter) -> None:
    """loginWithCode (issue 14 §4): the bucket, one conditional UPDATE that spends an attempt and
    reads the code's digest, the member, then the code's DELETE, the login's stamp, the session
    and the audit row in one transaction — for a member whose email a code already confirmed."""
    await limited_gql.anonymous(REGISTER, {"email": "code-budget@example.com", "password": "pw-budget"})
    assert (await limited_gql.backend(PASSWORDLESS_ON))["data"]["updateRegistrationSettings"]
    for round_ in ("confirms", "measured"):
        requested = await limited_gql.anonymous(REQUEST_CODE, {"email": "code-budget@example.com"})
        assert requested["data"]["requestLoginCode"]["__typename"] == "RequestLoginCodePayload"
        services = limited_gql.http._transport.app.state.services  # type: ignore[attr-defined]
        code, _ = await issued(services, "code-budget@example.com")
        while await OutboxMessage.filter(status="PENDING").exists():  # the app's worker has mail to send
            await asyncio.sleep(0.01)
        sql_statements.statements.clear()
        body = await limited_gql.anonymous(WITH_CODE, {"email": "code-budget@example.com", "code": code})
        assert body["data"]["loginWithCode"]["__typename"] == "LoginPayload", (round_, body)
    # (The app's outbox worker may look for due mail meanwhile: its SELECT is not the mutation's.)
    assert [s for s in summary(sql_statements.statements) if s != "SELECT outbox"] == [
        "INSERT rate_limit_bucket",
        "UPDATE login_code",  # spends an attempt, RETURNING the code's digest
        "SELECT member",
        "DELETE login_code",  # the code is used: only if it is still the one checked
        "UPDATE member",  # the login's stamp
        "INSERT session",
        "INSERT member_event",
    ]
