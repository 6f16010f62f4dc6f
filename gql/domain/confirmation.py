"""Email confirmation (Backendless): confirm by link, resend a link."""

from __future__ import annotations

from datetime import datetime, timezone

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from gql.db.models import Member
from gql.db.transactions import in_transaction
from gql.domain.caller import Caller
from gql.domain.changes import change
from gql.domain.contacts import claim_contact
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.events import EventKind, record
from gql.domain.links import new_link, open_link, unchanged
from gql.domain.lookup import find_by_email
from gql.domain.outbox import queue_email
from gql.domain.records import MemberRecord
from gql.domain.services import Services
from gql.domain.tokens import Purpose, new_jti


async def send_confirmation(services: Services, connection: BaseDBAsyncClient, member: Member) -> None:
    """Queue a link for the member's current confirmation jti (a newer jti invalidates older links)."""
    await queue_email(services, connection, "confirm_email", member, new_link(services, Purpose.CONFIRM, member))


async def confirm_email(services: Services, caller: Caller, token: str) -> MemberRecord:
    await services.rate_limits.take("confirmEmail", caller)
    async with in_transaction() as connection:
        claim, member = await open_link(services, Purpose.CONFIRM, token, connection)
        used = await change(
            member,
            connection,
            where=unchanged(Purpose.CONFIRM, member) & Q(confirm_jti=claim.jti),
            email_verified=True,
            confirm_jti=None,
            updated_at=datetime.now(timezone.utc),
        )
        if not used:
            if member.email_verified:
                raise DomainError(ErrorCode.TOKEN_USED, "This confirmation link was already used.")
            raise DomainError(ErrorCode.TOKEN_USED, "A newer confirmation link replaced this one.")
        await claim_contact(connection, member)  # the address is proved: the site's contact for it is the member's
        await record(services, connection, caller, member.id, EventKind.EMAIL_CONFIRMED)
    return MemberRecord.of(member)


async def resend_confirmation(services: Services, caller: Caller, email: str) -> None:
    await services.rate_limits.take("resendEmailConfirmation", caller, mailbox=email)
    settings = await services.registration_settings.get()
    if not settings.email_confirmation:
        raise DomainError(ErrorCode.EMAIL_CONFIRMATION_DISABLED)
    member = await find_by_email(email)
    if member is None:
        raise DomainError(ErrorCode.NO_ACCOUNT_WITH_EMAIL, property="email")
    if member.email_verified:
        raise DomainError(ErrorCode.EMAIL_ALREADY_CONFIRMED, property="email")
    async with in_transaction() as connection:
        await change(member, connection, confirm_jti=new_jti())
        await send_confirmation(services, connection, member)
