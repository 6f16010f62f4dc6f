"""The bare comparison app: plain Starlette endpoints doing the product's lookups, no GraphQL.

``/members`` (figure 3) runs the same Tortoise query as ``gql.domain.members.list_members``
for a backend caller's first page (ordered by created date, one extra row to tell whether
more follow, contact by JOIN), encrypts its cursors with the product's codec, and returns
the same JSON as the product's answer to ``bench.documents.MEMBERS`` (cursors aside: each
is encrypted afresh, so no two answers share one). The product's throughput over this
one's is what the GraphQL layer costs.

``/current-member`` and ``/member`` (figure 8) call the product's own domain functions
with the product's own ``Services``: the Bearer token resolved by ``caller_for_session``,
the member read by ``current_member`` and its roles by ``roles_of_members`` (what the
``roles`` loader calls); the X-Api-Key compared in constant time and its address's
wrong-key bucket looked at (as ``RequestPolicy.guard_api_key`` does), then ``get_member``. Both answer
the JSON the product answers to ``bench.documents.CURRENT_MEMBER`` and ``MEMBER``, so the
product's CPU per request over this app's is what its GraphQL layer and middleware add.

It belongs to the benchmark only: ``python -m bench.bare``.
"""

from __future__ import annotations

import argparse
import hmac
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
from gql.config import load_config
from gql.db.models import Member
from gql.db.setup import tortoise_config
from gql.domain.caller import Caller, CallerKind
from gql.domain.cursors import Cursors, Position
from gql.domain.members import MemberSort, current_member, get_member, keyset_for
from gql.domain.records import MemberRecord
from gql.domain.roles import roles_of_members
from gql.domain.services import Services
from gql.domain.sessions import caller_for_session
from gql.http import client_address

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


def _member(record: MemberRecord) -> dict[str, Any]:
    """``bench.documents.MEMBER_FIELDS`` of the full view, as the product's types serialise it."""
    contact = record.contact
    return {
        "id": str(record.id),
        "profile": {"nickname": record.profile.nickname, "slug": record.profile.slug},
        "loginEmail": record.login_email,
        "status": record.status.name,
        "privacyStatus": record.privacy_status.name,
        "createdDate": record.created_at.isoformat(),
        "contact": {
            "firstName": contact.first_name,
            "lastName": contact.last_name,
            "customFields": dict(contact.custom_fields),
        },
    }


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def current_member_route(request: Request) -> Response:
    """``currentMember { id loginEmail roles { name } }`` for the Bearer session, else null."""
    services = _services(request)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    address = client_address(request, services.config.trusted_proxies)
    user_agent = request.headers.get("user-agent")
    caller = (
        await caller_for_session(services, token, address, user_agent) if scheme.lower() == "bearer" and token else None
    )
    record = await current_member(caller) if caller is not None else None
    if record is None:
        return JSONResponse({"data": {"currentMember": None}})
    held = (await roles_of_members([(record.id, record.status)]))[record.id]
    found = {"id": str(record.id), "loginEmail": record.login_email, "roles": [{"name": role.name} for role in held]}
    return JSONResponse({"data": {"currentMember": found}})


async def member_route(request: Request) -> Response:
    """``member(id)`` for the admin X-Api-Key (scoped keys are not the bare app's concern)."""
    services = _services(request)
    address = client_address(request, services.config.trusted_proxies)
    key = request.headers.get("x-api-key")
    if key is None or not hmac.compare_digest(key.encode(), services.config.admin_api_key.encode()):
        await services.rate_limits.hit("api-key", address)
        return JSONResponse({"errors": [{"message": "Invalid API key."}]}, status_code=401)
    # RequestPolicy.guard_api_key's one statement for the right key: is this address's wrong-key bucket empty?
    if not (await services.rate_limits.peek("api-key", address)).allowed:
        return JSONResponse({"errors": [{"message": "Too many requests."}]}, status_code=429)
    member_id = str((await request.json()).get("variables", {}).get("id", ""))
    caller = Caller(CallerKind.BACKEND, address=address, user_agent=request.headers.get("user-agent"))
    view = await get_member(caller, member_id)
    if view is not None and not isinstance(view, MemberRecord):  # the backend sees every field
        raise TypeError(f"the backend got a partial view: {type(view).__name__}")
    return JSONResponse({"data": {"member": _member(view) if view is not None else None}})


async def health(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


def create_app(database_url: str) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # The product's services from the same environment as the product's process
        # (bench/processes.py): its config, clock, rate limits and settings cache.
        services = Services.from_config(load_config())
        app.state.services = services
        async with RegisterTortoise(app, config=tortoise_config(database_url)):
            try:
                yield
            finally:
                services.close()
                await services.event_feed.close()
                await services.rate_limits.close()

    routes = [
        Route("/members", members, methods=["POST"]),
        Route("/current-member", current_member_route, methods=["POST"]),
        Route("/member", member_route, methods=["POST"]),
        Route("/health", health),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bare")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # The product's uvicorn settings (gql/__main__.py), so only the application differs.
    # proxy_headers=False as there: uvicorn's proxy-headers middleware would run for the bare app only.
    uvicorn.run(create_app(args.database_url), host="127.0.0.1", port=args.port, log_level="info", proxy_headers=False)


if __name__ == "__main__":
    main()
