"""A minimal graphql-transport-ws client for the tests (the protocol of the ``graphql-ws`` npm package).

Not the PyPI package ``gql``, whose name is this project's. One ``Socket`` is one WebSocket:
``init`` sends ``connection_init`` and returns the ack (or how the server closed), ``subscribe``
sends a ``subscribe``, ``synced`` pings and waits for the pong (the server answers it only once
every subscription sent before it listens), ``next_for`` waits for one operation's next message,
with a deadline, never a fixed sleep.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

PROTOCOL = "graphql-transport-ws"
WAIT_SECONDS = 20.0


@dataclass(frozen=True)
class Closed:
    code: int | None
    reason: str


class Socket:
    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self._ids = itertools.count(1)
        self._messages: dict[str | None, deque[dict[str, Any]]] = defaultdict(deque)
        self.closed: Closed | None = None

    # --- sending -----------------------------------------------------------------------

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def init(self, params: dict[str, Any] | None = None) -> dict[str, Any] | Closed:
        """``connection_init``; the ``connection_ack`` message, or how the server closed the socket."""
        await self.send({"type": "connection_init", **({"payload": params} if params is not None else {})})
        try:
            return await self._wait_for(None, "connection_ack")
        except ConnectionClosed:
            assert self.closed is not None
            return self.closed

    async def subscribe(self, query: str | None, variables: dict[str, Any] | None = None, **extra: Any) -> str:
        operation_id = str(next(self._ids))
        payload = {"query": query, "variables": variables or {}, **extra}
        await self.send({"id": operation_id, "type": "subscribe", "payload": payload})
        return operation_id

    async def complete(self, operation_id: str) -> None:
        await self.send({"id": operation_id, "type": "complete"})

    async def synced(self) -> None:
        """Ping, and wait for the pong: every subscription sent before now listens."""
        await self.send({"type": "ping"})
        await self._wait_for(None, "pong")

    # --- receiving -----------------------------------------------------------------------

    async def next_for(self, operation_id: str, timeout: float = WAIT_SECONDS) -> dict[str, Any]:
        """The operation's next message (``next``, ``error`` or ``complete``)."""
        return await self._wait_for(operation_id, None, timeout)

    async def event(self, operation_id: str, timeout: float = WAIT_SECONDS) -> dict[str, Any]:
        """The next event of a ``memberEvents`` subscription (fails on anything else)."""
        message = await self.next_for(operation_id, timeout)
        assert message["type"] == "next" and not message["payload"].get("errors"), message
        return message["payload"]["data"]["memberEvents"]

    def pending(self, operation_id: str) -> list[dict[str, Any]]:
        """Messages already received for the operation and not yet taken."""
        return list(self._messages[operation_id])

    async def drain(self, timeout: float = WAIT_SECONDS) -> Closed:
        """Read until the server closes the socket; how it closed."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    await self._receive_one()
        except ConnectionClosed:
            assert self.closed is not None
            return self.closed

    async def _wait_for(
        self, operation_id: str | None, kind: str | None, timeout: float = WAIT_SECONDS
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            queue = self._messages[operation_id]
            while queue:
                message = queue.popleft()
                if kind is None or message["type"] == kind:
                    return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {kind or 'message'} for operation {operation_id} in {timeout} s")
            async with asyncio.timeout(remaining):
                await self._receive_one()

    async def _receive_one(self) -> None:
        try:
            text = await self.connection.recv()
        except ConnectionClosed as closed:
            received = closed.rcvd
            self.closed = Closed(received.code if received else None, received.reason if received else "")
            raise
        message = json.loads(text)
        self._messages[message.get("id")].append(message)

    async def close(self) -> None:
        await self.connection.close()


@asynccontextmanager
async def open_socket(
    graphql_url: str,
    *,
    headers: dict[str, str] | None = None,
    subprotocols: list[str] | None = None,
    receive_buffer: int | None = None,
) -> AsyncIterator[Socket]:
    """A WebSocket to ``http://…/graphql`` (as ``ws://…``). ``receive_buffer``: a small kernel
    receive buffer, with the client reading nothing it is not asked to (a slow subscriber)."""
    url = graphql_url.replace("http://", "ws://", 1)
    options: dict[str, Any] = {}
    if receive_buffer is not None:
        host_port = url.split("//", 1)[1].split("/", 1)[0]
        host, _, port = host_port.partition(":")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.connect((host, int(port)))
        # max_queue=1: the client library stops reading the socket once one message waits unread;
        # no compression: the server's repetitive messages would otherwise shrink to a few bytes.
        options.update(sock=sock, max_queue=1, compression=None)
    connection = await connect(
        url,
        subprotocols=subprotocols or [PROTOCOL],  # type: ignore[list-item]
        additional_headers=headers,
        open_timeout=WAIT_SECONDS,
        **options,
    )
    try:
        yield Socket(connection)
    finally:
        await connection.close()
