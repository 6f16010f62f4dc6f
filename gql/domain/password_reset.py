"""Setting, resetting and changing passwords."""

from __future__ import annotations

from datetime import datetime, timezone

from tortoise.backends.base.client import BaseDBAsyncClient

from gql.db.models import Member
from gql.db.transactions import in_transaction
from gql.domain import lockout
from gql.domain.approval import member_by_email
from gql.domain.caller import Caller
from gql.domain.contacts import claim_contact
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.events import EventKind, record
from gql.domain.identity import normalise
from gql.domain.links import new_link, open_link, unchanged
from gql.domain.outbox import queue_email
from gql.domain.passwords import check_policy
from gql.domain.services import Services
from gql.domain.sessions import SessionGrant, end_sessions, sign_in_refusal, start_session
from gql.domain.tokens import Purpose, new_jti
from gql.domain.views import BLOCKED, MemberView


async def send_password_link(services: Services, connection: BaseDBAsyncClient, member: Member, template: str) -> None:
    """A new single-use link (3 hours); it replaces any older one."""
    member.reset_jti = new_jti()
    await Member.filter(id=member.id).using_db(connection).update(reset_jti=member.reset_jti)
    await queue_email(services, connection, template, member, new_link(services, Purpose.RESET, member))


async def send_set_password_email(services: Services, caller: Caller, email: str) -> None:
    caller.require_backend()
    member = await member_by_email(email)
    async with in_transaction() as connection:
        await send_password_link(services, connection, member, "set_password")


async def request_password_reset(services: Services, caller: Caller, email: str) -> None:
    """Anyone may ask; the answer is the same whether or not the account exists."""
    await services.rate_limits.take("requestPasswordReset", caller, mailbox=email)
    member = await Member.filter(email_key=normalise(email)).first() if email.strip() else None
    if member is None or member.status == BLOCKED or member.is_guest:
        return
    async with in_transaction() as connection:
        await send_password_link(services, connection, member, "reset_password")


async def reset_password(services: Services, caller: Caller, token: str, new_password: str) -> SessionGrant:
    """Set the password with an emailed link. Every cheap check (limit, policy, signature, the
    account's state, the link's jti) comes before the one expensive step, the hash."""
    await services.rate_limits.take("resetPassword", caller)
    check_policy(new_password)
    claim, member = await open_link(services, Purpose.RESET, token)
    if member.reset_jti != claim.jti:
        raise DomainError(ErrorCode.TOKEN_USED, "This password link was already used or replaced by a newer one.")
    password_hash = await services.hasher.hash(new_password)
    now = datetime.now(timezone.utc)
    async with in_transaction() as connection:
        # Following the link proves the address it was sent to — still the login email, or
        # the link would not have opened — so the address counts as confirmed.
        used = await (
            Member.filter(unchanged(Purpose.RESET, member), id=member.id, reset_jti=claim.jti)
            .using_db(connection)
            .update(
                password_hash=password_hash,
                reset_jti=None,
                email_verified=True,
                confirm_jti=None,
                updated_at=now,
                **end_sessions(),
            )
        )
        if not used:
            raise DomainError(ErrorCode.TOKEN_USED, "This password link was already used or replaced by a newer one.")
        member.session_epoch += 1  # as the update just raised it (a racing raise only ends this session too)
        member.password_hash, member.reset_jti, member.email_verified, member.confirm_jti = (
            password_hash,
            None,
            True,
            None,
        )
        member.updated_at = now
        await lockout.clear(member, connection)  # the owner is back in: no lock an attacker set holds
        await claim_contact(connection, member)
        await record(services, connection, caller, member.id, EventKind.PASSWORD_CHANGED, by="link")
    if sign_in_refusal(member) is not None:
        # Pending approval: the password is saved, the session waits for the approval.
        raise DomainError(ErrorCode.PENDING_APPROVAL, "The password is set; the member still waits for approval.")
    return SessionGrant(session_token=start_session(services, member), member=MemberView(member, full=True))


async def change_password(services: Services, caller: Caller, current_password: str, new_password: str) -> MemberView:
    await services.rate_limits.take("login", caller)
    member_id = caller.require_member()
    check_policy(new_password)  # before any hash: a refused new password costs nothing
    member = await Member.filter(id=member_id).select_related("contact").first()
    if member is None:
        raise DomainError(ErrorCode.NOT_LOGGED_IN)
    if not await services.hasher.verify(current_password, member.password_hash):
        raise DomainError(ErrorCode.WRONG_CURRENT_PASSWORD, property="currentPassword")
    password_hash = await services.hasher.hash(new_password)
    now = datetime.now(timezone.utc)
    async with in_transaction() as connection:
        # Every other session ends; the one that changed the password stays. (The password
        # hash and the epoch both change: every emailed link of the member dies with them.)
        await (
            Member.filter(id=member.id)
            .using_db(connection)
            .update(password_hash=password_hash, updated_at=now, **end_sessions(keeping=caller.session_id))
        )
        await record(services, connection, caller, member.id, EventKind.PASSWORD_CHANGED, by="member")
    member.password_hash, member.updated_at = password_hash, now
    return MemberView(member, full=True)
