"""Email confirmation (Backendless): confirm by link, resend a link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from gql.db.models import Member
from gql.db.transactions import in_transaction
from gql.domain import access
from gql.domain.caller import Caller
from gql.domain.changes import change
from gql.domain.contacts import claim_contact
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.events import EventKind, record
from gql.domain.links import PATHS, bound, new_link, open_link, read_link, unchanged
from gql.domain.lookup import find_by_email
from gql.domain.outbox import queue_email
from gql.domain.permissions import Permission
from gql.domain.records import MemberRecord
from gql.domain.services import Services
from gql.domain.statuses import MemberStatus
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


async def confirmed_already(services: Services, token: str) -> bool:
    """Was this genuine confirmation link's address confirmed already (a second click on the link)?

    True only while the account is as the link knew it (the same address, password and status) and
    that address is verified: a link the account has moved on from says nothing about it. Called after
    ``confirm_email`` refused the link as used (3203), which took the rate limit."""
    try:
        claim, member = await read_link(services, Purpose.CONFIRM, token)
    except DomainError:
        return False
    return (
        member.email_verified
        and member.status != MemberStatus.BLOCKED
        and bound(services, Purpose.CONFIRM, claim, member)
    )


async def resend_confirmation(services: Services, caller: Caller, email: str) -> None:
    await services.rate_limits.take("resendEmailConfirmation", caller, mailbox=email)
    member = await _unconfirmed_member(services, email)
    async with in_transaction() as connection:
        await change(member, connection, confirm_jti=new_jti())
        await send_confirmation(services, connection, member)


@dataclass(frozen=True)
class ConfirmationUrl:
    """A confirmation link handed to the caller instead of mailed."""

    url: str
    expires_at: datetime
    member: MemberRecord


async def _unconfirmed_member(services: Services, email: str) -> Member:
    """The member of ``email`` that may be sent a confirmation link: 3103 while confirmation is off,
    3104 when no member has that email, 3102 when it is confirmed already."""
    settings = await services.registration_settings.get()
    if not settings.email_confirmation:
        raise DomainError(ErrorCode.EMAIL_CONFIRMATION_DISABLED)
    member = await find_by_email(email)
    if member is None:
        raise DomainError(ErrorCode.NO_ACCOUNT_WITH_EMAIL, property="email")
    if member.email_verified:
        raise DomainError(ErrorCode.EMAIL_ALREADY_CONFIRMED, property="email")
    return member


async def create_confirmation_url(services: Services, caller: Caller, email: str) -> ConfirmationUrl:
    """Backendless ``createEmailConfirmationURL``: a new confirmation link, returned instead of mailed
    (the site sends it its own way). As with ``resend_confirmation``, it replaces every older link."""
    await access.require(caller, Permission.MEMBERS_UPDATE)
    member = await _unconfirmed_member(services, email)
    async with in_transaction() as connection:
        await change(member, connection, confirm_jti=new_jti())
        link = new_link(services, Purpose.CONFIRM, member)
        await record(services, connection, caller, member.id, EventKind.EMAIL_CONFIRMATION_URL_CREATED)
    url = f"{services.config.link_base}{PATHS[Purpose.CONFIRM]}?token={link.token(services)}"
    return ConfirmationUrl(url, link.issued_at + Purpose.CONFIRM.ttl, MemberRecord.of(member))
