"""Token buckets in ``rate_limit_bucket``: one row per bucket, shared by every server process.

The arithmetic of a bucket (capacity, refill rate, when to come back) is the rule's
(gql/domain/ratelimit.py); here is only how a token is taken so that concurrent requests in
any number of processes never both spend the last one: a single
``INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING`` (SQLite ≥ 3.35 and PostgreSQL alike)
that refills the bucket to ``now`` and takes a token only if one is there.
"""

from __future__ import annotations

from dataclasses import dataclass

from gql.db.models import RateLimitBucket
from gql.db.sql import Sql
from gql.db.sweep import now_and_then

TABLE = "rate_limit_bucket"
SWEEP_EVERY = 500  # takes, on average, between sweeps of stale buckets


@dataclass(frozen=True)
class Bucket:
    tokens: float  # as last written
    updated_at: float  # epoch seconds of that write


async def take(key: str, capacity: float, rate: float, now: float, idle_after: float) -> bool:
    """Refill the bucket to ``now`` (a missing one is full) and take one token; False when
    less than one is there (then nothing is written). Now and then, buckets untouched for
    ``idle_after`` seconds (full again by then) are swept."""
    sql = Sql()
    t = TABLE
    refilled = (
        f"{sql.least}({sql.real(2)}, {t}.tokens + {sql.greatest}(0, {sql.real(3)} - {t}.updated_at) * {sql.real(4)})"
    )
    taken = await sql.rows(
        f"""
        INSERT INTO {t} ("key", tokens, updated_at) VALUES ({sql.p(1)}, {sql.real(2)} - 1, {sql.real(3)})
        ON CONFLICT ("key") DO UPDATE SET
            tokens = {refilled} - 1,
            updated_at = {sql.greatest}({t}.updated_at, {sql.real(3)})
        WHERE {refilled} >= 1
        RETURNING tokens
        """,
        [key, float(capacity), now, float(rate)],
    )
    await now_and_then(lambda: RateLimitBucket.filter(updated_at__lt=now - idle_after), SWEEP_EVERY)
    return bool(taken)


async def read(key: str) -> Bucket | None:
    """The bucket as last written, or None when it was never used (or swept: full)."""
    sql = Sql()
    rows = await sql.rows(f'SELECT tokens, updated_at FROM {TABLE} WHERE "key" = {sql.p(1)}', [key])
    return Bucket(float(rows[0]["tokens"]), float(rows[0]["updated_at"])) if rows else None
