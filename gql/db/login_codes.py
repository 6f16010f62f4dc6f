"""The storage of passwordless sign-in codes (``login_code``): one row per address.

The rules — how a code is made, how long it lives, what it signs in — are
gql/domain/passwordless.py's. Here is how they are written so that concurrent requests in any
number of processes cannot get around them, each change one single-row statement:

- a new request replaces the address's row (``INSERT … ON CONFLICT (email_key) DO UPDATE``):
  the older code and link die with it;
- a try takes one of the row's attempts before its code is compared (a conditional
  ``UPDATE … WHERE attempts_left > 0 … RETURNING``): no two tries spend the same attempt, and
  no more tries are compared than there were attempts;
- a sign-in deletes the row it checked (``DELETE … WHERE`` the same code): of two tries with the
  right code, or the code and the link at once, one signs in.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.backends.base.client import BaseDBAsyncClient

from gql.db.models import LoginCode
from gql.db.sql import Sql
from gql.db.sweep import now_and_then

TABLE = "login_code"
SWEEP_EVERY = 100  # requests, on average, between sweeps of expired rows


@dataclass(frozen=True)
class Attempt:
    """What a try compares against (it already spent an attempt of the row)."""

    email_key: str
    email: str
    code_hash: str


async def replace(
    connection: BaseDBAsyncClient | None,
    *,
    email_key: str,
    email: str,
    code_hash: str,
    link_hash: str,
    attempts: int,
    now: float,
    expires_at: float,
) -> None:
    """The address's one live code: inserted, or replacing the one there (and its attempts)."""
    sql = Sql(connection)
    await sql.rows(
        f"""
        INSERT INTO {TABLE} (email_key, email, code_hash, link_hash, attempts_left, created_at, expires_at)
        VALUES ({sql.p(1)}, {sql.p(2)}, {sql.p(3)}, {sql.p(4)}, {sql.p(5)}, {sql.real(6)}, {sql.real(7)})
        ON CONFLICT (email_key) DO UPDATE SET
            email = excluded.email,
            code_hash = excluded.code_hash,
            link_hash = excluded.link_hash,
            attempts_left = excluded.attempts_left,
            created_at = excluded.created_at,
            expires_at = excluded.expires_at
        RETURNING email_key
        """,
        [email_key, email, code_hash, link_hash, attempts, now, expires_at],
    )
    await now_and_then(lambda: LoginCode.filter(expires_at__lt=now).using_db(connection), SWEEP_EVERY)


async def take_attempt(email_key: str, now: float) -> Attempt | None:
    """Spend one attempt of the address's live code; None when there is none (never asked,
    expired, used, or out of attempts)."""
    sql = Sql()
    rows = await sql.rows(
        f"""
        UPDATE {TABLE} SET attempts_left = attempts_left - 1
        WHERE email_key = {sql.p(1)} AND attempts_left > 0 AND expires_at > {sql.real(2)}
        RETURNING email_key, email, code_hash
        """,
        [email_key, now],
    )
    return Attempt(rows[0]["email_key"], rows[0]["email"], rows[0]["code_hash"]) if rows else None


async def by_link(link_hash: str, now: float) -> Attempt | None:
    """The live code whose link has this digest (not out of attempts), or None."""
    row = await LoginCode.filter(link_hash=link_hash, attempts_left__gt=0, expires_at__gt=now).first()
    return Attempt(row.email_key, row.email, row.code_hash) if row is not None else None


async def use(connection: BaseDBAsyncClient | None, attempt: Attempt, now: float) -> bool:
    """Delete the code that was checked, if it is still the address's live one; False when a
    concurrent sign-in used it first or a new request replaced it."""
    deleted = (
        await LoginCode.filter(email_key=attempt.email_key, code_hash=attempt.code_hash, expires_at__gt=now)
        .using_db(connection)
        .delete()
    )
    return bool(deleted)


async def current(email_key: str) -> LoginCode | None:
    """The address's row as it is (the outbox worker checks a mail's code is still the live one)."""
    return await LoginCode.get_or_none(email_key=email_key)
