"""Assigning and removing a badge for many members at once: one statement each, idempotent."""

from __future__ import annotations

import uuid
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from gql.db.models import MemberBadge
from gql.db.sql import Sql


def _values(sql: Sql, first: int, badge_id: uuid.UUID, member_ids: list[uuid.UUID]) -> tuple[str, list[object]]:
    to_db = MemberBadge._meta.fields_map["member"].related_model._meta.fields_map["id"].to_db_value  # type: ignore[attr-defined]
    ids = [to_db(member_id, None) for member_id in member_ids]
    marks = ", ".join(sql.p(first + i) for i in range(len(ids)))
    return marks, ids


async def assign(
    connection: BaseDBAsyncClient, badge_id: uuid.UUID, member_ids: list[uuid.UUID], now: datetime
) -> list[uuid.UUID]:
    """Give the badge to those of ``member_ids`` that exist and lack it; the ones that got it now."""
    sql = Sql(connection)
    badge = MemberBadge._meta.fields_map["badge"].related_model._meta.fields_map["id"].to_db_value(badge_id, None)  # type: ignore[attr-defined]
    stamp = MemberBadge._meta.fields_map["created_at"].to_db_value(now, None)
    marks, ids = _values(sql, 3, badge_id, member_ids)
    rows = await sql.rows(
        f"""
        INSERT INTO member_badge (member_id, badge_id, created_at)
        SELECT m.id, {sql.p(1)}, {sql.p(2)} FROM member m WHERE m.id IN ({marks})
        ON CONFLICT (member_id, badge_id) DO NOTHING
        RETURNING member_id
        """,
        [badge, stamp, *ids],
    )
    return [uuid.UUID(str(row["member_id"])) for row in rows]


async def remove(connection: BaseDBAsyncClient, badge_id: uuid.UUID, member_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """Take the badge from those of ``member_ids`` that hold it; the ones that lost it now."""
    sql = Sql(connection)
    badge = MemberBadge._meta.fields_map["badge"].related_model._meta.fields_map["id"].to_db_value(badge_id, None)  # type: ignore[attr-defined]
    marks, ids = _values(sql, 2, badge_id, member_ids)
    rows = await sql.rows(
        f"DELETE FROM member_badge WHERE badge_id = {sql.p(1)} AND member_id IN ({marks}) RETURNING member_id",
        [badge, *ids],
    )
    return [uuid.UUID(str(row["member_id"])) for row in rows]
