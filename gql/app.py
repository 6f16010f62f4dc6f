"""The Starlette app: /graphql (GraphiQL for browsers), health checks, database lifespan.

``MembersGraphQL`` is Strawberry's ASGI view with GraphQL over HTTP done as the spec says
(``gql/api/responses.py``: media types and status codes), persisted queries
(``gql/api/persisted_queries.py``) and every refusal a JSON body with ``extensions.code``.
The same view serves subscriptions on the same path over WebSocket (graphql-transport-ws
only; gql/api/websocket.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException  # what strawberry's views raise to refuse a request
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.http.types import QueryParams
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.unset import UNSET
from tortoise.contrib.starlette import RegisterTortoise

from gql import json_input, playground
from gql.api.context import Context
from gql.api.persisted_queries import PersistedQueries, PersistedQueryError
from gql.api.responses import GRAPHQL_RESPONSE, JSON, is_request_error, negotiate, status_for
from gql.api.websocket import ConnectionCounts, SubscriptionConnection
from gql.config import Config, load_config
from gql.console.pages import routes as console_routes
from gql.db.models import Member
from gql.db.setup import migrate, tortoise_config
from gql.dev_mailbox import PATH as MAILBOX_PATH
from gql.dev_mailbox import DevMailbox, mailbox_page
from gql.domain.errors import ErrorCode
from gql.domain.links import PATHS
from gql.domain.passwordless import LOGIN_LINK_PATH
from gql.domain.roles import ensure_built_in_roles
from gql.domain.services import Services
from gql.domain.tokens import Purpose
from gql.http import error_response, install_log_filters
from gql.http import middleware as http_middleware
from gql.pages import confirm_email_page, home_page, login_link_page, reset_password_page
from gql.passkey_page import PASSKEY_PAGE_PATH, passkey_test_page
from gql.schema import build_schema
from gql.templating import templates_for
from gql.well_known import DISCOVERY_PATH, JWKS_PATH, jwks, openid_configuration
from gql.worker import OutboxWorker

logger = logging.getLogger("gql")

_MEDIA_TYPE = "graphql_media_type"  # the request's state key of MembersGraphQL.media_type


class MembersGraphQL(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = SubscriptionConnection

    def __init__(self, services: Services) -> None:
        config = services.config
        schema = build_schema(
            config.max_query_depth,
            config.max_aliases,
            max_tokens=config.max_tokens,
            max_list_items=config.max_list_items,
            introspection=config.introspection,
        )
        super().__init__(
            schema,
            # GraphiQL needs introspection; without it the page would be an empty shell.
            graphql_ide="graphiql" if config.introspection else None,
            # The legacy graphql-ws (subscriptions-transport-ws) protocol stays off: one protocol to secure.
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=config.subscription_init_timeout_seconds),
            # Counted by SubscriptionConnection, whose refusal carries code 3207.
            max_subscriptions_per_connection=None,
            # A page on another origin may open a socket only where it may call over HTTP (CORS).
            allowed_origins=config.cors_origins,
        )
        self.services = services
        self.persisted_queries = PersistedQueries.from_config(config)
        self.connection_counts = ConnectionCounts(config.subscription_connections_per_address)
        self.max_subscriptions = config.subscriptions_per_connection

    # --- GraphQL over HTTP ----------------------------------------------------------------

    @staticmethod
    def media_type(request: Request) -> str:
        """The media type of the answer, from the request's Accept: worked out once per request
        (the view asks for it at each step), kept in the request's state."""
        state = request.scope.setdefault("state", {})
        chosen = state.get(_MEDIA_TYPE)
        if chosen is None:
            chosen = state[_MEDIA_TYPE] = negotiate(", ".join(request.headers.getlist("accept")))
        return chosen

    async def run(  # type: ignore[override]  # one signature for Strawberry's two overloads
        self, request: Request | WebSocket, context: Any = UNSET, root_value: Any = UNSET
    ) -> Response | WebSocket:
        """Strawberry answers a refused request with plain text; here it is a JSON body with
        code 3259, in the media type the client accepts (a mutation over GET: 405)."""
        if not isinstance(request, Request):
            return await super().run(request, context, root_value)
        try:
            return await super().run(request, context, root_value)
        except HTTPException as refusal:
            status, headers, message = refusal.status_code, None, refusal.reason
            if isinstance(refusal.__cause__, InvalidOperationTypeError) and request.method == "GET":
                # The spec: a mutation over GET is 405, and GET only reads (CSRF, caches).
                status, headers, message = 405, {"Allow": "POST"}, "Mutations are only accepted over POST."
            return error_response(
                status, message, ErrorCode.BAD_REQUEST, headers=headers, media_type=self.media_type(request)
            )

    async def render_graphql_ide(self, request: Request) -> Response:  # type: ignore[override]
        """GraphiQL from this server's own assets (gql/playground), under a strict CSP."""
        return playground.page(self.services.config.site_name)

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A GET that names a persisted query by hash has no `query` either; it is not a browser.
        return super().should_render_graphql_ide(request) and request.query_params.get("extensions") is None

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        if isinstance(request, Request):
            sub_response.media_type = self.media_type(request)
        return sub_response

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: Any,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Resolve a persisted query, run the document, and set the status the media type wants."""
        try:
            resolved = await self.persisted_queries.resolve(request_data.query, request_data.extensions)
        except PersistedQueryError as refused:
            if refused.code is ErrorCode.BAD_REQUEST:  # a malformed request: 400 whatever the media type
                raise HTTPException(400, refused.message) from refused
            error = GraphQLError(refused.message, extensions=refused.code.extensions())
            result = ExecutionResult(data=None, errors=[error])
        else:
            request_data = dataclasses.replace(request_data, query=resolved.query)
            result = await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
            if not isinstance(result, PreExecutionError):  # it parsed and validated
                await self.persisted_queries.store_valid(resolved)
        sub_response.status_code = status_for(result, sub_response.media_type or JSON)
        return result

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        if self.media_type(request) == GRAPHQL_RESPONSE and is_request_error(result):
            response.pop("data", None)  # a request error has no data entry at all
        return response

    def create_response(
        self, response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse], sub_response: Response
    ) -> Response:
        response = super().create_response(response_data, sub_response)
        response.headers["content-type"] = sub_response.media_type or JSON
        return response

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
        if isinstance(request, WebSocket):
            # Anonymous until connection_init says otherwise: the handshake's own headers are not read.
            return Context.from_request(request, None, self.services, headers={})
        return Context.from_request(request, response if isinstance(response, Response) else None, self.services)


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such path 404, method not allowed 405) as JSON bodies."""
    assert isinstance(exc, StarletteHTTPException)
    return error_response(exc.status_code, exc.detail, ErrorCode.BAD_REQUEST, headers=exc.headers)


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


def _banner(config: Config) -> None:
    where = f"http://{config.host}:{config.port}"
    lines = [f"Members GraphQL server: GraphiQL at {where}/graphql", f"Database: {config.database_shown}"]
    if config.introspection and not playground.installed():
        lines.append(f"GraphiQL's assets are not installed (it loads them from the CDN): {playground.INSTALL_HINT}")
    if config.environment == "development" and not config.smtp_url:
        lines.append(f"Mail (no MEMBERS_SMTP_URL): printed here and listed at {where}{MAILBOX_PATH}")
    if config.admin_api_key_generated:
        if config.admin_api_key_file:
            kept = f"kept in {config.admin_api_key_file}; set MEMBERS_ADMIN_API_KEY to use another"
        else:
            kept = "generated for this run; set MEMBERS_ADMIN_API_KEY to fix it"
        lines.append(f"Backend API key ({kept}): {config.admin_api_key}")
        lines.append('Send it as the header {"X-Api-Key": "<key>"} (GraphiQL: Headers tab).')
    else:
        lines.append("Backend API key: from MEMBERS_ADMIN_API_KEY (send as X-Api-Key).")
    print("\n".join(lines), flush=True)


def create_app(
    config: Config | None = None, *, apply_migrations: bool | None = None, run_worker: bool = True
) -> Starlette:
    """Build the app. Migrations run at start-up on SQLite (the embedded default) unless told otherwise;
    on PostgreSQL, run ``python -m gql migrate`` once per deploy, not from every server process."""
    config = config or load_config()
    templates_for(config.templates_dir).check()  # a site's broken template stops the start
    services = Services.from_config(config)
    run_migrations = config.is_sqlite if apply_migrations is None else apply_migrations
    graphql = MembersGraphQL(services)
    development = config.environment == "development"
    dev_mailbox = DevMailbox() if development and not config.smtp_url else None

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        if run_migrations:
            await migrate(config.database_url)
        async with RegisterTortoise(app, config=tortoise_config(config.database_url)):
            # A fresh database gets its settings row from the env defaults, and its built-in roles.
            await services.registration_settings.get()
            await ensure_built_in_roles()
            worker = OutboxWorker(services, mailbox=dev_mailbox)
            delivery = asyncio.create_task(worker.run(), name="outbox-worker") if run_worker else None
            _banner(config)
            try:
                yield {}
            finally:
                worker.stop()
                if delivery is not None:
                    await delivery
                services.close()
                await services.event_feed.close()
                await services.rate_limits.close()
                await graphql.persisted_queries.close()

    # The development mailbox and the home page pointing to the tools exist only in development
    # (404 elsewhere: no such route; production answers / with nothing to tell a stranger).
    dev_routes = [Route("/", home_page), Route(MAILBOX_PATH, mailbox_page)] if development else []
    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route(playground.ASSETS_PATH + "/{name}", playground.asset),
            WebSocketRoute("/graphql", graphql),  # subscriptions: the same view, over WebSocket
            Route(PATHS[Purpose.CONFIRM], confirm_email_page),
            Route(PATHS[Purpose.RESET], reset_password_page, methods=["GET", "POST"]),
            Route(LOGIN_LINK_PATH, login_link_page),
            Route("/health", health),
            Route("/ready", ready),
            Route(JWKS_PATH, jwks),
            Route(DISCOVERY_PATH, openid_configuration),
            *console_routes(services, graphql.schema),
            *dev_routes,
            Route(PASSKEY_PAGE_PATH, passkey_test_page),  # development and test only
        ],
        lifespan=lifespan,
        middleware=http_middleware(config),
        exception_handlers={StarletteHTTPException: http_error},
    )
    # Starlette would answer /reset-password/ (and every route with a slash added or cut)
    # with a redirect whose Location it builds from the request's Host header: any Host
    # sent would become the link's site. No response here builds a URL from the request;
    # emailed links use MEMBERS_PUBLIC_URL (Config.link_base).
    app.router.redirect_slashes = False
    install_log_filters()
    app.state.services = services
    app.state.dev_mailbox = dev_mailbox or DevMailbox(kept=1)
    return app


def __getattr__(name: str) -> Any:
    # `uvicorn gql.app:app` builds the app from the environment on first access only,
    # so importing this module (tests, tools) never reads the environment.
    if name == "app":
        return create_app()
    raise AttributeError(name)
