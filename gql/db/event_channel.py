"""How a committed audit event reaches every server process: the channel, chosen by the settings.

An ``EventChannel`` does two things, one on each side:

- ``store(row, connection)`` writes a ``member_event`` row in the change's transaction so that
  it is published once (and only if) that transaction commits;
- ``listen(deliver, ready)`` runs in each process while someone there subscribes, hands
  every committed event to ``deliver``, sets ``ready`` once nothing committed from then on
  can be missed, and reconnects after an outage.

Three channels, by configuration (``channel_for``):

- Redis pub/sub when ``MEMBERS_REDIS_URL`` is set (gql/db/redis_events.py);
- else PostgreSQL LISTEN/NOTIFY when the database is PostgreSQL (gql/db/pg_events.py);
- else (SQLite) each process reads the table's new rows (gql/db/event_tail.py).

PostgreSQL and Redis carry the row as JSON (``encode``/``decode``); a row too long for the
channel travels as its id and is read back by the listener.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from tortoise.backends.base.client import BaseDBAsyncClient

from gql.db.models import MemberEvent

Deliver = Callable[[MemberEvent], None]

# The reconnect backoff of every listener: from the first to the longest wait, doubling.
FIRST_RETRY_SECONDS = 0.2
LONGEST_RETRY_SECONDS = 5.0


class EventChannel(Protocol):
    async def store(self, row: MemberEvent, connection: BaseDBAsyncClient | None) -> None:
        """Insert ``row`` through ``connection`` (None: its own statement) and publish it once committed."""
        ...

    async def listen(self, deliver: Deliver, ready: asyncio.Event) -> None:
        """Deliver committed events until cancelled; ``ready`` is set while listening."""
        ...

    async def close(self) -> None: ...


def encode(row: MemberEvent) -> str:
    return json.dumps(
        {
            "id": str(row.id),
            "member_id": str(row.member_id),
            "kind": row.kind,
            "actor": row.actor,
            "actor_member_id": str(row.actor_member_id) if row.actor_member_id else None,
            "data": row.data,
            "created_at": row.created_at.isoformat(),
        },
        separators=(",", ":"),
    )


def encode_id(row: MemberEvent) -> str:
    return json.dumps({"id": str(row.id)})


async def decode(text: str | bytes) -> MemberEvent | None:
    """The row a payload carries, or reads back (id only); None when it is gone or unreadable."""
    fields: dict[str, Any] = json.loads(text)
    event_id = uuid.UUID(fields["id"])
    if "kind" not in fields:
        return await MemberEvent.get_or_none(id=event_id)
    actor_member_id = fields.get("actor_member_id")
    return MemberEvent(
        id=event_id,
        member_id=uuid.UUID(fields["member_id"]),
        kind=fields["kind"],
        actor=fields["actor"],
        actor_member_id=uuid.UUID(actor_member_id) if actor_member_id else None,
        data=fields.get("data") or {},
        created_at=datetime.fromisoformat(fields["created_at"]),
    )


async def insert(row: MemberEvent, connection: BaseDBAsyncClient | None) -> None:
    await row.save(using_db=connection, force_create=True)


class Backoff:
    """Waits between reconnections (doubling up to a bound) and logs an outage once, and its end."""

    def __init__(self, log: Callable[[str], None], what: str) -> None:
        self.log = log
        self.what = what
        self.delay = FIRST_RETRY_SECONDS
        self.down = False

    def failed(self, error: BaseException) -> float:
        if not self.down:
            self.down = True
            self.log(f"event listener lost {self.what} ({type(error).__name__}: {error}); reconnecting")
        delay, self.delay = self.delay, min(self.delay * 2, LONGEST_RETRY_SECONDS)
        return delay

    def connected(self) -> None:
        if self.down:
            self.log(f"event listener reconnected to {self.what}")
        self.down = False
        self.delay = FIRST_RETRY_SECONDS


def channel_for(database_url: str, redis_url: str | None, redis_prefix: str, poll_seconds: float) -> EventChannel:
    if redis_url:
        from gql.db.redis_events import RedisEvents

        return RedisEvents(redis_url, redis_prefix)
    if database_url.startswith(("postgres://", "postgresql://", "asyncpg://")):
        from gql.db.pg_events import PostgresEvents

        return PostgresEvents(database_url)
    from gql.db.event_tail import EventTail

    return EventTail(poll_seconds)
