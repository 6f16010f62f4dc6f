"""The session table's one statement the query builder cannot say: opening a session.

The rules (who may hold a session, how long it lasts, what happens past the limit) are
gql/domain/sessions.py's. Here is how a session row is written so that a login stays within
its statement budget and the limit holds across processes: one INSERT that

- refuses itself when asked to (``cap``): it inserts nothing while the member already holds
  ``cap`` live sessions (a login under the REFUSE policy); and
- says how many *other* live sessions the member holds, so the rule knows without a second
  statement whether the oldest must end (END_OLDEST).

The count excludes the new row by its id: PostgreSQL's RETURNING subquery sees the table as it
was before the statement and SQLite's sees the new row, and with the new row left out both
answer the same.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from gql.db.models import Session
from gql.db.sql import Sql


@dataclass(frozen=True)
class NewSession:
    id: uuid.UUID
    token_hash: str
    member_id: uuid.UUID
    method: str
    stay_logged_in: bool
    created_at: datetime
    expires_at: datetime
    user_agent: str | None
    ip_address: str | None
    second_factor: str | None = None
    second_factor_at: datetime | None = None


async def insert(row: NewSession, *, cap: int | None, connection: BaseDBAsyncClient | None = None) -> int | None:
    """Insert ``row``; the number of the member's other live sessions, or None when ``cap`` refused it."""
    sql = Sql(connection)
    fields = Session._meta.fields_map

    def db(name: str, value: object) -> object:
        return fields[name].to_db_value(value, Session)

    values = [
        db("id", row.id),
        row.token_hash,
        db("id", row.member_id),
        row.method,
        row.stay_logged_in,
        db("created_at", row.created_at),
        db("expires_at", row.expires_at),
        row.user_agent,
        row.ip_address,
        row.second_factor,
        db("second_factor_at", row.second_factor_at),
    ]

    # PostgreSQL cannot infer the types of parameters in a SELECT list: they are spelled out
    # (on SQLite a CAST to an unknown type name would apply numeric affinity: none there).
    def p(n: int, kind: str) -> str:
        return sql.p(n) if sql.sqlite else f"{sql.p(n)}::{kind}"

    member, created, new_id = p(3, "uuid"), p(6, "timestamptz"), p(1, "uuid")
    live_others = (
        f"SELECT COUNT(*) FROM session AS other WHERE other.member_id = {member} "
        f"AND other.expires_at > {created} AND other.id <> {new_id}"
    )
    guard = ""
    if cap is not None:
        values.append(cap)
        guard = f"WHERE ({live_others}) < {p(12, 'integer')}"
    rows = await sql.rows(
        f"""
        INSERT INTO session (id, token_hash, member_id, method, stay_logged_in, created_at, last_seen_at,
                             expires_at, user_agent, ip_address, second_factor, second_factor_at)
        SELECT {new_id}, {p(2, "varchar")}, {member}, {p(4, "varchar")}, {p(5, "boolean")}, {created}, {created},
               {p(7, "timestamptz")}, {p(8, "varchar")}, {p(9, "varchar")}, {p(10, "varchar")},
               {p(11, "timestamptz")}
        {guard}
        RETURNING ({live_others}) AS others
        """,
        values,
    )
    return int(rows[0]["others"]) if rows else None
