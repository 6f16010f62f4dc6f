"""The benchmark's bare app (bench/bare.py) answers figure 8's calls as the product does, with the same
statements: otherwise its CPU per request is no baseline for the product's (BENCHMARKS.md, figure 8).

The bare routes run here on the product's own services and database (one Tortoise per process),
beside the product app, with the per-address rate limits on as in the benchmark.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest_asyncio
from starlette.applications import Starlette
from starlette.routing import Route

from bench import bare
from bench import documents as doc
from gql.config import Config
from gql.domain.roles import ensure_built_in_roles
from tests.conftest import ADMIN_KEY, new_app, running
from tests.logs import counting_statements, summary

PASSWORD = "bare-password-1234"


class Pair:
    """The product (POST /graphql) and the bare app (POST to its own route), in-process."""

    def __init__(self, product: httpx.AsyncClient, plain: httpx.AsyncClient) -> None:
        self.product, self.plain = product, plain

    async def both(
        self, query: str, variables: dict[str, Any], headers: dict[str, str], path: str
    ) -> tuple[tuple[Any, list[str]], tuple[Any, list[str]]]:
        """Each side's answer and its statements (verb and table), the product first."""
        answers = []
        for client, route in ((self.product, "/graphql"), (self.plain, path)):
            with counting_statements() as log:
                response = await client.post(route, json={"query": query, "variables": variables}, headers=headers)
            assert response.status_code == 200, response.text
            answers.append((response.json(), [summary(s) for s in log.sql()]))
        return answers[0], answers[1]


@pytest_asyncio.fixture
async def pair(settings: Config) -> AsyncIterator[Pair]:
    # The benchmark's settings: rate limits on (the wrong-key bucket is read), settings cached.
    product_app = new_app(replace(settings, rate_limit_scale=1.0, settings_cache_seconds=60))
    async with running(product_app) as services:
        await services.registration_settings.get()
        await ensure_built_in_roles()
        routes = [
            Route("/current-member", bare.current_member_route, methods=["POST"]),
            Route("/member", bare.member_route, methods=["POST"]),
        ]
        plain_app = Starlette(routes=routes)
        plain_app.state.services = services
        async with (
            httpx.AsyncClient(transport=httpx.ASGITransport(app=product_app), base_url="http://testserver") as mine,
            httpx.AsyncClient(transport=httpx.ASGITransport(app=plain_app), base_url="http://testserver") as plain,
        ):
            yield Pair(mine, plain)


async def _registered(pair: Pair, email: str) -> dict[str, Any]:
    response = await pair.product.post(
        "/graphql", json={"query": doc.REGISTER, "variables": doc.register_variables(email, PASSWORD)}
    )
    return doc.success(response.json(), "register", "RegisterPayload")


async def test_current_member_is_answered_alike_with_the_same_statements(pair: Pair) -> None:
    token = (await _registered(pair, "bare@example.com"))["sessionToken"]
    bearer = {"Authorization": f"Bearer {token}"}
    await pair.both(doc.CURRENT_MEMBER, {}, bearer, "/current-member")  # the settings cache, warm

    (mine, mine_sql), (plain, plain_sql) = await pair.both(doc.CURRENT_MEMBER, {}, bearer, "/current-member")

    found = doc.data(mine, "currentMember")
    assert found["loginEmail"] == "bare@example.com"
    assert found["roles"], "a registered member holds a computed role"
    assert plain == mine
    assert plain_sql == mine_sql
    assert mine_sql[0] == "SELECT session"


async def test_an_unknown_token_is_nobody_on_both_sides(pair: Pair) -> None:
    unknown = {"Authorization": "Bearer " + "A" * 43}

    (mine, _), (plain, _) = await pair.both(doc.CURRENT_MEMBER, {}, unknown, "/current-member")

    assert mine == plain == {"data": {"currentMember": None}}


async def test_member_by_id_is_answered_alike_with_the_same_statements(pair: Pair) -> None:
    member_id = (await _registered(pair, "looked-up@example.com"))["member"]["id"]
    backend = {"X-Api-Key": ADMIN_KEY}

    (mine, mine_sql), (plain, plain_sql) = await pair.both(doc.MEMBER, {"id": member_id}, backend, "/member")

    assert doc.data(mine, "member")["id"] == member_id
    assert plain == mine
    assert plain_sql == mine_sql == ["SELECT rate_limit_bucket", "SELECT member"]


async def test_the_bare_member_route_refuses_a_wrong_key(pair: Pair) -> None:
    response = await pair.plain.post(
        "/member", json={"query": doc.MEMBER, "variables": {"id": "x"}}, headers={"X-Api-Key": "wrong"}
    )

    assert response.status_code == 401
    assert "data" not in response.json()
