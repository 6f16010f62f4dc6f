"""Per-client rate limits: token buckets shared by every server process.

A bucket holds up to ``capacity`` tokens and refills at ``capacity / period`` tokens a
second; each request takes one token, and a request that finds less than one is refused
with 3207 and the seconds until a token is back (``retryAfter``).

Where the buckets live decides whether the limits hold across processes:

- ``DatabaseLimiter`` (the default): one row per bucket in ``rate_limit_bucket``, taken
  with a single conditional statement (gql/db/buckets.py), so concurrent requests in any
  number of processes never both spend the last token; its time is ``Services.clock``.
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
import time
from dataclasses import dataclass
from typing import Protocol

from gql.config import Config
from gql.db import buckets
from gql.domain.caller import Caller
from gql.domain.clock import Clock, SystemClock
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
    # startExternalLogin writes a state row; completeExternalLogin and linkExternalIdentity call the provider.
    "externalLogin": Limit(30, 300),
    # deleteMemberPhones, deleteMemberEmails, deleteMemberAddresses: each write is audited.
    "deleteContactDetails": Limit(30, 300),
    # enrollTotp, confirmTotp, regenerateRecoveryCodes, disableTotp, reauthenticate: each checks
    # a code (verifyMfa spends "login", as the sign-in it finishes).
    "secondFactor": Limit(30, 300),
    # A signed-in client asks for a token every few minutes; a service validating the tokens it
    # receives asks far more often, from one address.
    "issueAccessToken": Limit(60, 300),
    "validateSession": Limit(300, 60),
    "requestPasswordReset": Limit(10, 3600),
    "resendEmailConfirmation": Limit(10, 3600),
    "requestLoginCode": Limit(10, 3600),
    # loginWithCode, loginWithLinkToken: each code also dies after LOGIN_CODE_ATTEMPTS wrong tries.
    "loginWithCode": Limit(30, 300),
    "mailbox-address": Limit(2, 3600),
    "mailbox": Limit(10, 3600),
    "api-key": Limit(10, 300),
}
LONGEST_PERIOD = max(limit.period for limit in LIMITS.values())


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # whole seconds, at least 1 when refused


def refilled(limit: Limit, tokens: float, elapsed: float) -> float:
    """What a bucket holding ``tokens`` holds ``elapsed`` seconds later (never above capacity)."""
    return min(limit.capacity, tokens + max(0.0, elapsed) * limit.rate)


def decide(tokens: float, limit: Limit) -> Decision:
    """Allowed when a whole token is there; else refused until one is back."""
    return Decision(True) if tokens >= 1 else _refused(tokens, limit)


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
    """Buckets in ``rate_limit_bucket`` (gql/db/buckets.py), on the clock of ``Services.clock``."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def hit(self, key: str, limit: Limit) -> Decision:
        now = self.clock.time()
        if await buckets.take(key, limit.capacity, limit.rate, now, idle_after=LONGEST_PERIOD):
            return Decision(True)
        # Refused: nothing was written. Read the bucket only to say when to come back.
        return await self._decide(key, limit, now)

    async def peek(self, key: str, limit: Limit) -> Decision:
        return await self._decide(key, limit, self.clock.time())

    async def _decide(self, key: str, limit: Limit, now: float) -> Decision:
        bucket = await buckets.read(key)
        if bucket is None:
            return Decision(True)  # never used, or swept: a full bucket
        return decide(refilled(limit, bucket.tokens, now - bucket.updated_at), limit)

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
        return decide(tokens, limit)

    async def close(self) -> None:
        await self.client.aclose()


def build_limiter(config: Config, clock: Clock) -> RateLimiter:
    if config.rate_limit_scale <= 0:
        return Unlimited()
    if config.redis_url:
        return RedisLimiter(config.redis_url, config.redis_prefix)  # Redis's own clock, shared by all
    return DatabaseLimiter(clock)


class RateLimits:
    """The limits in force (scaled) and the backend that counts them."""

    def __init__(self, config: Config, backend: RateLimiter | None = None, clock: Clock | None = None) -> None:
        self.scale = config.rate_limit_scale
        self.enabled = self.scale > 0
        self.backend = backend or build_limiter(config, clock or SystemClock())

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
