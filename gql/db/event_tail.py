"""Audit events across processes on SQLite without Redis: each process reads the table's new rows.

SQLite has no notifications, and the embedded default has no Redis, but every process sees
the same file: while someone in a process subscribes, that process looks for rows added since
its last look every ``poll_seconds`` (and not at all while nobody subscribes). A row is seen
once it is committed, and a rolled-back row never is.

The position is the table's ``rowid``, not ``(created_at, id)``: SQLite has one writer at a
time, and a row's ``rowid`` is given under that writer's lock, so rowids grow in commit
order. ``created_at`` is read from the clock before the row waits for the lock, so a
transaction could commit a row older than one already read, and a position by time would
skip it; and the rowid is the table's own b-tree key, where ``(created_at, id)`` has no index
of its own (only ``(member_id, created_at, id)``). Events are never deleted, so a rowid is
never given twice.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from tortoise.backends.base.client import BaseDBAsyncClient

from gql.db.event_channel import Backoff, Deliver, insert
from gql.db.models import MemberEvent
from gql.db.sql import Sql

logger = logging.getLogger("gql.events")

BATCH = 500


class EventTail:
    def __init__(self, poll_seconds: float) -> None:
        self.poll_seconds = poll_seconds

    async def store(self, row: MemberEvent, connection: BaseDBAsyncClient | None) -> None:
        await insert(row, connection)  # the table is the channel

    async def listen(self, deliver: Deliver, ready: asyncio.Event) -> None:
        backoff = Backoff(logger.warning, "the database")
        position: int | None = None
        while True:
            try:
                if position is None:
                    # Events from here on: what was committed before the first subscriber came is history.
                    newest = await Sql().rows("SELECT MAX(rowid) AS seq FROM member_event", [])
                    position = newest[0]["seq"] or 0
                    ready.set()
                position = await self._deliver_after(position, deliver)
                backoff.connected()
            except Exception as error:  # locked, unreadable, gone: all "look again later"
                await asyncio.sleep(backoff.failed(error))
                continue
            await asyncio.sleep(self.poll_seconds)

    async def _deliver_after(self, position: int, deliver: Deliver) -> int:
        """Hand out every row after ``position`` in commit order; the new position."""
        sql = Sql()
        while True:
            found = await sql.rows(
                f"SELECT rowid AS seq, id FROM member_event WHERE rowid > {sql.p(1)} ORDER BY rowid LIMIT {sql.p(2)}",
                [position, BATCH],
            )
            if not found:
                return position
            rows = {row.id: row for row in await MemberEvent.filter(id__in=[entry["id"] for entry in found])}
            for entry in found:
                row = rows.get(uuid.UUID(str(entry["id"])))
                if row is not None:
                    deliver(row)
            position = found[-1]["seq"]
            if len(found) < BATCH:
                return position

    async def close(self) -> None:
        return None
