"""Database token buckets on a real database, with a clock the test moves (Services.clock):
a bucket empties, refuses with the seconds until a token is back, and refills to the second."""

from __future__ import annotations

from gql.db.models import RateLimitBucket
from gql.domain.ratelimit import DatabaseLimiter, Decision, Limit
from gql.domain.services import Services
from tests.clock import ManualClock

LIMIT = Limit(capacity=3, period=6)  # one token back every 2 s
KEY = "rl:test:198.51.100.40"


async def test_a_bucket_empties_refuses_and_refills_on_the_clock(services: Services) -> None:
    clock = ManualClock()
    limiter = DatabaseLimiter(clock)
    assert [await limiter.hit(KEY, LIMIT) for _ in range(3)] == [Decision(True)] * 3
    assert await limiter.hit(KEY, LIMIT) == Decision(False, 2)
    assert await limiter.peek(KEY, LIMIT) == Decision(False, 2)  # a refusal spent nothing
    clock.advance(1)
    assert await limiter.hit(KEY, LIMIT) == Decision(False, 1)
    clock.advance(1)
    assert await limiter.peek(KEY, LIMIT) == Decision(True)
    assert await limiter.hit(KEY, LIMIT) == Decision(True)  # the token that came back
    assert await limiter.hit(KEY, LIMIT) == Decision(False, 2)
    clock.advance(3600)
    assert [await limiter.hit(KEY, LIMIT) for _ in range(4)] == [Decision(True)] * 3 + [Decision(False, 2)]


async def test_a_clock_behind_the_last_write_neither_refills_nor_rewinds(services: Services) -> None:
    """Processes' clocks differ a little: a reading behind the bucket's last write adds no token,
    and the bucket keeps the later time."""
    behind = ManualClock()
    behind_start = behind.time()
    ahead = ManualClock(behind_start + 5)
    assert [await DatabaseLimiter(ahead).hit(KEY, LIMIT) for _ in range(3)] == [Decision(True)] * 3
    assert await DatabaseLimiter(behind).hit(KEY, LIMIT) == Decision(False, 2)
    assert (await RateLimitBucket.get(key=KEY)).updated_at == behind_start + 5
