"""Approving and blocking members (Wix ``approveByToken``, ``approveByEmail``, ``blockByEmail``)."""

from __future__ import annotations

from datetime import datetime, timezone

from gql.db.models import Member
from gql.db.transactions import in_transaction
from gql.domain import lockout
from gql.domain.caller import Caller
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.events import EventKind, record
from gql.domain.identity import normalise
from gql.domain.links import open_link, unchanged
from gql.domain.outbox import queue_email
from gql.domain.services import Services
from gql.domain.sessions import SessionGrant, end_sessions, start_session
from gql.domain.tokens import Purpose
from gql.domain.views import APPROVED, BLOCKED, PENDING, MemberView


async def member_by_email(email: str) -> Member:
    member = (
        await Member.filter(email_key=normalise(email)).select_related("contact").first() if email.strip() else None
    )
    if member is None:
        raise DomainError(ErrorCode.MEMBER_NOT_FOUND, "No member has that email.", property="email")
    return member


async def approve_by_token(services: Services, caller: Caller, token: str) -> SessionGrant:
    """Approve with the token and open a session — unless the email still waits for confirmation
    (then the approval stands and the answer is 3087: the session comes with the confirmation)."""
    await services.rate_limits.take("approveByToken", caller)
    claim, member = await open_link(services, Purpose.APPROVE, token)
    now = datetime.now(timezone.utc)
    async with in_transaction() as connection:
        # One conditional UPDATE consumes the token: of any number of concurrent calls with
        # the same token, exactly one matches the row (and only while the account is unchanged).
        won = await (
            Member.filter(unchanged(Purpose.APPROVE, member), id=member.id, approval_jti=claim.jti, status=PENDING)
            .using_db(connection)
            .update(status=APPROVED, approval_jti=None, updated_at=now)
        )
        if won:
            member.status, member.approval_jti, member.updated_at = APPROVED, None, now
            await record(services, connection, caller, member.id, EventKind.APPROVED, by="token")
            await queue_email(services, connection, "member_approved", member)
    if not won:
        raise DomainError(ErrorCode.TOKEN_USED, "The approval token was already used.")
    return SessionGrant(session_token=start_session(services, member), member=MemberView(member, full=True))


async def approve_by_email(services: Services, caller: Caller, email: str) -> SessionGrant:
    """Approve a pending member or unblock a blocked one (and lift any lockout), then open a
    session for it — unless its email still waits for confirmation (3087, the change stands)."""
    caller.require_backend()
    member = await member_by_email(email)
    now = datetime.now(timezone.utc)
    async with in_transaction() as connection:
        if member.status != APPROVED:
            kind = EventKind.UNBLOCKED if member.status == BLOCKED else EventKind.APPROVED
            await (
                Member.filter(id=member.id)
                .using_db(connection)
                .update(status=APPROVED, approval_jti=None, updated_at=now)
            )
            was_pending = member.status == PENDING
            member.status, member.approval_jti, member.updated_at = APPROVED, None, now
            await record(services, connection, caller, member.id, kind, by="email")
            if was_pending:
                await queue_email(services, connection, "member_approved", member)
        await lockout.clear(member, connection)
    return SessionGrant(session_token=start_session(services, member), member=MemberView(member, full=True))


async def block_by_email(services: Services, caller: Caller, email: str) -> MemberView:
    """Block login, refuse the pending approval token, and end every session at once."""
    caller.require_backend()
    member = await member_by_email(email)
    now = datetime.now(timezone.utc)
    async with in_transaction() as connection:
        await (
            Member.filter(id=member.id)
            .using_db(connection)
            .update(status=BLOCKED, approval_jti=None, updated_at=now, **end_sessions())
        )
        if member.status != BLOCKED:
            await record(services, connection, caller, member.id, EventKind.BLOCKED)
    member.status, member.approval_jti, member.updated_at = BLOCKED, None, now
    return MemberView(member, full=True)
