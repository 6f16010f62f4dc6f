"""Subscriptions over WebSocket: Strawberry's graphql-transport-ws handler, with who is calling and limits.

- **Who is calling** is decided once, at ``connection_init``: its ``connectionParams`` are read
  as the HTTP headers would be (``X-Api-Key``, ``Authorization: Bearer``; names in any case).
  A wrong key or a session token that is not (or no longer) valid closes the socket with 4403;
  no params at all is an anonymous connection. Wrong keys count in the ``api-key`` rate limit
  as over HTTP: past it the socket is closed with 4429 and a reason starting "3207".
- **Limits:** ``MEMBERS_SUBSCRIPTION_CONNECTIONS_PER_ADDRESS`` open sockets per client address
  and process (one more is accepted, then closed with 4429, "3207 …");
  ``MEMBERS_SUBSCRIPTIONS_PER_CONNECTION`` operations at once per socket (one more is answered
  with an ``error`` message, ``extensions.code`` 3207); ``connection_init`` within
  ``MEMBERS_SUBSCRIPTION_INIT_TIMEOUT_SECONDS`` (else 4408, Strawberry's).
- **Documents** go through the persisted-query policy (a safelist holds over WebSocket too)
  and then through the schema's extensions like any other: token, depth and alias limits,
  error codes and masking.
- **Order:** a ``subscribe`` is handled to the point where the subscription listens before
  the next message is read, so the pong to a ping sent after it means "subscribed": a change
  made after that is delivered.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Mapping
from typing import Any, Protocol

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ConnectionInitMessage, SubscribeMessage

from gql.api.context import Context
from gql.api.persisted_queries import PersistedQueries, PersistedQueryError
from gql.api.subscriptions import LIVE
from gql.db.availability import is_unavailable
from gql.domain.caller import CallerKind
from gql.domain.errors import ErrorCode

logger = logging.getLogger("gql.websocket")

FORBIDDEN = 4403  # graphql-ws's CloseCode.Forbidden
TOO_MANY = 4429  # graphql-ws clients do not retry it
UNAVAILABLE = 1013  # "try again later"
# How long a subscribe may hold up the connection's next message while it starts listening.
LIVE_WAIT_SECONDS = 6.0


class ConnectionCounts:
    """Open WebSockets per client address in this process.

    Counted here, not in the database or Redis: a socket is this process's resource (its
    memory, its task), and a shared count would keep the sockets of a process that crashed."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: Counter[str] = Counter()

    def acquire(self, address: str) -> bool:
        if self._open[address] >= self.limit:
            return False
        self._open[address] += 1
        return True

    def release(self, address: str) -> None:
        self._open[address] -= 1
        if self._open[address] <= 0:
            del self._open[address]


class SubscriptionServer(Protocol):
    """What the handler needs of the view that serves /graphql."""

    connection_counts: ConnectionCounts
    persisted_queries: PersistedQueries
    max_subscriptions: int


def _caller_headers(params: Mapping[str, object]) -> dict[str, str] | None:
    """``connectionParams`` as the headers that say who is calling; None when one is not a string."""
    headers: dict[str, str] = {}
    for name, value in params.items():
        lowered = str(name).lower()
        if lowered in {"x-api-key", "authorization"}:
            if not isinstance(value, str):
                return None
            headers[lowered] = value
    return headers


class SubscriptionConnection(BaseGraphQLTransportWSHandler[Context, None]):
    view: Any  # MembersGraphQL (a SubscriptionServer); typed loosely to avoid importing the app here
    context: Context

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._closing: asyncio.Task[None] | None = None

    @property
    def server(self) -> SubscriptionServer:
        return self.view

    async def handle(self) -> None:
        counts = self.server.connection_counts
        address = self.context.address
        if not counts.acquire(address):
            await self.websocket.close(
                TOO_MANY, f"3207 Too many connections from this address (at most {counts.limit})"
            )
            return
        self.context.close_connection = self.close_soon
        try:
            await super().handle()
        finally:
            counts.release(address)

    # --- connection_init: who is calling ----------------------------------------------------

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        # Strawberry's checks, then our sign-in instead of its on_ws_connect (which can only say 4403).
        if self.connection_timed_out:
            return
        if self.connection_init_timeout_task:
            self.connection_init_timeout_task.cancel()
        payload = message.get("payload")
        params = {} if payload is None else payload
        if not isinstance(params, dict):
            await self.websocket.close(code=4400, reason="Invalid connection init payload")
            return
        if self.connection_init_received:
            await self.websocket.close(code=4429, reason="Too many initialisation requests")
            return
        self.connection_init_received = True
        try:
            refusal = await self._sign_in(params)
        except Exception as error:
            if not is_unavailable(error):
                raise
            logger.warning("database unavailable at connection_init: %s", type(error).__name__)
            refusal = (UNAVAILABLE, f"3208 {ErrorCode.UNAVAILABLE.describe()}")
        if refusal is not None:
            await self.websocket.close(*refusal)
            return
        await self.send_message({"type": "connection_ack"})
        self.connection_acknowledged = True

    async def _sign_in(self, params: Mapping[str, object]) -> tuple[int, str] | None:
        """Make the caller of this connection from its params; the close code and reason to refuse it."""
        headers = _caller_headers(params)
        if headers is None:
            return FORBIDDEN, "Forbidden"
        current = self.context
        context = Context.from_request(current.request, None, current.services, headers=headers)
        await context.check_api_key()  # the env key, or a stored scoped key
        context.close_connection = current.close_connection
        limits = current.services.rate_limits
        if context.api_key_sent and limits.enabled:
            # As RequestPolicy.guard_api_key over HTTP: a wrong key spends a token, the right one only looks.
            take = limits.hit if context.api_key_rejected else limits.peek
            decision = await take("api-key", context.address)
            if not decision.allowed:
                return TOO_MANY, (
                    f"3207 Too many requests with a wrong X-Api-Key from this address; "
                    f"retry in {decision.retry_after} s"
                )
        if context.api_key_rejected:
            return FORBIDDEN, "Forbidden"
        if context.bearer_token is not None and (await context.caller()).kind is not CallerKind.MEMBER:
            return FORBIDDEN, "Forbidden"
        self.context = context
        return None

    # --- subscribe: limits, persisted documents, "listening" before the next message ---------

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        if not self.connection_acknowledged or message["id"] in self.operations:
            await super().handle_subscribe(message)  # closes with 4401 / 4409
            return
        payload = message["payload"]
        if not isinstance(payload, dict):
            await self.handle_invalid_message("Failed to parse message")  # 4400, as Strawberry's
            return
        limit = self.server.max_subscriptions
        if len(self.operations) >= limit:
            await self._refuse(
                message["id"],
                f"Too many subscriptions on this connection (at most {limit}).",
                ErrorCode.RATE_LIMITED,
                limit=limit,
            )
            return
        extensions = payload.get("extensions")
        try:
            if extensions is not None and not isinstance(extensions, dict):
                raise PersistedQueryError(ErrorCode.BAD_REQUEST, "extensions must be an object.")
            resolved = await self.server.persisted_queries.resolve(payload.get("query"), extensions)
        except PersistedQueryError as refused:
            await self._refuse(message["id"], refused.message, refused.code)
            return
        message = {**message, "payload": {**payload, "query": resolved.query}}  # type: ignore[typeddict-item]

        live = asyncio.Event()
        token = LIVE.set(live)  # the operation's task, created now, inherits it
        try:
            await super().handle_subscribe(message)
        finally:
            LIVE.reset(token)
        operation = self.operations.get(message["id"])
        if operation is not None and operation.task is not None:
            waiting = asyncio.ensure_future(live.wait())
            try:
                await asyncio.wait(
                    {waiting, operation.task}, timeout=LIVE_WAIT_SECONDS, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                waiting.cancel()

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        """Strawberry's, plus the one failure its stream lets through: a document that does not
        parse, raised by the parser cache's hook (gql/api/extensions.py) before Strawberry's own
        parse guard. Answered as over HTTP: an ``error`` with code 3250 (3255 over the token limit)."""
        try:
            await super().run_operation(operation)
        except GraphQLSyntaxError:
            pass  # answered by handle_task_exception below, before Strawberry's "complete"

    async def handle_task_exception(self, error: Exception) -> None:
        if isinstance(error, GraphQLSyntaxError):
            operation_id = next((i for i, op in self.operations.items() if op.task is asyncio.current_task()), None)
            if operation_id is not None:
                operation = self.operations[operation_id]
                await operation.send_initial_errors([error])
            return
        await super().handle_task_exception(error)

    async def _refuse(self, operation_id: str, message: str, code: ErrorCode, **extensions: object) -> None:
        error = GraphQLError(message, extensions={**code.extensions(), **extensions})
        await self.send_message({"id": operation_id, "type": "error", "payload": [error.formatted]})

    # --- closing from the inside (a subscriber that fell behind) -------------------------------

    def close_soon(self, code: int, reason: str) -> None:
        """End every operation and close the socket; safe to call from a listener's callback."""
        if self._closing is None:
            logger.warning("closing a WebSocket of %s (%d): %s", self.context.address, code, reason)
            self._closing = asyncio.get_running_loop().create_task(self._close(code, reason))

    async def _close(self, code: int, reason: str) -> None:
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)
        try:
            await self.websocket.close(code, reason)
        except Exception:  # the client left first: nothing to close
            logger.debug("WebSocket already closed", exc_info=True)
