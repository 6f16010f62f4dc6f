"""Audit events across processes through Redis pub/sub (``MEMBERS_REDIS_URL``).

Redis knows nothing of the database's transactions, so an event is published only after its
transaction has committed (``after_commit``): a change that rolls back publishes nothing. The
publishing is handed to one task per process, so this process's events go out in the order
they committed, and a slow or unreachable Redis never holds up a request. While Redis is
unreachable that task retries with backoff; it keeps at most ``MAX_OUTGOING`` events waiting
and drops (and logs) any more.

Each process subscribes to ``<MEMBERS_REDIS_PREFIX>events`` on one connection while someone
there subscribes, pings it every ``HEALTH_SECONDS`` and resubscribes with backoff after an
outage. Events published while it was disconnected are not replayed: the audit trail
(``memberEvents``) has them.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from gql.db.event_channel import Backoff, Deliver, decode, encode, insert
from gql.db.models import MemberEvent
from gql.db.transactions import after_commit

logger = logging.getLogger("gql.events")

HEALTH_SECONDS = 2.0
MAX_OUTGOING = 10_000


class RedisEvents:
    def __init__(self, url: str, prefix: str) -> None:
        self.url = url
        self.channel = f"{prefix}events"
        self._client: Any = None
        self._outgoing: asyncio.Queue[str] = asyncio.Queue(MAX_OUTGOING)
        self._publisher: asyncio.Task[None] | None = None

    def _redis(self) -> Any:
        if self._client is None:
            import redis.asyncio as redis

            self._client = redis.from_url(self.url, socket_timeout=2, socket_connect_timeout=2)
        return self._client

    async def store(self, row: MemberEvent, connection: BaseDBAsyncClient | None) -> None:
        await insert(row, connection)
        payload = encode(row)
        after_commit(connection, lambda: self._send(payload))

    def _send(self, payload: str) -> None:
        if self._publisher is None or self._publisher.done():
            self._publisher = asyncio.get_running_loop().create_task(self._publish(), name="event-publisher")
        try:
            self._outgoing.put_nowait(payload)
        except asyncio.QueueFull:
            logger.warning("event not published: %d events already wait for Redis", MAX_OUTGOING)

    async def _publish(self) -> None:
        from redis.exceptions import RedisError

        backoff = Backoff(logger.warning, "Redis (publishing)")
        while True:
            payload = await self._outgoing.get()
            while True:
                try:
                    await self._redis().publish(self.channel, payload)
                except (RedisError, OSError) as error:
                    await asyncio.sleep(backoff.failed(error))
                else:
                    backoff.connected()
                    break

    async def listen(self, deliver: Deliver, ready: asyncio.Event) -> None:
        import redis.asyncio as redis
        from redis.exceptions import RedisError

        backoff = Backoff(logger.warning, "Redis")
        client = redis.from_url(
            self.url, socket_connect_timeout=2, socket_timeout=None, health_check_interval=HEALTH_SECONDS
        )
        try:
            while True:
                pubsub = client.pubsub()
                try:
                    await pubsub.subscribe(self.channel)
                    while True:
                        message = await pubsub.get_message(timeout=HEALTH_SECONDS)
                        if message is None:
                            continue
                        if message["type"] == "subscribe":
                            # Redis confirmed the subscription: from here on nothing published is missed.
                            backoff.connected()
                            ready.set()
                        elif message["type"] == "message":
                            row = await _decoded(message["data"])
                            if row is not None:
                                deliver(row)
                except (RedisError, OSError) as error:
                    ready.clear()
                    await asyncio.sleep(backoff.failed(error))
                finally:
                    ready.clear()
                    try:
                        await pubsub.aclose()
                    except (RedisError, OSError):
                        pass
        finally:
            await client.aclose()

    async def close(self) -> None:
        if self._publisher is not None:
            self._publisher.cancel()
        if self._client is not None:
            await self._client.aclose()


async def _decoded(payload: bytes) -> MemberEvent | None:
    try:
        return await decode(payload)
    except (ValueError, KeyError, TypeError):
        logger.warning("event listener: a message that is not an event was ignored")
        return None
