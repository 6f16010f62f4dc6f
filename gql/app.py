"""The Starlette app: /graphql (GraphiQL for browsers), health checks, database lifespan."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from cross_web import HTTPException  # what strawberry's views turn into an HTTP error response
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http.types import QueryParams
from tortoise.contrib.starlette import RegisterTortoise

from gql import json_input
from gql.api.context import Context
from gql.config import Settings, load_settings
from gql.db.models import Member
from gql.db.setup import migrate, tortoise_config
from gql.domain.links import PATHS
from gql.domain.services import Services
from gql.domain.tokens import Purpose
from gql.http import install_log_filters
from gql.http import middleware as http_middleware
from gql.pages import confirm_email_page, reset_password_page
from gql.schema import build_schema
from gql.worker import OutboxWorker

logger = logging.getLogger("gql")


class MembersGraphQL(GraphQL[Context, None]):
    def __init__(self, services: Services) -> None:
        config = services.config
        schema = build_schema(
            config.max_query_depth,
            config.max_aliases,
            max_tokens=config.max_tokens,
            max_list_items=config.max_list_items,
            introspection=config.introspection,
        )
        # GraphiQL needs introspection; without it the page would be an empty shell.
        super().__init__(schema, graphql_ide="graphiql" if config.introspection else None)
        self.services = services

    def parse_json(self, data: str | bytes) -> Any:
        """A body that is not UTF-8 JSON holding an object (or a batch list) is a 400, never a 500.

        Strawberry calls this for POST bodies and for GET's ``variables`` and ``extensions``.
        JSON means RFC 8259 here: NaN, Infinity, 1e309 and lone surrogates are refused too
        (gql/json_input.py), before anything is parsed as GraphQL, run or stored."""
        try:
            parsed = json_input.loads(data)
        except json_input.NotFinite:
            raise HTTPException(400, json_input.NOT_FINITE) from None
        except json_input.NotUnicode:
            raise HTTPException(400, json_input.NOT_UNICODE) from None
        except (ValueError, UnicodeDecodeError):
            raise HTTPException(400, "Unable to parse request body as JSON") from None
        except RecursionError:  # [[[[…]]]] nested deeper than Python's stack
            raise HTTPException(400, "The request body is nested too deeply") from None
        if not isinstance(parsed, (dict, list)):
            raise HTTPException(400, "The request body must be a JSON object")
        return parsed

    def parse_query_params(self, params: QueryParams) -> dict[str, Any]:
        """GET: ``query`` and ``operationName`` must be valid Unicode as well (variables: parse_json).

        Starlette decodes the query string with replacement characters, so no surrogate should
        get here; checking costs little and does not depend on that."""
        parsed = super().parse_query_params(params)
        try:
            json_input.require_unicode(parsed)
        except json_input.NotUnicode:
            raise HTTPException(400, json_input.NOT_UNICODE) from None
        return parsed

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        assert isinstance(request, Request)
        return Context.from_request(request, response if isinstance(response, Response) else None, self.services)


async def health(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def ready(_: Request) -> Response:
    """Ready when the database answers."""
    try:
        await Member.exists()
    except Exception:  # any driver error means "not ready"; the detail goes to the log
        logger.warning("readiness check failed", exc_info=True)
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})


def _banner(config: Settings) -> None:
    where = f"http://{config.host}:{config.port}/graphql"
    lines = [f"Members GraphQL server: GraphiQL at {where}", f"Database: {config.database_url}"]
    if config.admin_api_key_generated:
        lines.append(
            f"Backend API key (generated for this run; set MEMBERS_ADMIN_API_KEY to fix it): {config.admin_api_key}"
        )
        lines.append('Send it as the header {"X-Api-Key": "<key>"} (GraphiQL: Headers tab).')
    else:
        lines.append("Backend API key: from MEMBERS_ADMIN_API_KEY (send as X-Api-Key).")
    print("\n".join(lines), flush=True)


def create_app(
    config: Settings | None = None, *, apply_migrations: bool | None = None, run_worker: bool = True
) -> Starlette:
    """Build the app. Migrations run at start-up on SQLite (the embedded default) unless told otherwise;
    on PostgreSQL, run ``python -m gql migrate`` once per deploy, not from every server process."""
    config = config or load_settings()
    services = Services.from_settings(config)
    run_migrations = config.is_sqlite if apply_migrations is None else apply_migrations

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        if run_migrations:
            await migrate(config.database_url)
        async with RegisterTortoise(app, config=tortoise_config(config.database_url)):
            await services.settings.get()  # creates the settings row from the env defaults on a fresh database
            worker = OutboxWorker(services)
            delivery = asyncio.create_task(worker.run(), name="outbox-worker") if run_worker else None
            _banner(config)
            try:
                yield {}
            finally:
                worker.stop()
                if delivery is not None:
                    await delivery
                services.close()
                await services.rate_limits.close()

    app = Starlette(
        routes=[
            Route("/graphql", MembersGraphQL(services), methods=["GET", "POST"]),
            Route(PATHS[Purpose.CONFIRM], confirm_email_page),
            Route(PATHS[Purpose.RESET], reset_password_page, methods=["GET", "POST"]),
            Route("/health", health),
            Route("/ready", ready),
        ],
        lifespan=lifespan,
        middleware=http_middleware(config),
    )
    # Starlette would answer /reset-password/ (and every route with a slash added or cut)
    # with a redirect whose Location it builds from the request's Host header: any Host
    # sent would become the link's site. No response here builds a URL from the request;
    # emailed links use MEMBERS_PUBLIC_URL (Settings.link_base).
    app.router.redirect_slashes = False
    install_log_filters()
    app.state.services = services
    return app


def __getattr__(name: str) -> Any:
    # `uvicorn gql.app:app` builds the app from the environment on first access only,
    # so importing this module (tests, tools) never reads the environment.
    if name == "app":
        return create_app()
    raise AttributeError(name)
