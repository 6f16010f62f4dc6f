"""The bare comparison app: one Starlette endpoint, the product's members query, no GraphQL.

It runs the same Tortoise query as ``gql.domain.members.list_members`` for a backend
caller's first page (ordered by created date, one extra row to tell whether more
follow, contact by JOIN), encrypts its cursors with the product's codec, and returns the
same JSON as the product's answer to ``bench.documents.MEMBERS`` (cursors aside: each is
encrypted afresh, so no two answers share one). The product's throughput over this one's
is what the GraphQL layer costs. It belongs to the benchmark only: ``python -m bench.bare``.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from tortoise.contrib.starlette import RegisterTortoise

from bench.processes import SECRET_KEY
from gql.db.models import Member
from gql.db.setup import tortoise_config
from gql.domain.cursors import Cursors, Position
from gql.domain.members import MemberSort, keyset_for

# The product's codec and listing (gql/domain/members.py), so both apps do the same work per edge.
_CURSORS = Cursors(SECRET_KEY)
_BY_CREATED_DATE = keyset_for(MemberSort()).listing


def _cursor(member: Member) -> str:
    return _CURSORS.encode(_BY_CREATED_DATE, Position(member.created_at, member.id))


def _node(member: Member) -> dict[str, Any]:
    contact = member.contact
    return {
        "id": str(member.id),
        "loginEmail": member.login_email,
        "status": member.status,
        "privacyStatus": member.privacy_status,
        "createdDate": member.created_at.isoformat(),
        "profile": {"nickname": member.nickname, "slug": member.slug},
        "contact": {
            "firstName": contact.first_name,
            "lastName": contact.last_name,
            "customFields": contact.custom_fields,
        },
    }


async def members(request: Request) -> Response:
    first = int((await request.json()).get("variables", {}).get("first", 50))
    rows = await Member.all().order_by("created_at", "id").limit(first + 1).select_related("contact")
    edges = [{"cursor": _cursor(row), "node": _node(row)} for row in rows[:first]]
    page_info = {"hasNextPage": len(rows) > first, "endCursor": edges[-1]["cursor"] if edges else None}
    return JSONResponse({"data": {"members": {"edges": edges, "pageInfo": page_info}}})


async def health(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


def create_app(database_url: str) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with RegisterTortoise(app, config=tortoise_config(database_url)):
            yield

    return Starlette(routes=[Route("/members", members, methods=["POST"]), Route("/health", health)], lifespan=lifespan)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bare")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # The product's uvicorn settings (gql/__main__.py), so only the application differs.
    uvicorn.run(create_app(args.database_url), host="127.0.0.1", port=args.port, log_level="info")


if __name__ == "__main__":
    main()
