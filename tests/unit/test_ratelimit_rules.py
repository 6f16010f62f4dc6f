"""The token-bucket arithmetic of the rate limits, without a database."""

from __future__ import annotations

import asyncio

import pytest

from gql.config import Config
from gql.domain.caller import BACKEND, anonymous
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.ratelimit import Decision, Limit, RateLimits, Unlimited, bucket_key, decide, refilled

LIMIT = Limit(capacity=4, period=8)  # one token back every 2 s


def test_a_bucket_refills_at_its_rate_and_never_above_capacity() -> None:
    assert LIMIT.rate == 0.5
    assert refilled(LIMIT, 0.0, 2.0) == 1.0
    assert refilled(LIMIT, 1.5, 1.0) == 2.0
    assert refilled(LIMIT, 3.0, 1000.0) == 4.0
    assert refilled(LIMIT, 2.0, -5.0) == 2.0  # a clock read behind the last write adds nothing


def test_a_whole_token_is_needed_and_the_refusal_says_when_one_is_back() -> None:
    assert decide(1.0, LIMIT) == Decision(True)
    assert decide(0.0, LIMIT) == Decision(False, 2)
    assert decide(0.9, LIMIT) == Decision(False, 1)  # 0.2 s, rounded up to whole seconds
    assert decide(-0.5, LIMIT) == Decision(False, 3)


def test_bucket_keys_name_the_limit_and_hide_personal_subjects() -> None:
    assert bucket_key("login", "198.51.100.7") == "rl:login:198.51.100.7"
    hidden = bucket_key("mailbox", "kate@example.com")
    assert hidden.startswith("rl:mailbox:") and "kate" not in hidden and len(hidden) == len("rl:mailbox:") + 40
    assert bucket_key("mailbox", "x" * 65) != bucket_key("mailbox", "x" * 66)


def test_off_means_no_backend_call_and_every_request_allowed() -> None:
    limits = RateLimits(Config(rate_limit_scale=0))
    assert not limits.enabled and isinstance(limits.backend, Unlimited)
    assert asyncio.run(limits.hit("login", "198.51.100.7")) == Decision(True)


class Counting:
    """A backend that keeps its buckets in a dict: the rules above it (which buckets an operation
    spends, who is exempt), without a database."""

    def __init__(self, tokens: float) -> None:
        self.tokens = tokens
        self.taken: list[str] = []

    async def hit(self, key: str, limit: Limit) -> Decision:
        self.taken.append(key)
        return Decision(True) if self.tokens >= 1 else Decision(False, 7)

    async def peek(self, key: str, limit: Limit) -> Decision:
        return Decision(True)

    async def close(self) -> None:
        return None


def test_an_operation_that_mails_spends_the_mailbox_buckets_too_and_the_backend_none() -> None:
    backend = Counting(tokens=1)
    limits = RateLimits(Config(rate_limit_scale=1), backend=backend)
    caller = anonymous("198.51.100.7")
    asyncio.run(limits.take("requestPasswordReset", caller, mailbox=" Kate@Example.com "))
    assert backend.taken == [
        "rl:requestPasswordReset:198.51.100.7",
        bucket_key("mailbox-address", "kate@example.com 198.51.100.7"),
        bucket_key("mailbox", "kate@example.com"),
    ]
    asyncio.run(limits.take("requestPasswordReset", BACKEND, mailbox="kate@example.com"))
    assert len(backend.taken) == 3  # the backend is not limited


def test_an_empty_bucket_is_3207_with_retry_after() -> None:
    limits = RateLimits(Config(rate_limit_scale=1), backend=Counting(tokens=0))
    with pytest.raises(DomainError) as refused:
        asyncio.run(limits.take("login", anonymous("198.51.100.7")))
    assert refused.value.code is ErrorCode.RATE_LIMITED and refused.value.details == {"retry_after": 7}
