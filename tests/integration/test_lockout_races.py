"""The lockout's counts under racing clocks, on a real database.

Concurrent failures each read the clock before their counting statement runs, so a failure can
reach the database after another one that read a later time. The later reading must not look
like a lock to the earlier one: only a count at the threshold locks (CI once saw 9 of 40
concurrent guesses counted instead of 10, the tenth answered 3036 by a phantom lock)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gql.db.models import LoginLockout, Member
from gql.domain import lockout
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.services import Services
from tests.clock import ManualClock
from tests.conftest import GraphQLClient
from tests.integration.documents import login, register

ADDRESS = "192.0.2.7"


@pytest.fixture
def on_a_clock(services: Services) -> Services:
    """The app's services with their lockout settings as configured, going by a clock of the test's."""
    return replace(services, clock=ManualClock())


async def stamped_later(services: Services, account: str, failures: int) -> None:
    """What a racing failure that read a later clock leaves behind: a count below the threshold,
    its timestamps ahead of the clock (``locked_until`` too, as the worst a row can say)."""
    ahead = services.clock.time() + 5
    await LoginLockout.filter(account=account, address=ADDRESS).update(
        failures=failures, last_failure_at=ahead, locked_until=ahead
    )


async def test_a_failure_stamped_later_is_not_a_lock_for_one_stamped_earlier(
    gql: GraphQLClient, on_a_clock: Services
) -> None:
    await register(gql, "race@example.com")
    member = await Member.get(email_key="race@example.com")
    account = lockout.account_of(member.identity)
    threshold = on_a_clock.config.lockout_threshold
    await lockout.record_failure(on_a_clock, member, account, ADDRESS)
    await stamped_later(on_a_clock, account, threshold - 2)
    # Counted (threshold - 1), not refused as if locked.
    await lockout.record_failure(on_a_clock, member, account, ADDRESS)
    row = await LoginLockout.get(account=account, address=ADDRESS)
    assert (row.failures, row.locked_until) == (threshold - 1, None)
    assert await lockout.seconds_locked(on_a_clock, member, account, ADDRESS) == 0
    # The right password from that address still gets in: a count below the threshold locks nothing.
    await stamped_later(on_a_clock, account, threshold - 1)
    assert await lockout.seconds_locked(on_a_clock, member, account, ADDRESS) == 0
    assert await lockout.record_success(on_a_clock, member, account, ADDRESS)


async def test_the_failure_that_reaches_the_threshold_locks_however_it_was_stamped(
    gql: GraphQLClient, on_a_clock: Services
) -> None:
    await register(gql, "race2@example.com")
    member = await Member.get(email_key="race2@example.com")
    account = lockout.account_of(member.identity)
    config = on_a_clock.config
    await lockout.record_failure(on_a_clock, member, account, ADDRESS)
    await stamped_later(on_a_clock, account, config.lockout_threshold - 1)
    await lockout.record_failure(on_a_clock, member, account, ADDRESS)  # the threshold-th: counted, and locks
    with pytest.raises(DomainError) as refused:
        await lockout.record_failure(on_a_clock, member, account, ADDRESS)
    assert refused.value.code is ErrorCode.ACCOUNT_LOCKED
    assert refused.value.details["retry_after"] == config.lockout_seconds
    assert await lockout.seconds_locked(on_a_clock, member, account, ADDRESS) == config.lockout_seconds
    assert not await lockout.record_success(on_a_clock, member, account, ADDRESS)  # the right password: refused
    assert (await login(gql, "race2@example.com"))["__typename"] == "LoginPayload"  # other addresses: open
