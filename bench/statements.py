"""Figure 4: SQL statements per operation, counted (not timed) in-process.

The product app runs in this process over httpx's ASGI transport, and every statement
Tortoise sends is seen through its ``tortoise.db_client`` logger at DEBUG (the tests'
StatementCounter, tests/logs.py). Counts do not depend on timing or on the bcrypt cost,
so this runs on a scratch database at the lowest cost.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from starlette.applications import Starlette

from bench import documents as doc
from bench.load import BACKEND
from bench.processes import ADMIN_KEY, RATE_LIMIT_SCALE, SECRET_KEY
from bench.report import Figure
from gql.app import create_app
from gql.config import Config
from tests.logs import counting_statements, summary

PASSWORD = "count-password-1234"
PAGE_SIZE = 20


async def _count(operation: Callable[[], Awaitable[Any]]) -> tuple[int, list[str]]:
    with counting_statements() as log:
        await operation()
    return len(log.sql()), log.sql()


async def count_statements(database_url: str) -> list[Figure]:
    settings = Config(
        database_url=database_url,
        environment="test",
        admin_api_key=ADMIN_KEY,
        secret_key=SECRET_KEY,
        bcrypt_cost=4,
        hash_threads=1,
        rate_limit_scale=RATE_LIMIT_SCALE,
        # The per-process copy of the registration settings stays warm throughout, as between two
        # re-reads in production: a Bearer request without a second factor reads the MFA policy there.
        settings_cache_seconds=60,
    )
    app = create_app(settings, apply_migrations=False)
    # The app prints its start-up banner; this process's stdout is the result table.
    with contextlib.redirect_stdout(io.StringIO()):
        return await _count_all(app)


async def _count_all(app: Starlette) -> list[Figure]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:

            async def post(query: str, variables: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
                response = await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
                response.raise_for_status()
                return response.json()

            # A full page of PUBLIC members for anonymous callers, and warm caches (settings, parser).
            for k in range(PAGE_SIZE + 1):
                doc.success(
                    await post(doc.REGISTER, doc.register_variables(f"count{k}@bench.example", PASSWORD, public=True)),
                    "register",
                    "RegisterPayload",
                )
            session = doc.success(
                await post(doc.LOGIN, {"identity": "count0@bench.example", "password": PASSWORD}),
                "login",
                "LoginPayload",
            )
            bearer = {"Authorization": f"Bearer {session['sessionToken']}"}
            member_id = session["member"]["id"]
            page = {"first": PAGE_SIZE}

            async def register() -> None:
                answer = await post(
                    doc.REGISTER, doc.register_variables("counted@bench.example", PASSWORD, public=True)
                )
                doc.success(answer, "register", "RegisterPayload")

            async def register_taken_slug() -> None:
                variables = doc.register_variables("twin@bench.example", PASSWORD, last_name="count0")
                doc.success(await post(doc.REGISTER, variables), "register", "RegisterPayload")

            async def login() -> None:
                doc.success(
                    await post(doc.LOGIN, {"identity": "count1@bench.example", "password": PASSWORD}),
                    "login",
                    "LoginPayload",
                )

            async def members_anonymous() -> None:
                doc.members_page(await post(doc.MEMBERS, page), PAGE_SIZE)

            async def members_member() -> None:
                doc.members_page(await post(doc.MEMBERS, page, bearer), PAGE_SIZE)

            async def members_backend() -> None:
                doc.members_page(await post(doc.MEMBERS, page, BACKEND), PAGE_SIZE)

            async def member() -> None:
                doc.data(await post(doc.MEMBER, {"id": member_id}, BACKEND), "member")

            # (name, operation, comparison, target); "" marks a figure shown without a target.
            cases: list[tuple[str, Callable[[], Awaitable[None]], str, int]] = [
                ("SQL/op: members page, anonymous", members_anonymous, "==", 1),
                # A request with an X-Api-Key first looks at its address's wrong-key bucket (one
                # primary-key read; a Redis call with MEMBERS_REDIS_URL): docs/SECURITY.md, "api-key".
                ("SQL/op: members page, backend key", members_backend, "==", 2),
                # The session (joined with its member), then the member's grants: what it may see
                # depends on its roles since issue 11 (one SELECT over its roles and its badges' roles).
                ("SQL/op: members page, Bearer session", members_member, "==", 3),
                ("SQL/op: member(id), backend key", member, "==", 2),
                ("SQL/op: register", register, "<=", 5),  # issue 5's 4, plus the session it opens (issue 13)
                ("SQL/op: register, nickname taken", register_taken_slug, "", 0),
                ("SQL/op: login", login, "<=", 4),  # with the session row (issue 13; 3 with Redis buckets)
            ]
            figures = []
            for name, operation, comparison, target in cases:
                count, messages = await _count(operation)
                detail = ", ".join(summary(m) for m in messages)
                figures.append(Figure(name, count, comparison or None, target if comparison else None, detail=detail))
            return figures
