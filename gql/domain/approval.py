"""Approving and blocking members (Wix ``approveByToken``, ``approveByEmail``, ``blockByEmail``)."""

from __future__ import annotations

from datetime import datetime, timezone

from tortoise.transactions import in_transaction

from gql.db.models import Member
from gql.domain.caller import Caller
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.events import EventKind, record
from gql.domain.identity import normalise
from gql.domain.outbox import queue_email
from gql.domain.services import Services
from gql.domain.sessions import SessionGrant, end_sessions, start_session
from gql.domain.tokens import Purpose
from gql.domain.views import MemberView


async def member_by_email(email: str) -> Member:
    member = (
        await Member.filter(email_key=normalise(email)).select_related("contact").first() if email.strip() else None
    )
    if member is None:
        raise DomainError(ErrorCode.MEMBER_NOT_FOUND, "No member has that email.", property="email")
    return member


async def approve_by_token(services: Services, caller: Caller, token: str) -> SessionGrant:
    claim = services.tokens.read(Purpose.APPROVE, token)
    now = datetime.now(timezone.utc)
    async with in_transaction() as connection:
        # One conditional UPDATE consumes the token: of any number of concurrent
        # calls with the same token, exactly one matches the row.
        won = await (
            Member.filter(id=claim.member_id, approval_jti=claim.jti, status="PENDING")
            .using_db(connection)
            .update(status="APPROVED", approval_jti=None, updated_at=now)
        )
        if won:
            member = await Member.filter(id=claim.member_id).using_db(connection).select_related("contact").first()
            assert member is not None
            session_token = start_session(services, member)
            await record(services, connection, caller, member.id, EventKind.APPROVED, by="token")
            await queue_email(services, connection, "member_approved", member)
    if not won:
        member = await Member.get_or_none(id=claim.member_id)
        if member is None:
            raise DomainError(ErrorCode.MEMBER_NOT_FOUND, "The member of this token no longer exists.")
        if member.status == "BLOCKED":
            raise DomainError(ErrorCode.LOGIN_DISABLED, "The member is blocked; its approval token is refused.")
        raise DomainError(ErrorCode.TOKEN_USED, "The approval token was already used.")
    return SessionGrant(session_token=session_token, member=MemberView(member, full=True))


async def approve_by_email(services: Services, caller: Caller, email: str) -> SessionGrant:
    """Approve a pending member or unblock a blocked one, and open a session for it."""
    caller.require_backend()
    member = await member_by_email(email)
    now = datetime.now(timezone.utc)
    async with in_transaction() as connection:
        if member.status != "APPROVED":
            kind = EventKind.UNBLOCKED if member.status == "BLOCKED" else EventKind.APPROVED
            await (
                Member.filter(id=member.id)
                .using_db(connection)
                .update(status="APPROVED", approval_jti=None, updated_at=now, failed_logins=0, locked_until=None)
            )
            was_pending = member.status == "PENDING"
            member.status, member.approval_jti, member.updated_at = "APPROVED", None, now
            await record(services, connection, caller, member.id, kind, by="email")
            if was_pending:
                await queue_email(services, connection, "member_approved", member)
        elif member.failed_logins or member.locked_until:
            # An approved member locked by failed logins (gql/domain/lockout.py): unlock.
            await Member.filter(id=member.id).using_db(connection).update(failed_logins=0, locked_until=None)
            member.failed_logins, member.locked_until = 0, None
        session_token = start_session(services, member)
    return SessionGrant(session_token=session_token, member=MemberView(member, full=True))


async def block_by_email(services: Services, caller: Caller, email: str) -> MemberView:
    """Block login, refuse the pending approval token, and end every session at once."""
    caller.require_backend()
    member = await member_by_email(email)
    now = datetime.now(timezone.utc)
    async with in_transaction() as connection:
        await (
            Member.filter(id=member.id)
            .using_db(connection)
            .update(status="BLOCKED", approval_jti=None, updated_at=now, **end_sessions())
        )
        if member.status != "BLOCKED":
            await record(services, connection, caller, member.id, EventKind.BLOCKED)
    member.status, member.approval_jti, member.updated_at = "BLOCKED", None, now
    return MemberView(member, full=True)
