"""Approving, blocking and unblocking members.

Wix's ``approveByToken``, ``approveByEmail`` and ``blockByEmail`` (which open a session or
end them, as the seed says), and the backend's by-id actions ``approveMember``,
``blockMember`` and ``unblockMember`` (which change the member and open no session).
"""

from __future__ import annotations

from datetime import datetime, timezone

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from gql.db.models import Member
from gql.db.transactions import in_transaction
from gql.domain import access, lockout
from gql.domain.caller import Caller
from gql.domain.changes import change
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.events import EventKind, record
from gql.domain.links import ending_links, open_link, unchanged
from gql.domain.lookup import member_by_email, member_by_id
from gql.domain.outbox import queue_email
from gql.domain.permissions import Permission
from gql.domain.records import MemberRecord
from gql.domain.services import Services
from gql.domain.sessions import SessionGrant, end_sessions, open_session
from gql.domain.statuses import MemberStatus, SessionMethod
from gql.domain.tokens import Purpose


async def approve_by_token(services: Services, caller: Caller, token: str) -> SessionGrant:
    """Approve with the token and open a session — unless the email still waits for confirmation
    (then the approval stands and the answer is 3087: the session comes with the confirmation)."""
    await services.rate_limits.take("approveByToken", caller)
    claim, member = await open_link(services, Purpose.APPROVE, token)
    async with in_transaction() as connection:
        # One conditional UPDATE consumes the token: of any number of concurrent calls with
        # the same token, exactly one matches the row (and only while the account is unchanged).
        won = await change(
            member,
            connection,
            where=unchanged(Purpose.APPROVE, member) & Q(status=MemberStatus.PENDING, approval_jti=claim.jti),
            status=MemberStatus.APPROVED,
            approval_jti=None,
            updated_at=datetime.now(timezone.utc),
        )
        if won:
            await record(services, connection, caller, member.id, EventKind.APPROVED, by="token")
            await queue_email(services, connection, "member_approved", member)
    if not won:
        raise DomainError(ErrorCode.TOKEN_USED, "The approval token was already used.")
    return await open_session(services, caller, member, SessionMethod.APPROVAL)


async def approve_by_email(services: Services, caller: Caller, email: str) -> SessionGrant:
    """Approve a pending member or unblock a blocked one (and lift any lockout), then open a
    session for it — unless its email still waits for confirmation (3087, the change stands)."""
    await access.require(caller, Permission.MEMBERS_APPROVE)
    member = await member_by_email(email)
    if member.status is MemberStatus.BLOCKED:
        await access.require(caller, Permission.MEMBERS_BLOCK)  # it also unblocks
    async with in_transaction() as connection:
        if member.status in (MemberStatus.PENDING, MemberStatus.BLOCKED):
            await _approve(services, caller, connection, member, by="email")
        await lockout.clear(member, connection)
    return await open_session(services, caller, member, SessionMethod.APPROVAL)


async def approve_member(services: Services, caller: Caller, member_id: str) -> MemberRecord:
    """Approve a pending member (the approval mail goes out). Approving an approved member or a
    guest changes nothing; a blocked member must be unblocked (3000)."""
    await access.require(caller, Permission.MEMBERS_APPROVE)
    member = await member_by_id(member_id)
    if member.status is MemberStatus.BLOCKED:
        raise DomainError(ErrorCode.LOGIN_DISABLED, "The member is blocked: unblock it instead.", property="id")
    if member.status is MemberStatus.PENDING:
        async with in_transaction() as connection:
            await _approve(services, caller, connection, member, by="id")
    return MemberRecord.of(member)


async def unblock_member(services: Services, caller: Caller, member_id: str) -> MemberRecord:
    """Unblock a blocked member and lift its lockout; it logs in again (its old sessions stay ended)."""
    await access.require(caller, Permission.MEMBERS_BLOCK)
    member = await member_by_id(member_id)
    async with in_transaction() as connection:
        if member.status is MemberStatus.BLOCKED:
            await _approve(services, caller, connection, member, by="id")
        await lockout.clear(member, connection)
    return MemberRecord.of(member)


async def _approve(
    services: Services, caller: Caller, connection: BaseDBAsyncClient, member: Member, *, by: str
) -> None:
    """PENDING or BLOCKED → APPROVED, audited; a pending member is mailed that it was approved."""
    was = member.status
    await change(
        member,
        connection,
        status=MemberStatus.APPROVED,
        approval_jti=None,
        updated_at=datetime.now(timezone.utc),
    )
    kind = EventKind.UNBLOCKED if was is MemberStatus.BLOCKED else EventKind.APPROVED
    await record(services, connection, caller, member.id, kind, by=by)
    if was is MemberStatus.PENDING:
        await queue_email(services, connection, "member_approved", member)


async def block_by_email(services: Services, caller: Caller, email: str) -> MemberRecord:
    await access.require(caller, Permission.MEMBERS_BLOCK)
    return await _block(services, caller, await member_by_email(email))


async def block_member(services: Services, caller: Caller, member_id: str) -> MemberRecord:
    await access.require(caller, Permission.MEMBERS_BLOCK)
    return await _block(services, caller, await member_by_id(member_id))


async def _block(services: Services, caller: Caller, member: Member) -> MemberRecord:
    """Block login, refuse the pending approval token, and end every session at once."""
    was = member.status
    async with in_transaction() as connection:
        await change(
            member,
            connection,
            status=MemberStatus.BLOCKED,
            approval_jti=None,
            updated_at=datetime.now(timezone.utc),
            **ending_links(),
        )
        ended = await end_sessions(connection, member.id)
        if was is not MemberStatus.BLOCKED:
            await record(services, connection, caller, member.id, EventKind.BLOCKED, sessionsEnded=ended)
    return MemberRecord.of(member)
