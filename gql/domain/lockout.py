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
  every address's count (an address locked out stays locked until its lock runs out). A
  successful password reset and the backend's ``approveByEmail`` clear every count and lock.

While locked, the answer is 3036 whether the password was right or wrong, and every attempt
still computes exactly one password hash, so neither the answer nor its time tells anything.
Guesses refused by a lock are not counted: nobody can stretch a lock beyond one guess per
lock period.

Where the counts live (all in ``rate_limit_bucket``, keyed by a hash of the normalised
identity, so unknown identities behave exactly like real ones and a lock reveals nothing):

- ``lock:<h>:<address>``: ``tokens`` = consecutive failures from that address, ``updated_at`` =
  until when that address is locked out (only once ``tokens`` reached the threshold), or else
  the time of its last failure. A row below the threshold is never a lock: two failures racing
  each other stamp their own clock readings in either order, and the later reading must not
  look like a lock to the earlier one;
- the account-wide lock: ``member.locked_until`` for a member, the row ``lock:<h>`` for an
  unknown identity.

Every change is a conditional single-row statement, so concurrent attempts in any number of
processes cannot slip past a lock: a correct password is honoured only by the one UPDATE that
also finds neither the account nor the address locked at that moment, and the failure that
reaches the threshold locks its address in the same statement that counts it.
"""

from __future__ import annotations

import hashlib
import math
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from gql.config import Settings
from gql.db.models import Member, RateLimitBucket
from gql.db.sql import Sql
from gql.domain.errors import DomainError, ErrorCode

# Counts of addresses and unknown identities are forgotten after a day of quiet, swept now
# and then (on average every SWEEP_EVERY-th counted failure).
STALE_AFTER_SECONDS = 24 * 3600
SWEEP_EVERY = 200


def lock_seconds(config: Settings, failures: int) -> int:
    """How long the ``failures``-th consecutive failure from one address locks it out (0: not yet)."""
    if failures < config.lockout_threshold:
        return 0
    doublings = min(failures - config.lockout_threshold, 30)
    return min(config.lockout_max_seconds, config.lockout_seconds * 2**doublings)


def account_lock_seconds(config: Settings, locked_addresses: int) -> int:
    """How long the account locks for everyone while ``locked_addresses`` are locked out of it (0: not)."""
    if locked_addresses < config.lockout_addresses:
        return 0
    doublings = min(locked_addresses - config.lockout_addresses, 30)
    return min(config.lockout_max_seconds, config.lockout_seconds * 2**doublings)


def locked_error(seconds: float) -> DomainError:
    retry = max(1, math.ceil(seconds))
    return DomainError(
        ErrorCode.ACCOUNT_LOCKED,
        f"Too many failed logins: the account is locked; try again in {retry} seconds.",
        retry_after=retry,
    )


@dataclass(frozen=True)
class Keys:
    """The bucket keys of one identity: its account-wide row and its per-address rows."""

    account: str

    @classmethod
    def of(cls, identity_key: str) -> Keys:
        return cls("lock:" + hashlib.sha256(identity_key.encode("utf-8")).hexdigest()[:40])

    def address(self, address: str) -> str:
        return f"{self.account}:{address}"

    @property
    def addresses(self) -> Q:
        """Every per-address row of this identity: keys from ``<account>:`` up to ``<account>;``."""
        return Q(key__gte=self.account + ":", key__lt=self.account + ";")


async def account_lock(member: Member | None, keys: Keys) -> float:
    """Seconds the account stays locked for everyone (0 = open); read before hashing."""
    if member is not None:
        until = member.locked_until
        return max(0.0, (until - datetime.now(timezone.utc)).total_seconds()) if until else 0.0
    rows = await RateLimitBucket.filter(key=keys.account).values_list("updated_at", flat=True)
    return max(0.0, rows[0] - time.time()) if rows else 0.0


async def _address_lock(config: Settings, keys: Keys, address: str) -> float:
    rows = await RateLimitBucket.filter(key=keys.address(address), tokens__gte=config.lockout_threshold).values_list(
        "updated_at", flat=True
    )
    return max(0.0, rows[0] - time.time()) if rows else 0.0


async def seconds_locked(config: Settings, member: Member | None, keys: Keys, address: str) -> float:
    """How long this address must wait: the longer of the account's and the address's lock."""
    fresh = await Member.get_or_none(id=member.id) if member is not None else None
    return max(await account_lock(fresh, keys), await _address_lock(config, keys, address))


def _epoch(moment: datetime | None) -> float:
    return moment.timestamp() if moment else 0.0


async def record_failure(config: Settings, member: Member | None, keys: Keys, address: str) -> None:
    """Count a wrong password from ``address``; raises 3036 when that address is locked out.

    One statement counts the failure unless the address is locked, restarts the count when the
    account logged in successfully since this address last failed, and — when the count
    reaches the threshold — locks the address at once (provisionally for the longest lock, made
    exact by the next statement), so no correct password can slip in between.
    """
    sql = Sql()
    now = time.time()
    t = "rate_limit_bucket"
    threshold, longest = config.lockout_threshold, config.lockout_max_seconds
    count = f"(CASE WHEN {t}.updated_at < {sql.real(3)} THEN 1 ELSE {t}.tokens + 1 END)"
    rows = await sql.rows(
        f"""
        INSERT INTO {t} ("key", tokens, updated_at)
        VALUES ({sql.p(1)}, 1, CASE WHEN 1 >= {sql.p(4)} THEN {sql.real(2)} + {sql.p(5)} ELSE {sql.real(2)} END)
        ON CONFLICT ("key") DO UPDATE SET
            tokens = {count},
            updated_at = CASE WHEN {count} >= {sql.p(4)} THEN {sql.real(2)} + {sql.p(5)} ELSE {sql.real(2)} END
        WHERE {t}.tokens < {sql.p(4)} OR {t}.updated_at <= {sql.real(2)}
        RETURNING tokens
        """,
        [keys.address(address), now, _epoch(member.last_login_at if member else None), threshold, longest],
    )
    if random.random() < 1 / SWEEP_EVERY:
        await RateLimitBucket.filter(key__startswith="lock:", updated_at__lt=now - STALE_AFTER_SECONDS).delete()
    if not rows:
        raise locked_error(await _address_lock(config, keys, address))  # locked out: not counted
    failures = int(rows[0]["tokens"])
    seconds = lock_seconds(config, failures)
    if not seconds:
        return
    # This failure locked its address: the exact length, then is the account locked for everyone?
    await RateLimitBucket.filter(key=keys.address(address), tokens=failures).update(updated_at=now + seconds)
    locked_addresses = await RateLimitBucket.filter(keys.addresses, tokens__gte=threshold, updated_at__gt=now).count()
    account_seconds = account_lock_seconds(config, locked_addresses)
    if account_seconds:
        await _lock_account(member, keys, account_seconds)


async def _lock_account(member: Member | None, keys: Keys, seconds: int) -> None:
    """Lock for everyone, never shortening a lock already set."""
    if member is not None:
        now = datetime.now(timezone.utc)
        until = now + timedelta(seconds=seconds)
        await Member.filter(Q(id=member.id) & (Q(locked_until__isnull=True) | Q(locked_until__lt=until))).update(
            locked_until=until
        )
        return
    sql = Sql()
    t = "rate_limit_bucket"
    await sql.rows(
        f"""
        INSERT INTO {t} ("key", tokens, updated_at) VALUES ({sql.p(1)}, 0, {sql.real(2)})
        ON CONFLICT ("key") DO UPDATE SET updated_at = {sql.greatest}({t}.updated_at, {sql.real(2)})
        RETURNING tokens
        """,
        [keys.account, time.time() + seconds],
    )


async def record_success(config: Settings, member: Member, keys: Keys, address: str, now: datetime) -> bool:
    """Stamp the login, unless the account or this address is locked at this moment (then False).

    One UPDATE that checks both locks as it writes: a failure that locks either, racing this
    login in another process, either comes first (and this finds it) or comes after.
    """
    sql = Sql()
    meta = Member._meta
    stamp = meta.fields_map["last_login_at"].to_db_value(now, member)
    member_id = meta.fields_map["id"].to_db_value(member.id, member)
    updated = await sql.rows(
        f"""
        UPDATE member SET locked_until = NULL, last_login_at = {sql.p(1)}
        WHERE id = {sql.p(2)} AND (locked_until IS NULL OR locked_until <= {sql.p(1)})
          AND NOT EXISTS (
            SELECT 1 FROM rate_limit_bucket
            WHERE "key" = {sql.p(3)} AND tokens >= {sql.p(5)} AND updated_at > {sql.real(4)})
        RETURNING id
        """,
        [stamp, member_id, keys.address(address), now.timestamp(), config.lockout_threshold],
    )
    return bool(updated)


async def clear(member: Member, connection: BaseDBAsyncClient | None = None) -> None:
    """Forget every count and lock of the account (a password reset, the backend's unlock)."""
    await Member.filter(id=member.id).using_db(connection).update(locked_until=None)
    member.locked_until = None
    if member.identity:
        keys = Keys.of(member.identity)
        await RateLimitBucket.filter(Q(key=keys.account) | keys.addresses).using_db(connection).delete()
