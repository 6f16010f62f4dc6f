"""Per-account lockout after consecutive failed logins (code 3036).

After ``lockout_threshold`` (10) consecutive wrong passwords an account refuses logins
for ``lockout_seconds`` (60 s); every further failure after a lock runs out locks it
again for twice as long, up to ``lockout_max_seconds`` (15 minutes). A correct password
resets the count; the backend unlocks with ``approveByEmail``.

Every login attempt computes exactly one password hash, locked or not, so neither the
answer time nor the hash count tells a locked account from an open one. While locked,
the answer is 3036 whether the password was right or wrong.

Unknown identities lock too, on a "shadow" counter in ``rate_limit_bucket`` (key
``lock:<sha-256 of the identity>``, ``tokens`` = failures, ``updated_at`` = until when it
is locked, or the last failure): otherwise an attacker could tell existing accounts from
unknown ones by which of them end up answering 3036.

The counters change with conditional single-row updates, so concurrent attempts in any
number of processes cannot slip past a lock: a correct password is honoured only by an
update that finds the account unlocked at that moment.
"""

from __future__ import annotations

import hashlib
import math
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from tortoise.expressions import F, Q

from gql.config import Settings
from gql.db.models import Member, RateLimitBucket
from gql.db.sql import Sql
from gql.domain.errors import DomainError, ErrorCode

# Shadow counters of unknown identities are forgotten after a day of quiet, swept now and
# then (on average every SWEEP_EVERY-th failure of an unknown identity).
SHADOW_TTL_SECONDS = 24 * 3600
SWEEP_EVERY = 200


def lock_seconds(config: Settings, failures: int) -> int:
    """How long the ``failures``-th consecutive failure locks the account (0: not yet)."""
    if failures < config.lockout_threshold:
        return 0
    doublings = min(failures - config.lockout_threshold, 30)
    return min(config.lockout_max_seconds, config.lockout_seconds * 2**doublings)


def locked_error(seconds: float) -> DomainError:
    retry = max(1, math.ceil(seconds))
    return DomainError(
        ErrorCode.ACCOUNT_LOCKED,
        f"Too many failed logins: the account is locked; try again in {retry} seconds.",
        retry_after=retry,
    )


def _shadow_key(identity_key: str) -> str:
    return "lock:" + hashlib.sha256(identity_key.encode("utf-8")).hexdigest()[:40]


@dataclass(frozen=True)
class LockState:
    """Seen before hashing: how many more seconds the account stays locked (0 = open)."""

    seconds_left: float = 0.0

    @property
    def locked(self) -> bool:
        return self.seconds_left > 0


async def state(member: Member | None, identity_key: str) -> LockState:
    if member is not None:
        until = member.locked_until
        if until is None:
            return LockState()
        return LockState(max(0.0, (until - datetime.now(timezone.utc)).total_seconds()))
    rows = await RateLimitBucket.filter(key=_shadow_key(identity_key)).values_list("updated_at", flat=True)
    return LockState(max(0.0, rows[0] - time.time())) if rows else LockState()


def _unlocked(now: datetime) -> Q:
    return Q(locked_until__isnull=True) | Q(locked_until__lte=now)


async def record_failure(config: Settings, member: Member | None, identity_key: str) -> None:
    """Count a wrong password; lock when the count reaches the threshold."""
    if member is None:
        await _record_shadow_failure(config, identity_key)
        return
    now = datetime.now(timezone.utc)
    # Counted only while unlocked: guesses refused by a lock do not lengthen it.
    counted = await Member.filter(Q(id=member.id) & _unlocked(now)).update(failed_logins=F("failed_logins") + 1)
    if not counted:
        return
    rows = await Member.filter(id=member.id).values_list("failed_logins", flat=True)
    failures = rows[0] if rows else 0
    seconds = lock_seconds(config, failures or 0)
    if seconds:
        # The attempt that made this count sets the lock; a later one sets its own.
        await Member.filter(Q(id=member.id, failed_logins=failures) & _unlocked(now)).update(
            locked_until=now + timedelta(seconds=seconds)
        )


async def _record_shadow_failure(config: Settings, identity_key: str) -> None:
    sql = Sql()
    now = time.time()
    key = _shadow_key(identity_key)
    t = "rate_limit_bucket"
    rows = await sql.rows(
        f"""
        INSERT INTO {t} ("key", tokens, updated_at) VALUES ({sql.p(1)}, 1, {sql.real(2)})
        ON CONFLICT ("key") DO UPDATE SET tokens = {t}.tokens + 1, updated_at = {sql.real(2)}
        WHERE {t}.updated_at <= {sql.real(2)}
        RETURNING tokens
        """,
        [key, now],
    )
    if not rows:
        return  # locked: not counted
    failures = int(rows[0]["tokens"])
    seconds = lock_seconds(config, failures)
    if seconds:
        await RateLimitBucket.filter(key=key, tokens=failures, updated_at__lte=now).update(updated_at=now + seconds)
    if random.random() < 1 / SWEEP_EVERY:
        await RateLimitBucket.filter(key__startswith="lock:", updated_at__lt=now - SHADOW_TTL_SECONDS).delete()


async def record_success(member: Member, last_login_at: datetime) -> bool:
    """Reset the count and stamp the login, unless a lock was set meanwhile (then False)."""
    return bool(
        await Member.filter(Q(id=member.id) & _unlocked(last_login_at)).update(
            failed_logins=0, locked_until=None, last_login_at=last_login_at
        )
    )


def unlock_fields() -> dict[str, object]:
    """What the backend's unlock (approveByEmail) writes."""
    return {"failed_logins": 0, "locked_until": None}
