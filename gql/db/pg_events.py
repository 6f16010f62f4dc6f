"""Audit events across processes through PostgreSQL's LISTEN/NOTIFY.

``store`` inserts the row and calls ``pg_notify`` in one statement, in the change's own
transaction: PostgreSQL delivers the notification when that transaction commits and drops
it when it rolls back, so no subscriber ever sees an event that did not happen, and the
change costs no extra round trip (register keeps its budget of four statements).

A NOTIFY payload must be shorter than 8000 bytes: a longer event travels as its id, and
the listener reads the row back.

Each process listens on one connection of its own (a pooled one cannot hold a LISTEN),
checks it every ``HEALTH_SECONDS`` (a dead TCP line says nothing until written to), and
reconnects with backoff after an outage. Events committed while it was disconnected are not
replayed: the audit trail (``memberEvents``) has them.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import asyncpg
from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.config_generator import expand_db_url

from gql.db.event_channel import Backoff, Deliver, decode, encode, encode_id
from gql.db.models import MemberEvent

logger = logging.getLogger("gql.events")

CHANNEL = "member_events"
MAX_PAYLOAD_BYTES = 7999  # PostgreSQL: "shorter than 8000 bytes"
HEALTH_SECONDS = 2.0
# Notifications waiting to be handed out; past this the listener has fallen far behind.
MAX_PENDING = 10_000

# One statement: the row, and the notification that goes out with its COMMIT. The casts say
# the parameters' types (a SELECT list does not take them from the target columns).
_INSERT_AND_NOTIFY = (
    "INSERT INTO member_event (id, member_id, kind, actor, actor_member_id, data, created_at) "
    "SELECT $1::uuid, $2::uuid, $3, $4, $5::uuid, $6::jsonb, $7::timestamptz "
    "FROM (SELECT pg_notify($8, $9)) AS notified"
)


def payload_for(row: MemberEvent) -> str:
    payload = encode(row)
    return payload if len(payload.encode("utf-8")) <= MAX_PAYLOAD_BYTES else encode_id(row)


class PostgresEvents:
    def __init__(self, database_url: str) -> None:
        credentials = expand_db_url(database_url)["credentials"]
        self.connect_args: dict[str, Any] = {
            key: credentials[key]
            for key in ("host", "port", "user", "password", "database", "ssl")
            if key in credentials
        }

    async def store(self, row: MemberEvent, connection: BaseDBAsyncClient | None) -> None:
        client = connection or connections.get("default")
        await client.execute_query(
            _INSERT_AND_NOTIFY,
            [
                row.id,
                row.member_id,
                row.kind,
                row.actor,
                row.actor_member_id,
                json.dumps(row.data),
                row.created_at,
                CHANNEL,
                payload_for(row),
            ],
        )

    async def listen(self, deliver: Deliver, ready: asyncio.Event) -> None:
        backoff = Backoff(logger.warning, "PostgreSQL")
        # Notifications received and not yet handed out (those of a lost connection included:
        # they were committed).
        pending: asyncio.Queue[str] = asyncio.Queue(MAX_PENDING)

        def received(_connection: object, _pid: int, _channel: str, payload: str) -> None:
            try:
                pending.put_nowait(payload)
            except asyncio.QueueFull:
                logger.warning("event listener behind: an event notification was dropped")

        while True:
            try:
                listener = await asyncpg.connect(**self.connect_args, timeout=5)
            except Exception as error:  # refused, reset, timed out, shutting down: all "try again"
                await asyncio.sleep(backoff.failed(error))
                continue
            try:
                await listener.add_listener(CHANNEL, received)
                backoff.connected()
                ready.set()
                while True:
                    try:
                        payload = await asyncio.wait_for(pending.get(), HEALTH_SECONDS)
                    except TimeoutError:
                        await listener.execute("SELECT 1", timeout=HEALTH_SECONDS)
                        continue
                    row = await _decoded(payload)
                    if row is not None:
                        deliver(row)
            except Exception as error:
                ready.clear()
                await asyncio.sleep(backoff.failed(error))
            finally:
                ready.clear()
                listener.terminate()

    async def close(self) -> None:
        return None


async def _decoded(payload: str) -> MemberEvent | None:
    try:
        return await decode(payload)
    except (ValueError, KeyError, TypeError):
        logger.warning("event listener: a notification that is not an event was ignored")
        return None
