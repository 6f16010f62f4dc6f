"""The lockout's pure rules: how long a lock lasts, when the account locks for everyone, what it is keyed by."""

from __future__ import annotations

import hashlib

from gql.config import Config
from gql.domain.errors import ErrorCode
from gql.domain.lockout import account_lock_seconds, account_of, lock_seconds, locked_error

CONFIG = Config(lockout_threshold=3, lockout_seconds=60, lockout_max_seconds=500, lockout_addresses=4)


def test_an_address_locks_at_the_threshold_and_each_further_failure_doubles_up_to_the_maximum() -> None:
    assert [lock_seconds(CONFIG, n) for n in range(0, 8)] == [0, 0, 0, 60, 120, 240, 480, 500]
    assert lock_seconds(CONFIG, 10**9) == 500  # no overflow however long the count grows


def test_the_account_locks_for_everyone_only_once_enough_addresses_are_locked_out() -> None:
    assert [account_lock_seconds(CONFIG, n) for n in range(0, 8)] == [0, 0, 0, 0, 60, 120, 240, 480]
    assert account_lock_seconds(CONFIG, 50) == 500


def test_a_lock_never_exceeds_a_maximum_shorter_than_its_first_length() -> None:
    tight = Config(lockout_threshold=1, lockout_seconds=60, lockout_max_seconds=30, lockout_addresses=1)
    assert lock_seconds(tight, 1) == account_lock_seconds(tight, 1) == 30


def test_the_account_key_is_a_digest_not_the_identity() -> None:
    key = account_of("kate@example.com")
    assert key == hashlib.sha256(b"kate@example.com").hexdigest()[:40] and len(key) == 40
    assert account_of("kate@example.com") != account_of("kate2@example.com")


def test_the_refusal_rounds_the_wait_up_to_whole_seconds_at_least_one() -> None:
    for seconds, retry in ((59.2, 60), (60.0, 60), (0.01, 1), (0.0, 1)):
        error = locked_error(seconds)
        assert error.code is ErrorCode.ACCOUNT_LOCKED and error.details == {"retry_after": retry}
        assert f"try again in {retry} seconds" in error.message
