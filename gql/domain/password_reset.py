"""Setting, resetting and changing passwords."""

from __future__ import annotations

from datetime import datetime, timezone

from tortoise.transactions import in_transaction

from gql.db.models import Member
from gql.domain.approval import member_by_email
from gql.domain.caller import Caller
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.events import EventKind, record
from gql.domain.identity import normalise
from gql.domain.outbox import queue_email
from gql.domain.passwords import check_policy
from gql.domain.services import Services
from gql.domain.sessions import SessionGrant, end_sessions, start_session
from gql.domain.tokens import Purpose, new_jti
from gql.domain.views import MemberView

RESET_PATH = "/reset-password"


async def send_password_link(services: Services, connection: object, member: Member, template: str) -> None:
    """A new single-use link (3 hours); it replaces any older one."""
    member.reset_jti = new_jti()
    await Member.filter(id=member.id).using_db(connection).update(reset_jti=member.reset_jti)  # type: ignore[arg-type]
    token = services.tokens.issue(Purpose.RESET, member.id, member.reset_jti)
    await queue_email(services, connection, template, member, RESET_PATH, token)  # type: ignore[arg-type]


async def send_set_password_email(services: Services, caller: Caller, email: str) -> None:
    caller.require_backend()
    member = await member_by_email(email)
    async with in_transaction() as connection:
        await send_password_link(services, connection, member, "set_password")


async def request_password_reset(services: Services, email: str) -> None:
    """Anyone may ask; the answer is the same whether or not the account exists."""
    member = await Member.filter(email_key=normalise(email)).first() if email.strip() else None
    if member is None or member.status == "BLOCKED" or member.is_guest:
        return
    async with in_transaction() as connection:
        await send_password_link(services, connection, member, "reset_password")


async def reset_password(services: Services, caller: Caller, token: str, new_password: str) -> SessionGrant:
    check_policy(new_password)
    claim = services.tokens.read(Purpose.RESET, token)
    member = await Member.filter(id=claim.member_id).select_related("contact").first()
    if member is None:
        raise DomainError(ErrorCode.MEMBER_NOT_FOUND, "The member of this link no longer exists.")
    if member.status == "BLOCKED":
        raise DomainError(ErrorCode.LOGIN_DISABLED)
    password_hash = await services.hasher.hash(new_password)
    now = datetime.now(timezone.utc)
    async with in_transaction() as connection:
        # Following the emailed link proves the address: it counts as confirmed.
        used = await (
            Member.filter(id=member.id, reset_jti=claim.jti)
            .using_db(connection)
            .update(
                password_hash=password_hash,
                reset_jti=None,
                email_verified=True,
                confirm_jti=None,
                failed_logins=0,
                locked_until=None,
                updated_at=now,
                **end_sessions(),
            )
        )
        if not used:
            raise DomainError(ErrorCode.TOKEN_USED, "This password link was already used or replaced by a newer one.")
        member.session_epoch += 1  # as the update just raised it (a racing raise only ends this session too)
        await record(services, connection, caller, member.id, EventKind.PASSWORD_CHANGED, by="link")
        session_token = start_session(services, member) if member.status == "APPROVED" else None
    member.password_hash, member.email_verified, member.updated_at = password_hash, True, now
    if session_token is None:
        raise DomainError(ErrorCode.PENDING_APPROVAL, "The password is set; the member still waits for approval.")
    return SessionGrant(session_token=session_token, member=MemberView(member, full=True))


async def change_password(services: Services, caller: Caller, current_password: str, new_password: str) -> MemberView:
    member_id = caller.require_member()
    member = await Member.filter(id=member_id).select_related("contact").first()
    if member is None:
        raise DomainError(ErrorCode.NOT_LOGGED_IN)
    if not await services.hasher.verify(current_password, member.password_hash):
        raise DomainError(ErrorCode.WRONG_CURRENT_PASSWORD, property="currentPassword")
    check_policy(new_password)
    password_hash = await services.hasher.hash(new_password)
    now = datetime.now(timezone.utc)
    async with in_transaction() as connection:
        # Every other session ends; the one that changed the password stays.
        await (
            Member.filter(id=member.id)
            .using_db(connection)
            .update(password_hash=password_hash, updated_at=now, **end_sessions(keeping=caller.session_id))
        )
        await record(services, connection, caller, member.id, EventKind.PASSWORD_CHANGED, by="member")
    member.password_hash, member.updated_at = password_hash, now
    return MemberView(member, full=True)
