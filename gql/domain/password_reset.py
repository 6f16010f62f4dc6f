"""Setting, resetting and changing passwords."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from gql.db.models import Member
from gql.db.transactions import in_transaction
from gql.domain import access, lockout
from gql.domain.caller import Caller
from gql.domain.changes import change
from gql.domain.contacts import claim_contact
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.events import EventKind, record
from gql.domain.links import ending_links, new_link, open_link, unchanged
from gql.domain.lookup import find_by_email, find_by_id, member_by_email
from gql.domain.mfa_policy import require_recent_second_factor
from gql.domain.outbox import queue_email
from gql.domain.passwords import check_policy
from gql.domain.permissions import Permission
from gql.domain.records import MemberRecord
from gql.domain.services import Services
from gql.domain.sessions import MfaChallengeGrant, SessionGrant, end_sessions, sign_in, sign_in_refusal
from gql.domain.statuses import MemberStatus, SessionMethod
from gql.domain.tokens import Purpose, TokenClaim, new_jti


async def send_password_link(services: Services, connection: BaseDBAsyncClient, member: Member, template: str) -> None:
    """A new single-use link (``PASSWORD_LINK_LIFETIME``); it replaces any older one."""
    await change(member, connection, reset_jti=new_jti())
    await queue_email(services, connection, template, member, new_link(services, Purpose.RESET, member))


async def send_set_password_email(services: Services, caller: Caller, email: str) -> None:
    await access.require(caller, Permission.MEMBERS_UPDATE)
    member = await member_by_email(email)
    async with in_transaction() as connection:
        await send_password_link(services, connection, member, "set_password")


async def request_password_reset(services: Services, caller: Caller, email: str) -> None:
    """Anyone may ask; the answer is the same whether or not the account exists."""
    await services.rate_limits.take("requestPasswordReset", caller, mailbox=email)
    member = await find_by_email(email)
    if member is None or member.status == MemberStatus.BLOCKED or member.is_guest:
        return
    async with in_transaction() as connection:
        await send_password_link(services, connection, member, "reset_password")


async def _open_password_link(services: Services, token: str) -> tuple[TokenClaim, Member]:
    """The claim and member of a password link that would set a password now (gql/domain/links.py):
    3201 invalid, 3202 expired, 3203 used or replaced, 3030 member gone, 3000 blocked."""
    claim, member = await open_link(services, Purpose.RESET, token)
    if member.reset_jti != claim.jti:
        raise DomainError(ErrorCode.TOKEN_USED, "This password link was already used or replaced by a newer one.")
    return claim, member


@dataclass(frozen=True)
class PasswordLink:
    """What a password link's page needs to know before it shows its form."""

    first_password: bool  # the member has no password yet (invited): it sets one rather than resets it


async def check_password_link(services: Services, caller: Caller, token: str) -> PasswordLink:
    """Would this emailed password link set a password now? The checks ``reset_password`` makes before
    hashing (the rate limit, the signature, the expiry, the account's state, the link's jti), spending
    nothing: the link's page shows its form only for a link that works, and says at once why not."""
    await services.rate_limits.take("resetPassword", caller)
    _, member = await _open_password_link(services, token)
    return PasswordLink(first_password=member.password_hash is None)


async def reset_password(
    services: Services, caller: Caller, token: str, new_password: str
) -> SessionGrant | MfaChallengeGrant:
    """Set the password with an emailed link. Every cheap check (limit, policy, signature, the
    account's state, the link's jti) comes before the one expensive step, the hash."""
    await services.rate_limits.take("resetPassword", caller)
    check_policy(new_password)
    claim, member = await _open_password_link(services, token)
    password_hash = await services.hasher.hash(new_password)
    async with in_transaction() as connection:
        # Following the link proves the address it was sent to — still the login email, or
        # the link would not have opened — so the address counts as confirmed.
        used = await change(
            member,
            connection,
            where=unchanged(Purpose.RESET, member) & Q(reset_jti=claim.jti),
            password_hash=password_hash,
            reset_jti=None,
            email_verified=True,
            confirm_jti=None,
            updated_at=datetime.now(timezone.utc),
            **ending_links(),
        )
        if not used:
            raise DomainError(ErrorCode.TOKEN_USED, "This password link was already used or replaced by a newer one.")
        await end_sessions(connection, member.id)
        await lockout.clear(member, connection)  # the owner is back in: no lock an attacker set holds
        await claim_contact(connection, member)
        await record(services, connection, caller, member.id, EventKind.PASSWORD_CHANGED, by="link")
    if sign_in_refusal(member) is not None:
        # Pending approval: the password is saved, the session waits for the approval.
        raise DomainError(ErrorCode.PENDING_APPROVAL, "The password is set; the member still waits for approval.")
    # A reset proves the mailbox, not the second factor: a member with one is asked for it.
    return await sign_in(services, caller, member, SessionMethod.RESET)


async def change_password(services: Services, caller: Caller, current_password: str, new_password: str) -> MemberRecord:
    await services.rate_limits.take("login", caller)
    member_id = caller.require_member()
    check_policy(new_password)  # before any hash: a refused new password costs nothing
    member = await find_by_id(member_id)
    if member is None:
        raise DomainError(ErrorCode.NOT_LOGGED_IN)
    if not await services.hasher.verify(current_password, member.password_hash):
        raise DomainError(ErrorCode.WRONG_CURRENT_PASSWORD, property="currentPassword")
    require_recent_second_factor(services, caller, member)
    password_hash = await services.hasher.hash(new_password)
    async with in_transaction() as connection:
        # Every other session ends; the one that changed the password stays. (The password
        # hash and the security stamp both change: every emailed link of the member dies with them.)
        await change(
            member,
            connection,
            password_hash=password_hash,
            updated_at=datetime.now(timezone.utc),
            **ending_links(),
        )
        await end_sessions(connection, member.id, keeping=caller.session_id)
        await record(services, connection, caller, member.id, EventKind.PASSWORD_CHANGED, by="member")
    return MemberRecord.of(member)
