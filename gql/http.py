"""HTTP hardening in front of the app: body size, CSRF, CORS, log hygiene.

``HttpGuard`` (plain ASGI, so it sees every request before Starlette or Strawberry):

- request bodies larger than ``MEMBERS_MAX_BODY_BYTES`` (100 kB) are refused with 413,
  whether announced by ``Content-Length`` or streamed in chunks;
- ``POST /graphql`` must carry a JSON body (``Content-Type: application/json``): a
  browser can send ``text/plain``, form or multipart bodies to any site without a CORS
  preflight, which is what cross-site request forgery rides on (415 otherwise).
  Mutations over ``GET`` are refused by Strawberry (405): GET only reads;
- responses of ``/graphql`` are never cached or sniffed.

CORS is Starlette's middleware, with the origins of ``MEMBERS_CORS_ORIGINS`` only (none
by default: browsers then refuse cross-origin calls).

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
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from functools import lru_cache
from typing import Any

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import HTTPConnection

from gql.config import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

GRAPHQL_PATH = "/graphql"
JSON_TYPES = ("application/json",)


class _TooLarge(Exception):
    pass


async def _refuse(send: Send, status: int, message: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"errors": [{"message": message}]}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class HttpGuard:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        method = scope.get("method", "GET")
        is_graphql = scope.get("path", "").rstrip("/") == GRAPHQL_PATH

        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > self.max_body_bytes
            except ValueError:
                await _refuse(send, 400, "Invalid Content-Length.")
                return
            if too_large:
                await _refuse(send, 413, f"The request body is larger than {self.max_body_bytes} bytes.")
                return

        if is_graphql and method == "POST":
            media_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower().decode("latin-1")
            if media_type not in JSON_TYPES:
                await _refuse(
                    send,
                    415,
                    "POST /graphql needs a JSON body (Content-Type: application/json).",
                    [(b"accept-post", b"application/json")],
                )
                return

        if method in ("POST", "PUT", "PATCH"):
            # Read the body here, counting, so chunked uploads cannot exceed the limit either.
            try:
                body = await self._read_body(receive)
            except _TooLarge:
                await _refuse(send, 413, f"The request body is larger than {self.max_body_bytes} bytes.")
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
            headers = list(message.get("headers", []))
            names = {name.lower() for name, _ in headers}
            if b"cache-control" not in names:
                headers.append((b"cache-control", b"no-store"))
            headers.append((b"x-content-type-options", b"nosniff"))
            message = {**message, "headers": headers}
        await send(message)

    return wrapped


def middleware(config: Settings) -> list[Middleware]:
    """The app's middleware, outermost first."""
    stack = [Middleware(HttpGuard, max_body_bytes=config.max_body_bytes)]
    if config.cors_origins:
        stack.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(config.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type", "X-Api-Key"],
                expose_headers=["Retry-After"],
                max_age=600,
            )
        )
    return stack


# --- the client's address ------------------------------------------------------------


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
    peer = _ip(request.client.host) if request.client else None
    networks = _networks(trusted_proxies)

    def trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
        return address is not None and any(address in network for network in networks)

    address = peer
    if trusted(peer):
        hops = [hop for header in request.headers.getlist("x-forwarded-for") for hop in header.split(",")]
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
