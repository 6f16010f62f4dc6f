"""Registering a member (Wix ``register``; Backendless user registration).

A registration goes: the input checked against the settings (in Backendless's order) → the
guest to convert, if one is named → the new member's fields (the password hashed in a
worker thread) → one transaction that writes the member (a new row, or the guest's row
turned into the member) with its contact, the confirmation mail and the audit event → the
result, whose status says whether a session came with it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from gql.db.models import Contact, Member
from gql.db.transactions import in_transaction
from gql.domain import access, guests, links
from gql.domain.caller import Caller
from gql.domain.confirmation import send_confirmation
from gql.domain.contacts import ContactInfo, check_contact, save_contact
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.events import EventKind, record
from gql.domain.identity import checked_email, identity_is_unique, normalise
from gql.domain.outbox import notify_admins_of_pending
from gql.domain.passwords import check_policy
from gql.domain.permissions import Permission
from gql.domain.profiles import nickname_for, with_free_slug
from gql.domain.properties import check_custom_fields
from gql.domain.records import MemberRecord
from gql.domain.registration_settings import RegistrationSettings
from gql.domain.services import Services
from gql.domain.sessions import SessionGrant, SessionRecord, open_session, sign_in_refusal
from gql.domain.statuses import ApprovalMode, MemberStatus, PrivacyStatus, RegistrationStatus, SessionMethod
from gql.domain.tokens import Purpose, new_jti


@dataclass(frozen=True)
class RegistrationOptions:
    contact: ContactInfo = field(default_factory=ContactInfo)
    privacy_status: PrivacyStatus = PrivacyStatus.PRIVATE
    guest_id: str | None = None


@dataclass(frozen=True)
class Registration:
    status: RegistrationStatus
    member: MemberRecord
    approval_token: str | None = None
    session_token: str | None = None
    session: SessionRecord | None = None


@dataclass(frozen=True)
class MemberFields:
    """What a new member row holds besides its contact, slug and dates."""

    identity: str | None
    login_email: str | None
    email_key: str | None
    password_hash: str | None
    status: MemberStatus
    privacy_status: PrivacyStatus
    nickname: str
    photo: str | None = None
    approval_jti: str | None = None
    confirm_jti: str | None = None
    email_verified: bool = False
    is_guest: bool = False
    # A self-registered member takes over the site's existing contact of its address once it
    # proves that address (gql/domain/contacts.py); the backend always makes a new one.
    claims_contact: bool = False

    def columns(self, slug: str) -> dict[str, Any]:
        return {**asdict(self), "nickname_key": normalise(self.nickname), "slug": slug}


async def insert_member(connection: BaseDBAsyncClient, contact: Contact, fields: MemberFields) -> Member:
    """A new member row with the first free slug for its nickname (the one insert of every way in)."""

    async def insert(slug: str) -> Member:
        now = datetime.now(timezone.utc)
        return await Member.create(
            contact=contact, created_at=now, updated_at=now, using_db=connection, **fields.columns(slug)
        )

    return await with_free_slug(fields.nickname, insert)


def _checked_input(
    settings: RegistrationSettings, email: str | None, password: str, options: RegistrationOptions
) -> tuple[str | None, dict[str, Any]]:
    """Every rule on the input, in Backendless's order; the canonical email and checked custom fields."""
    if not settings.enabled:
        raise DomainError(ErrorCode.REGISTRATION_DISABLED)
    if password == "":
        raise DomainError(ErrorCode.MISSING_PASSWORD, property="password")
    email = email.strip() if email and email.strip() else None
    if settings.identity_is_email and email is None:
        raise DomainError(
            ErrorCode.MISSING_IDENTITY, "The email is required: it is the identity property.", property="email"
        )
    if settings.email_confirmation and email is None:
        raise DomainError(ErrorCode.EMAIL_REQUIRED, property="email")
    custom = check_custom_fields(settings, options.contact.custom_fields)
    check_contact(options.contact)
    if email is not None:
        email = checked_email(email)
    check_policy(password)
    return email, custom


def _identity_value(settings: RegistrationSettings, email: str | None, custom: dict[str, Any]) -> str:
    if settings.identity_is_email:
        assert email is not None
        return email
    return str(custom[settings.identity_property])


async def _new_member_fields(
    services: Services,
    caller: Caller,
    settings: RegistrationSettings,
    email: str | None,
    password: str,
    options: RegistrationOptions,
    custom: dict[str, Any],
) -> MemberFields:
    identity = _identity_value(settings, email, custom)
    info = options.contact
    automatic = settings.approval is ApprovalMode.AUTOMATIC
    return MemberFields(
        identity=normalise(identity),
        login_email=email,
        email_key=normalise(email) if email else None,
        password_hash=await services.hasher.hash(password),
        status=MemberStatus.APPROVED if automatic else MemberStatus.PENDING,
        privacy_status=options.privacy_status,
        nickname=nickname_for(info.first_name, info.last_name, email, identity),
        photo=info.picture,
        approval_jti=None if automatic else new_jti(),
        confirm_jti=new_jti() if settings.email_confirmation else None,
        claims_contact=not caller.is_backend and email is not None,
    )


async def _write(
    services: Services,
    caller: Caller,
    fields: MemberFields,
    guest: Member | None,
    options: RegistrationOptions,
    custom: dict[str, Any],
) -> tuple[Member, SessionGrant | None]:
    """The member, its contact, its confirmation mail, its audit event and — when it may hold one —
    its first session, in one transaction (one commit: a registration is one write to the disk)."""
    async with in_transaction() as connection:
        if guest is None:
            contact = await save_contact(connection, None, fields.email_key, options.contact, custom)
            member = await insert_member(connection, contact, fields)
        else:
            member = await guests.convert(connection, guest, fields)
            await save_contact(connection, guest.contact, fields.email_key, options.contact, custom)
        if member.confirm_jti:
            await send_confirmation(services, connection, member)
        if member.status is MemberStatus.PENDING:
            await notify_admins_of_pending(services, connection)
        await record(services, connection, caller, member.id, EventKind.REGISTERED, fromGuest=guest is not None)
        grant = None
        if sign_in_refusal(member) is None:
            grant = await open_session(services, caller, member, SessionMethod.REGISTRATION, connection=connection)
    return member, grant


async def _result(
    services: Services, caller: Caller, member: Member, grant: SessionGrant | None, may_approve: bool
) -> Registration:
    """ACTIVE with its session when the member may hold one; else why not, and (to a caller that may
    approve: the seed keeps tokens hidden from page code) the approval token."""
    record_ = MemberRecord.of(member)  # the registrant's own record
    if grant is not None:
        return Registration(
            RegistrationStatus.ACTIVE, record_, session_token=grant.session_token, session=grant.session
        )
    if member.status is MemberStatus.APPROVED:
        return Registration(RegistrationStatus.EMAIL_CONFIRMATION_PENDING, record_)
    token = links.issue(services, Purpose.APPROVE, member) if may_approve and member.approval_jti else None
    return Registration(RegistrationStatus.PENDING, record_, approval_token=token)


async def register(
    services: Services, caller: Caller, email: str | None, password: str, options: RegistrationOptions
) -> Registration:
    await services.rate_limits.take("register", caller)
    settings = await services.registration_settings.get()
    email, custom = _checked_input(settings, email, password, options)
    guest = await guests.convertible(caller, options.guest_id) if options.guest_id is not None else None
    fields = await _new_member_fields(services, caller, settings, email, password, options, custom)
    with identity_is_unique(settings.identity_property):
        member, grant = await _write(services, caller, fields, guest, options, custom)
    return await _result(services, caller, member, grant, await access.can(caller, Permission.MEMBERS_APPROVE))
