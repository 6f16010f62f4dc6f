"""HTTP hardening in front of the app: body size, CSRF, CORS, error bodies, log hygiene.

``HttpGuard`` (plain ASGI, so it sees every request before Starlette or Strawberry):

- request bodies larger than ``MEMBERS_MAX_BODY_BYTES`` (100 kB) are refused with 413
  (code 3256), whether announced by ``Content-Length`` or streamed in chunks;
- ``POST /graphql`` must carry a JSON body (``Content-Type: application/json``): a
  browser can send ``text/plain``, form or multipart bodies to any site without a CORS
  preflight, which is what cross-site request forgery rides on (415, code 3259).
  Mutations over ``GET`` are refused by the GraphQL view (405): GET only reads;
- responses of ``/graphql`` are never cached or sniffed.

Every refusal of the HTTP layer is a GraphQL-shaped JSON body, ``{"errors": [{"message",
"extensions": {"code"}}]}`` (``error_response``), never plain text.

CORS is Starlette's middleware (``CorsPolicy``: a refused preflight is a JSON body too), with
the origins of ``MEMBERS_CORS_ORIGINS`` only (none by default: browsers then refuse
cross-origin calls). Compression: ``gql/compression.py``.

``client_address()`` is the address every per-address limit counts against, for the API
and the pages alike.

``install_log_filters()`` keeps secrets out of the logs: SQL parameter values (hashes,
token hashes) are not logged even at DEBUG (Tortoise's and aiosqlite's debug lines), and
access-log lines lose their query string (a client may put variables, even a password,
in a GET URL), and Strawberry's own error log (which quotes the document, literals and
all) is dropped: unexpected errors are logged by ``gql.errors``, with a request id.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping
from functools import lru_cache

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gql.compression import QueryCompression
from gql.config import Config
from gql.domain.errors import ErrorCode

GRAPHQL_PATH = "/graphql"
JSON = "application/json"


def error_response(
    status: int,
    message: str,
    code: ErrorCode,
    *,
    headers: Mapping[str, str] | None = None,
    media_type: str = JSON,
) -> JSONResponse:
    """A request refused before GraphQL ran: the body a GraphQL client can read, with its code."""
    body = {"errors": [{"message": message, "extensions": code.extensions()}]}
    return JSONResponse(body, status_code=status, headers=headers, media_type=media_type)


def _too_large(limit: int) -> JSONResponse:
    # The body is not read (or not to its end): the connection cannot be reused.
    return error_response(
        413,
        f"The request body is larger than {limit} bytes.",
        ErrorCode.REQUEST_TOO_LARGE,
        headers={"Connection": "close"},
    )


class _TooLarge(Exception):
    pass


class HttpGuard:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        method = scope["method"]
        is_graphql = scope["path"].rstrip("/") == GRAPHQL_PATH

        declared = headers.get("content-length")
        if declared is not None:
            try:
                too_large = int(declared) > self.max_body_bytes
            except ValueError:
                refusal = error_response(
                    400, "Invalid Content-Length.", ErrorCode.BAD_REQUEST, headers={"Connection": "close"}
                )
                await refusal(scope, receive, send)
                return
            if too_large:
                await _too_large(self.max_body_bytes)(scope, receive, send)
                return

        if is_graphql and method == "POST":
            media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
            if media_type != JSON:
                refusal = error_response(
                    415,
                    "POST /graphql needs a JSON body (Content-Type: application/json).",
                    ErrorCode.BAD_REQUEST,
                    headers={"Accept-Post": JSON, "Connection": "close"},
                )
                await refusal(scope, receive, send)
                return

        if method in ("POST", "PUT", "PATCH"):
            # Read the body here, counting, so chunked uploads cannot exceed the limit either.
            try:
                body = await self._read_body(receive)
            except _TooLarge:
                await _too_large(self.max_body_bytes)(scope, receive, send)
                return
            except ConnectionAbortedError:
                return  # the client went away before sending its body
            receive = _replay(body, receive)

        if is_graphql:
            send = _no_store(send)
        await self.app(scope, receive, send)

    async def _read_body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _TooLarge if size > self.max_body_bytes else ConnectionAbortedError("client went away")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # later calls wait for the disconnect, as the server's would

    return replay


def _no_store(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            headers.setdefault("cache-control", "no-store")
            headers["x-content-type-options"] = "nosniff"
        await send(message)

    return wrapped


class CorsPolicy(CORSMiddleware):
    """Starlette's CORS middleware, whose refused preflight is a JSON body like every refusal."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        # "Disallowed CORS origin, method, …": Starlette's own text, with its Vary and Allow headers.
        headers = {k: v for k, v in response.headers.items() if k not in ("content-type", "content-length")}
        return error_response(
            response.status_code, bytes(response.body).decode(), ErrorCode.BAD_REQUEST, headers=headers
        )


def middleware(config: Config) -> list[Middleware]:
    """The app's middleware, outermost first."""
    stack = [Middleware(HttpGuard, max_body_bytes=config.max_body_bytes), Middleware(QueryCompression)]
    if config.cors_origins:
        stack.append(
            Middleware(
                CorsPolicy,
                allow_origins=list(config.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type", "X-Api-Key"],
                expose_headers=["Retry-After"],
                max_age=600,
            )
        )
    return stack


# --- the client's address ------------------------------------------------------------
#
# Not uvicorn's ProxyHeadersMiddleware: it takes a malformed X-Forwarded-For entry for the
# client's address (so every request whose chain a proxy mangled would share one bucket,
# or be counted under text the client chose), compares an IPv4-mapped IPv6 peer
# (::ffff:10.0.0.2, as dual-stack sockets report it) against IPv4 networks without mapping
# it, so the proxy is not recognised, and rewrites the scope's scheme from
# X-Forwarded-Proto, which nothing here needs. The rule below stays one function that the
# API and the pages both call.


@lru_cache(maxsize=16)
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def client_address(request: HTTPConnection, trusted_proxies: tuple[str, ...]) -> str:
    """The address a rate limit counts against.

    The connection's peer, unless that peer is a trusted proxy: then the right-most
    ``X-Forwarded-For`` entry that is not itself a trusted proxy (entries further left
    were written by the client and prove nothing). IPv6 clients are counted per /64,
    the block one subscriber usually holds.
    """
    host = request.client.host if request.client else None
    # Without trusted proxies no header is believed (nor read).
    forwarded = tuple(request.headers.getlist("x-forwarded-for")) if trusted_proxies else ()
    if sum(map(len, forwarded)) > _CACHED_CHAIN:
        # The chain is the client's to write: a long one is worked out, never kept.
        return _counted_address.__wrapped__(host, trusted_proxies, forwarded)
    return _counted_address(host, trusted_proxies, forwarded)


# The longest X-Forwarded-For (all its headers' characters) whose answer is cached: a few hops.
_CACHED_CHAIN = 256


@lru_cache(maxsize=4096)
def _counted_address(host: str | None, trusted_proxies: tuple[str, ...], forwarded: tuple[str, ...]) -> str:
    """``client_address`` of the strings it depends on: parsing addresses was 4 % of a login's CPU,
    and a server sees the same few peers (and proxy chains) again and again."""
    peer = _ip(host) if host is not None else None
    networks = _networks(trusted_proxies)

    def trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
        return address is not None and any(address in network for network in networks)

    address = peer
    if trusted(peer):
        hops = [hop for header in forwarded for hop in header.split(",")]
        for hop in reversed(hops):
            candidate = _ip(hop)
            if candidate is None:
                break  # garbage: stop believing the chain, count the last trusted hop
            address = candidate
            if not trusted(candidate):
                break
    if address is None:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


# --- logs -----------------------------------------------------------------------------


class _SqlParametersRedacted(logging.Filter):
    """Tortoise logs ``"%s: %s", query, values``: keep the SQL, drop the values."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) == 2 and record.msg == "%s: %s":
            record.args = (record.args[0], "[parameters not logged]")
        return True


class _DriverCallsRedacted(logging.Filter):
    """aiosqlite logs every call with its arguments (``"executing %s"``): keep only the verb."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and record.levelno <= logging.DEBUG:
            record.args = tuple("[call not logged]" for _ in record.args) if isinstance(record.args, tuple) else ()
        return True


class _Dropped(logging.Filter):
    """Strawberry logs every GraphQL error with the document excerpt around it, literals
    (passwords, tokens) included. Expected errors need no log line; unexpected ones are
    logged by ``gql.errors`` with their trace and request id."""

    def filter(self, record: logging.LogRecord) -> bool:
        return False


class _NoQueryString(logging.Filter):
    """uvicorn's access log: ``'%s - "%s %s HTTP/%s" %d'`` with the full path; cut the query string."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], args[2].split("?", 1)[0] + "?…", *args[3:])
        return True


_SQL_FILTER = _SqlParametersRedacted()
_ACCESS_FILTER = _NoQueryString()
_DRIVER_FILTER = _DriverCallsRedacted()
_DROPPED = _Dropped()


def install_log_filters() -> None:
    """Idempotent: the filters are module singletons."""
    for name in ("tortoise.db_client", "tortoise"):
        logger = logging.getLogger(name)
        if _SQL_FILTER not in logger.filters:
            logger.addFilter(_SQL_FILTER)
    strawberry_errors = logging.getLogger("strawberry.execution")
    if _DROPPED not in strawberry_errors.filters:
        strawberry_errors.addFilter(_DROPPED)
    driver = logging.getLogger("aiosqlite")
    if _DRIVER_FILTER not in driver.filters:
        driver.addFilter(_DRIVER_FILTER)
    access = logging.getLogger("uvicorn.access")
    if _ACCESS_FILTER not in access.filters:
        access.addFilter(_ACCESS_FILTER)
