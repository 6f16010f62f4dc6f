"""The lockout's storage: failed logins per account and client address (``login_lockout``) and
the account-wide locks (``member.locked_until`` for a member, the ``login_lockout`` row of the
address ``EVERY_ADDRESS`` for an identity that is no member).

The rules — how many failures lock, for how long, when the account locks for everyone — are
gql/domain/lockout.py's. Here is how they are written so that concurrent attempts in any number
of processes cannot slip past a lock: every change is one conditional single-row statement.
Times in ``login_lockout`` are epoch seconds; the member row keeps datetimes.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from gql.db.models import LoginLockout, Member
from gql.db.sql import Sql
from gql.db.sweep import now_and_then

TABLE = "login_lockout"
# The address of the row that holds an unknown identity's account-wide lock (no client address looks like it).
EVERY_ADDRESS = "*"
# Counts are forgotten after a day without failures (and without a lock in force), swept now and
# then: on average once every SWEEP_EVERY counted failures.
STALE_AFTER_SECONDS = 24 * 3600
SWEEP_EVERY = 200


async def count_failure(
    account: str, address: str, *, now: float, last_login: float, threshold: int, provisional_until: float
) -> int | None:
    """Count a failure of ``account`` from ``address``: the count it reached, or None when that
    address is locked out at ``now`` (then nothing is counted).

    The count restarts when the account logged in (``last_login``) after this address's last
    failure and after its lock, if it had one, ran out: a login elsewhere does not restart the
    count of an address locked out at that moment. The failure that reaches ``threshold`` locks
    its address in the same statement, until ``provisional_until`` (the longest lock; the rule
    makes it exact with ``lock_address``), so no correct password can slip in between.
    """
    sql = Sql()
    t = TABLE
    count = (
        f"(CASE WHEN {t}.last_failure_at < {sql.real(4)} AND ({t}.locked_until IS NULL OR {t}.locked_until <= {sql.real(4)})"
        f" THEN 1 ELSE {t}.failures + 1 END)"
    )
    rows = await sql.rows(
        f"""
        INSERT INTO {t} (account, address, failures, last_failure_at, locked_until)
        VALUES ({sql.p(1)}, {sql.p(2)}, 1, {sql.real(3)}, CASE WHEN 1 >= {sql.p(5)} THEN {sql.real(6)} ELSE NULL END)
        ON CONFLICT (account, address) DO UPDATE SET
            failures = {count},
            last_failure_at = {sql.greatest}({t}.last_failure_at, {sql.real(3)}),
            locked_until = CASE WHEN {count} >= {sql.p(5)} THEN {sql.real(6)} ELSE NULL END
        WHERE {t}.failures < {sql.p(5)} OR {t}.locked_until IS NULL OR {t}.locked_until <= {sql.real(3)}
        RETURNING failures
        """,
        [account, address, now, last_login, threshold, provisional_until],
    )

    def stale() -> QuerySet[LoginLockout]:
        return LoginLockout.filter(
            Q(last_failure_at__lt=now - STALE_AFTER_SECONDS) & (Q(locked_until__isnull=True) | Q(locked_until__lt=now))
        )

    await now_and_then(stale, SWEEP_EVERY)
    return int(rows[0]["failures"]) if rows else None


def _first(rows: list[float | None]) -> float | None:
    # (account, address) is unique: at most one row.
    return float(rows[0]) if rows and rows[0] is not None else None


async def lock_address(account: str, address: str, failures: int, until: float) -> None:
    """Set the exact end of the lock the ``failures``-th failure started (unless a later failure counted since)."""
    await LoginLockout.filter(account=account, address=address, failures=failures).update(locked_until=until)


async def address_locked_until(account: str, address: str, threshold: int) -> float | None:
    """Until when ``address`` is locked out of ``account`` (maybe past), or None: a count below the
    threshold is never a lock, whatever its ``locked_until`` says."""
    rows = await LoginLockout.filter(account=account, address=address, failures__gte=threshold).values_list(
        "locked_until", flat=True
    )
    return _first(rows)


async def locked_addresses(account: str, threshold: int, now: float) -> int:
    """How many addresses are locked out of ``account`` at ``now``."""
    return (
        await LoginLockout.filter(account=account, failures__gte=threshold, locked_until__gt=now)
        .exclude(address=EVERY_ADDRESS)
        .count()
    )


async def account_locked_until(account: str) -> float | None:
    """Until when an identity that is no member is locked for everyone (maybe past), or None."""
    rows = await LoginLockout.filter(account=account, address=EVERY_ADDRESS).values_list("locked_until", flat=True)
    return _first(rows)


async def lock_account(account: str, until: float, now: float) -> None:
    """Lock an identity that is no member for everyone until ``until``, never shortening a lock."""
    sql = Sql()
    t = TABLE
    await sql.rows(
        f"""
        INSERT INTO {t} (account, address, failures, last_failure_at, locked_until)
        VALUES ({sql.p(1)}, {sql.p(2)}, 0, {sql.real(3)}, {sql.real(4)})
        ON CONFLICT (account, address) DO UPDATE SET
            last_failure_at = {sql.greatest}({t}.last_failure_at, {sql.real(3)}),
            locked_until = {sql.greatest}(COALESCE({t}.locked_until, 0), {sql.real(4)})
        RETURNING failures
        """,
        [account, EVERY_ADDRESS, now, until],
    )


async def lock_member(member_id: uuid.UUID, until: datetime) -> None:
    """Lock a member's account for everyone until ``until``, never shortening a lock."""
    await Member.filter(Q(id=member_id) & (Q(locked_until__isnull=True) | Q(locked_until__lt=until))).update(
        locked_until=until
    )


async def stamp_login(
    member: Member, stamp: datetime, account: str, address: str, *, threshold: int, now: float
) -> bool:
    """Record a successful login at ``stamp`` unless the account or ``address`` is locked at that
    moment (then False, nothing written).

    One UPDATE that checks both locks as it writes: a failure that locks either, racing this
    login in another process, either comes first (and this finds it) or comes after.
    """
    sql = Sql()
    meta = Member._meta
    updated = await sql.rows(
        f"""
        UPDATE member SET locked_until = NULL, last_login_at = {sql.p(1)}
        WHERE id = {sql.p(2)} AND (locked_until IS NULL OR locked_until <= {sql.p(1)})
          AND NOT EXISTS (
            SELECT 1 FROM {TABLE}
            WHERE account = {sql.p(3)} AND address = {sql.p(4)} AND failures >= {sql.p(5)} AND locked_until > {sql.real(6)})
        RETURNING id
        """,
        [
            meta.fields_map["last_login_at"].to_db_value(stamp, member),
            meta.fields_map["id"].to_db_value(member.id, member),
            account,
            address,
            threshold,
            now,
        ],
    )
    return bool(updated)


async def forget(member_id: uuid.UUID, account: str | None, connection: BaseDBAsyncClient | None = None) -> None:
    """Drop every count and lock of the account (``account``: its rows in ``login_lockout``, if it has an identity)."""
    await Member.filter(id=member_id).using_db(connection).update(locked_until=None)
    if account is not None:
        await LoginLockout.filter(account=account).using_db(connection).delete()
