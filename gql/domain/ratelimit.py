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

The rules take their tokens themselves (``RateLimits.take`` at the top of each domain
operation that hashes a password, checks a token or sends a mail), so every way in — the
GraphQL API, the HTML pages behind emailed links, and whatever is added later — is limited
by the same buckets before any work is done.
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
from gql.domain.caller import Caller
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.identity import normalise

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


# The limit names are the operations they guard, counted per client address. Mail an
# operation sends is also counted per target mailbox: "mailbox-address" per mailbox and
# client address (one client cannot use up the allowance of the mailbox's owner), "mailbox"
# per mailbox whoever asks (many clients together cannot flood one mailbox). "api-key"
# counts wrong X-Api-Key headers per address.
LIMITS: dict[str, Limit] = {
    "register": Limit(30, 300),
    "login": Limit(30, 300),
    "approveByToken": Limit(30, 300),
    "confirmEmail": Limit(30, 300),
    "resetPassword": Limit(30, 300),
    "loginAsGuest": Limit(30, 300),
    "requestPasswordReset": Limit(10, 3600),
    "resendEmailConfirmation": Limit(10, 3600),
    "mailbox-address": Limit(2, 3600),
    "mailbox": Limit(10, 3600),
    "api-key": Limit(10, 300),
}
LONGEST_PERIOD = max(limit.period for limit in LIMITS.values())


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # whole seconds, at least 1 when refused


def _refused(tokens: float, limit: Limit) -> Decision:
    return Decision(False, max(1, math.ceil((1.0 - tokens) / limit.rate)))


def raise_if_refused(decision: Decision) -> None:
    if not decision.allowed:
        raise DomainError(
            ErrorCode.RATE_LIMITED,
            f"Too many requests; try again in {decision.retry_after} seconds.",
            retry_after=decision.retry_after,
        )


def bucket_key(name: str, subject: str) -> str:
    """``name:subject``; subjects that may be personal data (emails) are hashed."""
    if len(subject) > 64 or "@" in subject:
        subject = hashlib.sha256(subject.encode("utf-8")).hexdigest()[:40]
    return f"rl:{name}:{subject}"


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: Limit) -> Decision: ...

    async def peek(self, key: str, limit: Limit) -> Decision:
        """Would ``hit`` be allowed now? Spends nothing."""
        ...

    async def close(self) -> None: ...


class Unlimited:
    """``MEMBERS_RATE_LIMITS=off``."""

    async def hit(self, key: str, limit: Limit) -> Decision:
        return Decision(True)

    async def peek(self, key: str, limit: Limit) -> Decision:
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
        return await self.peek(key, limit, now)

    async def peek(self, key: str, limit: Limit, now: float | None = None) -> Decision:
        sql = Sql()
        now = now or time.time()
        current = await sql.rows(f'SELECT tokens, updated_at FROM rate_limit_bucket WHERE "key" = {sql.p(1)}', [key])
        if not current:
            return Decision(True)  # never used, or swept: a full bucket
        tokens = min(limit.capacity, current[0]["tokens"] + max(0.0, now - current[0]["updated_at"]) * limit.rate)
        return Decision(True) if tokens >= 1 else _refused(tokens, limit)

    async def sweep(self, now: float | None = None) -> None:
        """Forget buckets untouched for longer than any period: they are full anyway."""
        from gql.db.models import RateLimitBucket

        now = now or time.time()
        await RateLimitBucket.filter(key__startswith="rl:", updated_at__lt=now - LONGEST_PERIOD).delete()

    async def close(self) -> None:
        return None


# --- the Redis backend -----------------------------------------------------------------

# Both scripts first refill the bucket to now, with Redis's clock (a missing key is a full bucket).
_REFILLED = """
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
"""

_TAKE = (
    _REFILLED
    + """
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate * 1000) + 1000)
return {allowed, tostring(tokens)}
"""
)

_PEEK = _REFILLED + "return tostring(tokens)\n"


class RedisLimiter:
    """Buckets in Redis. When Redis cannot be reached, requests are let through (logged):
    the per-account lockout, which lives in the database, still bounds password guessing."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis.asyncio as redis

        self.client = redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = prefix
        self.script = self.client.register_script(_TAKE)
        self.peek_script = self.client.register_script(_PEEK)
        self._last_warning = 0.0

    def _unreachable(self) -> Decision:
        if time.monotonic() - self._last_warning > 10:
            self._last_warning = time.monotonic()
            logger.warning("rate limits not enforced: Redis unreachable", exc_info=True)
        return Decision(True)

    async def hit(self, key: str, limit: Limit) -> Decision:
        from redis.exceptions import RedisError

        try:
            allowed, tokens = await self.script(keys=[self.prefix + key], args=[limit.capacity, limit.rate])
        except (RedisError, OSError):
            return self._unreachable()
        if int(allowed):
            return Decision(True)
        return _refused(float(tokens), limit)

    async def peek(self, key: str, limit: Limit) -> Decision:
        from redis.exceptions import RedisError

        try:
            tokens = float(await self.peek_script(keys=[self.prefix + key], args=[limit.capacity, limit.rate]))
        except (RedisError, OSError):
            return self._unreachable()
        return Decision(True) if tokens >= 1 else _refused(tokens, limit)

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

    async def peek(self, name: str, subject: str) -> Decision:
        if not self.enabled:
            return Decision(True)
        return await self.backend.peek(bucket_key(name, subject), self.limit(name))

    async def take(self, name: str, caller: Caller, *, mailbox: str | None = None) -> None:
        """Spend a token of ``name`` for the caller's address, and, when the operation mails
        ``mailbox``, of that mailbox's buckets; 3207 with ``retryAfter`` when one is empty.
        The backend (X-Api-Key) is not limited."""
        assert name in LIMITS, f"unknown rate limit {name!r}"
        if not self.enabled or caller.is_backend:
            return
        subjects = [(name, caller.address)]
        if mailbox is not None and mailbox.strip():
            key = normalise(mailbox)
            subjects += [("mailbox-address", f"{key} {caller.address}"), ("mailbox", key)]
        for bucket, subject in subjects:
            raise_if_refused(await self.hit(bucket, subject))

    async def close(self) -> None:
        await self.backend.close()
