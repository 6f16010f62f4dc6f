"""The lockout's counts under racing clocks, on a real database.

Concurrent failures each read the clock before their counting statement runs, so a failure can
reach the database after another one that read a later time. The later reading must not look
like a lock to the earlier one: only a count at the threshold locks (CI once saw 9 of 40
concurrent guesses counted instead of 10, the tenth answered 3036 by a phantom lock)."""

from __future__ import annotations

import time

import pytest

from gql.db.models import Member, RateLimitBucket
from gql.domain import lockout
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.services import Services
from tests.conftest import GraphQLClient
from tests.integration.documents import login, register

ADDRESS = "192.0.2.7"


async def stamped_later(keys: lockout.Keys, failures: int) -> None:
    """What a racing failure that read a later clock leaves behind: a count, stamped ahead."""
    await RateLimitBucket.filter(key=keys.address(ADDRESS)).update(tokens=failures, updated_at=time.time() + 5)


async def test_a_failure_stamped_later_is_not_a_lock_for_one_stamped_earlier(
    gql: GraphQLClient, services: Services
) -> None:
    await register(gql, "race@example.com")
    member = await Member.get(email_key="race@example.com")
    keys = lockout.Keys.of(member.identity)
    config = services.config
    await lockout.record_failure(config, member, keys, ADDRESS)
    await stamped_later(keys, config.lockout_threshold - 2)
    # Counted (threshold - 1), not refused as if locked.
    await lockout.record_failure(config, member, keys, ADDRESS)
    assert await RateLimitBucket.get(key=keys.address(ADDRESS)).values_list("tokens", flat=True) == (
        config.lockout_threshold - 1
    )
    assert await lockout.seconds_locked(config, member, keys, ADDRESS) == 0
    # The right password from that address still gets in: a count below the threshold locks nothing.
    await stamped_later(keys, config.lockout_threshold - 1)
    assert await lockout.record_success(config, member, keys, ADDRESS, member.created_at.now(member.created_at.tzinfo))


async def test_the_failure_that_reaches_the_threshold_locks_however_it_was_stamped(
    gql: GraphQLClient, services: Services
) -> None:
    await register(gql, "race2@example.com")
    member = await Member.get(email_key="race2@example.com")
    keys = lockout.Keys.of(member.identity)
    config = services.config
    await lockout.record_failure(config, member, keys, ADDRESS)
    await stamped_later(keys, config.lockout_threshold - 1)
    await lockout.record_failure(config, member, keys, ADDRESS)  # the threshold-th: counted, and locks
    with pytest.raises(DomainError) as refused:
        await lockout.record_failure(config, member, keys, ADDRESS)
    assert refused.value.code is ErrorCode.ACCOUNT_LOCKED
    assert 55 <= await lockout.seconds_locked(config, member, keys, ADDRESS) <= config.lockout_seconds
    assert (await login(gql, "race2@example.com"))["__typename"] == "LoginPayload"  # other addresses: open
