"""Lockout after failed logins (code 3036): per account *and client address*.

A lockout that counts failures per account alone can be held by anyone: one wrong password
right after each lock runs out keeps the owner out for ever. So failures are counted per
account and client address:

- After ``lockout_threshold`` (10) consecutive wrong passwords from one address, that address
  may not log in to that account for ``lockout_seconds`` (60 s); each further failure from
  it after its lock runs out locks it again for twice as long, up to ``lockout_max_seconds``
  (15 minutes). Other addresses are not affected: the owner, elsewhere, still logs in.
- The account locks for everyone only while ``lockout_addresses`` (5) addresses are locked
  out of it at once — a guess spread over many addresses — for ``lockout_seconds``, doubling
  with each further locked-out address, at most ``lockout_max_seconds``.
- "Consecutive" means since the account's last successful login: a correct password restarts
  the count of every address not locked out at that moment (an address locked out keeps its
  count: its next failure after the lock locks it twice as long). A successful password reset
  and the backend's ``approveByEmail`` clear every count and lock.
- A count below the threshold is never a lock, whatever its timestamps: two failures racing
  each other read the clock in either order.

While locked, the answer is 3036 whether the password was right or wrong, and every attempt
still computes exactly one password hash, so neither the answer nor its time tells anything.
Guesses refused by a lock are not counted: nobody can stretch a lock beyond one guess per
lock period.

The counts live in ``login_lockout`` under a digest of the normalised identity (``account_of``),
so unknown identities behave exactly like real ones and a lock reveals nothing; how they are
written so that concurrent attempts cannot slip past a lock is gql/db/lockouts.py's. Time is
``Services.clock``'s.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime, timezone

from tortoise.backends.base.client import BaseDBAsyncClient

from gql.config import Config
from gql.db import lockouts
from gql.db.models import Member
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.services import Services

# More doublings exceed any maximum worth configuring; capping them keeps 2**n small.
_MAX_DOUBLINGS = 30


def _doubled(config: Config, steps: int) -> int:
    return min(config.lockout_max_seconds, config.lockout_seconds * 2 ** min(steps, _MAX_DOUBLINGS))


def lock_seconds(config: Config, failures: int) -> int:
    """How long the ``failures``-th consecutive failure from one address locks it out (0: not yet)."""
    if failures < config.lockout_threshold:
        return 0
    return _doubled(config, failures - config.lockout_threshold)


def account_lock_seconds(config: Config, locked_addresses: int) -> int:
    """How long the account locks for everyone while ``locked_addresses`` are locked out of it (0: not)."""
    if locked_addresses < config.lockout_addresses:
        return 0
    return _doubled(config, locked_addresses - config.lockout_addresses)


def locked_error(seconds: float) -> DomainError:
    retry = max(1, math.ceil(seconds))
    return DomainError(
        ErrorCode.ACCOUNT_LOCKED,
        f"Too many failed logins: the account is locked; try again in {retry} seconds.",
        retry_after=retry,
    )


def account_of(identity_key: str) -> str:
    """The key the lockout counts an identity under: a digest, so no row holds the identity."""
    return hashlib.sha256(identity_key.encode("utf-8")).hexdigest()[:40]


def _remaining(until: float | None, now: float) -> float:
    return max(0.0, until - now) if until is not None else 0.0


async def account_lock(services: Services, member: Member | None, account: str) -> float:
    """Seconds the account stays locked for everyone (0 = open); read before hashing."""
    now = services.clock.time()
    if member is not None:
        return _remaining(member.locked_until.timestamp() if member.locked_until else None, now)
    return _remaining(await lockouts.account_locked_until(account), now)


async def _address_lock(services: Services, account: str, address: str) -> float:
    until = await lockouts.address_locked_until(account, address, services.config.lockout_threshold)
    return _remaining(until, services.clock.time())


async def seconds_locked(services: Services, member: Member | None, account: str, address: str) -> float:
    """How long this address must wait: the longer of the account's and the address's lock."""
    fresh = await Member.get_or_none(id=member.id) if member is not None else None
    return max(await account_lock(services, fresh, account), await _address_lock(services, account, address))


async def record_failure(services: Services, member: Member | None, account: str, address: str) -> None:
    """Count a wrong password from ``address``; raises 3036 when that address is locked out."""
    config, now = services.config, services.clock.time()
    failures = await lockouts.count_failure(
        account,
        address,
        now=now,
        last_login=member.last_login_at.timestamp() if member and member.last_login_at else 0.0,
        threshold=config.lockout_threshold,
        provisional_until=now + config.lockout_max_seconds,
    )
    if failures is None:  # locked out: not counted
        raise locked_error(await _address_lock(services, account, address))
    seconds = lock_seconds(config, failures)
    if not seconds:
        return
    # This failure locked its address: the exact length, then is the account locked for everyone?
    await lockouts.lock_address(account, address, failures, now + seconds)
    locked = await lockouts.locked_addresses(account, config.lockout_threshold, now)
    account_seconds = account_lock_seconds(config, locked)
    if not account_seconds:
        return
    if member is not None:
        await lockouts.lock_member(member.id, datetime.fromtimestamp(now + account_seconds, timezone.utc))
    else:
        await lockouts.lock_account(account, now + account_seconds, now)


async def record_success(services: Services, member: Member, account: str, address: str) -> bool:
    """Stamp the login now, unless the account or this address is locked at this moment (then False).

    On success the member's ``last_login_at`` is the stamp and its account lock is gone.
    """
    stamp = services.clock.now()
    stamped = await lockouts.stamp_login(
        member, stamp, account, address, threshold=services.config.lockout_threshold, now=stamp.timestamp()
    )
    if stamped:
        member.last_login_at, member.locked_until = stamp, None
    return stamped


async def clear(member: Member, connection: BaseDBAsyncClient | None = None) -> None:
    """Forget every count and lock of the account (a password reset, the backend's unlock)."""
    await lockouts.forget(member.id, account_of(member.identity) if member.identity else None, connection)
    member.locked_until = None
