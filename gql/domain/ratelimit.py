"""Per-client rate limits: token buckets shared by every server process.

A bucket holds up to ``capacity`` tokens and refills at ``capacity / period`` tokens a
second; each request takes one token, and a request that finds less than one is refused
with 3207 and the seconds until a token is back (``retryAfter``).

Where the buckets live decides whether the limits hold across processes:

- ``DatabaseLimiter`` (the default): one row per bucket in ``rate_limit_bucket``, taken
  with a single ``INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING`` statement, so
  concurrent requests in any number of processes never both spend the last token
  (SQLite ≥ 3.35 and PostgreSQL alike).
- ``RedisLimiter`` (``MEMBERS_REDIS_URL``): one hash per bucket, updated by a Lua script
  that Redis runs atomically, with Redis's clock and an expiry on every key.

``MEMBERS_RATE_LIMITS`` scales every capacity (``off`` = 0 disables the limits, for test
suites and benchmarks that drive many requests from one address).
"""

from __future__ import annotations

import hashlib
import logging
import math
import random
import time
from dataclasses import dataclass
from typing import Protocol

from gql.config import Settings
from gql.db.sql import Sql

logger = logging.getLogger("gql.ratelimit")


@dataclass(frozen=True)
class Limit:
    capacity: float
    period: float  # seconds for an empty bucket to fill up again

    @property
    def rate(self) -> float:
        return self.capacity / self.period

    def scaled(self, factor: float) -> Limit:
        # At least one token, or a small scale would refuse everything forever.
        return Limit(max(1.0, self.capacity * factor), self.period)


# The limit names are the fields they guard; "email-account" is per target email
# address (how many emails a client can make the service send to one mailbox).
LIMITS: dict[str, Limit] = {
    "register": Limit(30, 300),
    "login": Limit(30, 300),
    "approveByToken": Limit(30, 300),
    "confirmEmail": Limit(30, 300),
    "resetPassword": Limit(30, 300),
    "loginAsGuest": Limit(30, 300),
    "requestPasswordReset": Limit(10, 3600),
    "resendEmailConfirmation": Limit(10, 3600),
    "email-account": Limit(2, 3600),
}
LONGEST_PERIOD = max(limit.period for limit in LIMITS.values())


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # whole seconds, at least 1 when refused


def _refused(tokens: float, limit: Limit) -> Decision:
    return Decision(False, max(1, math.ceil((1.0 - tokens) / limit.rate)))


def bucket_key(name: str, subject: str) -> str:
    """``name:subject``; subjects that may be personal data (emails) are hashed."""
    if len(subject) > 64 or "@" in subject:
        subject = hashlib.sha256(subject.encode("utf-8")).hexdigest()[:40]
    return f"rl:{name}:{subject}"


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: Limit) -> Decision: ...

    async def close(self) -> None: ...


class Unlimited:
    """``MEMBERS_RATE_LIMITS=off``."""

    async def hit(self, key: str, limit: Limit) -> Decision:
        return Decision(True)

    async def close(self) -> None:
        return None


# --- the database backend -------------------------------------------------------------


class DatabaseLimiter:
    """Buckets in ``rate_limit_bucket``; expired rows are swept now and then."""

    SWEEP_EVERY = 500  # hits, on average

    async def hit(self, key: str, limit: Limit) -> Decision:
        sql = Sql()
        now = time.time()
        t = "rate_limit_bucket"
        refilled = f"{sql.least}({sql.real(2)}, {t}.tokens + {sql.greatest}(0, {sql.real(3)} - {t}.updated_at) * {sql.real(4)})"
        statement = f"""
            INSERT INTO {t} ("key", tokens, updated_at) VALUES ({sql.p(1)}, {sql.real(2)} - 1, {sql.real(3)})
            ON CONFLICT ("key") DO UPDATE SET
                tokens = {refilled} - 1,
                updated_at = {sql.greatest}({t}.updated_at, {sql.real(3)})
            WHERE {refilled} >= 1
            RETURNING tokens
        """
        taken = await sql.rows(statement, [key, float(limit.capacity), now, float(limit.rate)])
        if random.random() < 1 / self.SWEEP_EVERY:
            await self.sweep(now)
        if taken:
            return Decision(True)
        # Refused: nothing was written. Read the bucket only to say when to come back.
        current = await sql.rows(f'SELECT tokens, updated_at FROM {t} WHERE "key" = {sql.p(1)}', [key])
        if not current:
            return Decision(True)  # swept in between: a full bucket
        tokens = min(limit.capacity, current[0]["tokens"] + max(0.0, now - current[0]["updated_at"]) * limit.rate)
        return _refused(tokens, limit)

    async def sweep(self, now: float | None = None) -> None:
        """Forget buckets untouched for longer than any period: they are full anyway."""
        from gql.db.models import RateLimitBucket

        now = now or time.time()
        await RateLimitBucket.filter(key__startswith="rl:", updated_at__lt=now - LONGEST_PERIOD).delete()

    async def close(self) -> None:
        return None


# --- the Redis backend -----------------------------------------------------------------

_TAKE = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate * 1000) + 1000)
return {allowed, tostring(tokens)}
"""


class RedisLimiter:
    """Buckets in Redis. When Redis cannot be reached, requests are let through (logged):
    the per-account lockout, which lives in the database, still bounds password guessing."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis.asyncio as redis

        self.client = redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = prefix
        self.script = self.client.register_script(_TAKE)
        self._last_warning = 0.0

    async def hit(self, key: str, limit: Limit) -> Decision:
        from redis.exceptions import RedisError

        try:
            allowed, tokens = await self.script(keys=[self.prefix + key], args=[limit.capacity, limit.rate])
        except (RedisError, OSError):
            if time.monotonic() - self._last_warning > 10:
                self._last_warning = time.monotonic()
                logger.warning("rate limits not enforced: Redis unreachable", exc_info=True)
            return Decision(True)
        if int(allowed):
            return Decision(True)
        return _refused(float(tokens), limit)

    async def close(self) -> None:
        await self.client.aclose()


def build_limiter(config: Settings) -> RateLimiter:
    if config.rate_limit_scale <= 0:
        return Unlimited()
    if config.redis_url:
        return RedisLimiter(config.redis_url, config.redis_prefix)
    return DatabaseLimiter()


class RateLimits:
    """The limits in force (scaled) and the backend that counts them."""

    def __init__(self, config: Settings, backend: RateLimiter | None = None) -> None:
        self.scale = config.rate_limit_scale
        self.enabled = self.scale > 0
        self.backend = backend or build_limiter(config)

    def limit(self, name: str) -> Limit:
        return LIMITS[name].scaled(self.scale)

    async def hit(self, name: str, subject: str) -> Decision:
        if not self.enabled:
            return Decision(True)
        return await self.backend.hit(bucket_key(name, subject), self.limit(name))

    async def close(self) -> None:
        await self.backend.close()
