"""Step-up checks: the signed-in member proves its password again before a sensitive action
(Backendless ``verifyPassword``).

A password check is a password guess, so it is treated exactly as a login (gql/domain/lockout.py,
gql/domain/ratelimit.py): it spends the caller's address's ``login`` bucket, computes exactly one
password hash whatever happens, counts a wrong password as a failed login of the member's account
from the caller's address, answers 3036 while that address or the account is locked (the right
password too, so a lock cannot be probed), and a right one is honoured only by the same UPDATE
that honours a login (it restarts the counts and stamps ``lastLoginDate``). A session alone is
therefore worth no more guesses than the login form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gql.db.transactions import in_transaction
from gql.domain import lockout
from gql.domain.caller import Caller
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.events import EventKind, record
from gql.domain.lookup import find_by_id
from gql.domain.records import MemberRecord
from gql.domain.services import Services


@dataclass(frozen=True)
class Verification:
    """The password was right: the member, and when it was verified."""

    member: MemberRecord
    verified_at: datetime


async def verify_password(services: Services, caller: Caller, password: str) -> Verification:
    await services.rate_limits.take("login", caller)
    member_id = caller.require_member()
    if not password:
        raise DomainError(ErrorCode.EMPTY_CREDENTIALS, "The password is empty.", property="password")
    member = await find_by_id(member_id)
    if member is None:  # deleted since the session was read
        raise DomainError(ErrorCode.NOT_LOGGED_IN)
    if member.identity is None:
        # A guest has no password and no account to guess at: the same hash, the same answer.
        await services.hasher.verify(password, None)
        raise DomainError(ErrorCode.INVALID_CREDENTIALS, "Wrong password.", property="password")
    account = lockout.account_of(member.identity)
    account_locked = await lockout.account_lock(services, member, account)
    matches = await services.hasher.verify(password, member.password_hash)
    if account_locked:
        raise lockout.locked_error(account_locked)
    if not matches:
        await lockout.record_failure(services, member, account, caller.address)
        raise DomainError(ErrorCode.INVALID_CREDENTIALS, "Wrong password.", property="password")
    if not await lockout.record_success(services, member, account, caller.address):
        raise lockout.locked_error(await lockout.seconds_locked(services, member, account, caller.address))
    assert member.last_login_at is not None  # stamped by record_success
    async with in_transaction() as connection:
        await record(services, connection, caller, member.id, EventKind.PASSWORD_VERIFIED)
    return Verification(MemberRecord.of(member), member.last_login_at)
