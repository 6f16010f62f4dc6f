"""Email confirmation (Backendless): confirm by link, resend a link."""

from __future__ import annotations

from datetime import datetime, timezone

from tortoise.backends.base.client import BaseDBAsyncClient

from gql.db.models import Member
from gql.db.transactions import in_transaction
from gql.domain.caller import Caller
from gql.domain.contacts import claim_contact
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.events import EventKind, record
from gql.domain.identity import normalise
from gql.domain.links import new_link, open_link, unchanged
from gql.domain.outbox import queue_email
from gql.domain.services import Services
from gql.domain.tokens import Purpose, new_jti
from gql.domain.views import MemberView


async def send_confirmation(services: Services, connection: BaseDBAsyncClient, member: Member) -> None:
    """Queue a link for the member's current confirmation jti (a newer jti invalidates older links)."""
    await queue_email(services, connection, "confirm_email", member, new_link(services, Purpose.CONFIRM, member))


async def confirm_email(services: Services, caller: Caller, token: str) -> MemberView:
    await services.rate_limits.take("confirmEmail", caller)
    now = datetime.now(timezone.utc)
    async with in_transaction() as connection:
        claim, member = await open_link(services, Purpose.CONFIRM, token, connection)
        used = await (
            Member.filter(unchanged(Purpose.CONFIRM, member), id=member.id, confirm_jti=claim.jti)
            .using_db(connection)
            .update(email_verified=True, confirm_jti=None, updated_at=now)
        )
        if not used:
            if member.email_verified:
                raise DomainError(ErrorCode.TOKEN_USED, "This confirmation link was already used.")
            raise DomainError(ErrorCode.TOKEN_USED, "A newer confirmation link replaced this one.")
        member.email_verified, member.confirm_jti, member.updated_at = True, None, now
        await claim_contact(connection, member)  # the address is proved: the site's contact for it is the member's
        await record(services, connection, caller, member.id, EventKind.EMAIL_CONFIRMED)
    return MemberView(member, full=True)


async def resend_confirmation(services: Services, caller: Caller, email: str) -> None:
    await services.rate_limits.take("resendEmailConfirmation", caller, mailbox=email)
    settings = await services.settings.get()
    if not settings.email_confirmation:
        raise DomainError(ErrorCode.EMAIL_CONFIRMATION_DISABLED)
    member = await Member.filter(email_key=normalise(email)).first() if email.strip() else None
    if member is None:
        raise DomainError(ErrorCode.NO_ACCOUNT_WITH_EMAIL, property="email")
    if member.email_verified:
        raise DomainError(ErrorCode.EMAIL_ALREADY_CONFIRMED, property="email")
    member.confirm_jti = new_jti()
    async with in_transaction() as connection:
        await Member.filter(id=member.id).using_db(connection).update(confirm_jti=member.confirm_jti)
        await send_confirmation(services, connection, member)
