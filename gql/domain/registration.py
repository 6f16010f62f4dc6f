"""Registering a member (Wix ``register``; Backendless user registration)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from tortoise.exceptions import IntegrityError

from gql.db.errors import violated_column
from gql.db.models import Contact, Member
from gql.db.transactions import in_transaction
from gql.domain import links
from gql.domain.caller import Caller
from gql.domain.confirmation import send_confirmation
from gql.domain.contacts import ContactInfo, check_contact, save_contact
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.events import EventKind, record
from gql.domain.identity import checked_email, normalise
from gql.domain.passwords import check_policy
from gql.domain.profiles import nickname_for, with_free_slug
from gql.domain.properties import check_custom_fields
from gql.domain.services import Services
from gql.domain.sessions import sign_in_refusal, start_session
from gql.domain.settings import RegistrationSettings
from gql.domain.tokens import Purpose, new_jti
from gql.domain.views import APPROVED, PENDING, MemberView

PRIVACY_STATUSES = ("PUBLIC", "PRIVATE")


class RegistrationStatus:
    """What a registration ended in: the values of the schema's ``RegistrationStatus``."""

    ACTIVE = "ACTIVE"  # approved and signed in: a session token comes with it
    PENDING = "PENDING"  # waits for approval (and for email confirmation when that is on)
    # Approved, but the email must be confirmed before any session: no token until then.
    EMAIL_CONFIRMATION_PENDING = "EMAIL_CONFIRMATION_PENDING"


@dataclass(frozen=True)
class RegistrationOptions:
    contact: ContactInfo = field(default_factory=ContactInfo)
    privacy_status: str = "PRIVATE"
    guest_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Registration:
    status: str  # a RegistrationStatus value
    member: MemberView
    approval_token: str | None = None
    session_token: str | None = None


def _identity_value(settings: RegistrationSettings, email: str | None, custom: dict[str, Any]) -> str:
    if settings.identity_is_email:
        assert email is not None
        return email
    return str(custom[settings.identity_property])


async def _convertible_guest(caller: Caller, guest_id: uuid.UUID) -> Member:
    """The guest to turn into this member: it must be a guest, and the caller its own session or the backend.

    One answer for every refusal, so the answer does not tell a guest's id from any other id.
    """
    guest = await Member.filter(id=guest_id).select_related("contact").first()
    if guest is None or not guest.is_guest or not (caller.is_backend or caller.is_member(guest.id)):
        raise DomainError(
            ErrorCode.NOT_CONVERTIBLE, "Only a guest's own session may convert that guest.", property="guestId"
        )
    return guest


def _checked_input(
    settings: RegistrationSettings, email: str | None, password: str, options: RegistrationOptions
) -> tuple[str | None, dict[str, Any]]:
    """Every rule on the input, in Backendless's order; the trimmed email and checked custom fields."""
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
    if options.privacy_status not in PRIVACY_STATUSES:
        raise DomainError(
            ErrorCode.INVALID_ARGUMENT, "privacyStatus must be PUBLIC or PRIVATE.", property="privacyStatus"
        )
    if email is not None:
        email = checked_email(email)
    check_policy(password)
    return email, custom


async def register(
    services: Services, caller: Caller, email: str | None, password: str, options: RegistrationOptions
) -> Registration:
    await services.rate_limits.take("register", caller)
    settings = await services.settings.get()
    email, custom = _checked_input(settings, email, password, options)
    guest = await _convertible_guest(caller, options.guest_id) if options.guest_id is not None else None

    identity_value = _identity_value(settings, email, custom)
    info = options.contact
    nickname = nickname_for(info.first_name, info.last_name, email, identity_value)
    automatic = settings.approval == "AUTOMATIC"
    fields: dict[str, Any] = {
        "identity": normalise(identity_value),
        "login_email": email,
        "email_key": normalise(email) if email else None,
        "password_hash": await services.hasher.hash(password),
        "status": APPROVED if automatic else PENDING,
        "privacy_status": options.privacy_status,
        "nickname": nickname,
        "nickname_key": normalise(nickname),
        "photo": info.picture,
        "approval_jti": None if automatic else new_jti(),
        "confirm_jti": new_jti() if settings.email_confirmation else None,
        "email_verified": False,
        "is_guest": False,
        # The site's registrant may take over the existing contact of its address once it
        # proves that address (gql/domain/contacts.py); the backend always makes a new one.
        "claims_contact": not caller.is_backend and email is not None,
    }
    try:
        async with in_transaction() as connection:
            if guest is None:
                contact = await save_contact(connection, None, fields["email_key"], info, custom)
                member = await with_free_slug(
                    nickname, lambda slug: _insert(connection, contact, {**fields, "slug": slug})
                )
            else:
                member = await with_free_slug(
                    nickname, lambda slug: _convert(connection, guest, {**fields, "slug": slug})
                )
                await save_contact(connection, guest.contact, fields["email_key"], info, custom)
            session_token = start_session(services, member) if sign_in_refusal(member) is None else None
            if member.confirm_jti:
                await send_confirmation(services, connection, member)
            await record(services, connection, caller, member.id, EventKind.REGISTERED, fromGuest=guest is not None)
    except IntegrityError as exc:
        column = violated_column(exc)
        if column in ("identity", "email_key"):
            raise DomainError(
                ErrorCode.IDENTITY_TAKEN,
                "A member with the same identity already exists.",
                property="email" if column == "email_key" else settings.identity_property,
            ) from None
        raise
    view = MemberView(member, full=True)  # the registrant's own record
    if session_token is not None:
        return Registration(status=RegistrationStatus.ACTIVE, member=view, session_token=session_token)
    if automatic:
        return Registration(status=RegistrationStatus.EMAIL_CONFIRMATION_PENDING, member=view)
    jti = member.approval_jti
    token = links.issue(services, Purpose.APPROVE, member) if caller.is_backend and jti else None
    return Registration(status=RegistrationStatus.PENDING, member=view, approval_token=token)


async def _insert(connection: Any, contact: Contact, fields: dict[str, Any]) -> Member:
    now = datetime.now(timezone.utc)
    return await Member.create(contact=contact, created_at=now, updated_at=now, using_db=connection, **fields)


async def _convert(connection: Any, guest: Member, fields: dict[str, Any]) -> Member:
    """The guest becomes the member, keeping its id; a racing second conversion finds no guest."""
    now = datetime.now(timezone.utc)
    converted = await Member.filter(id=guest.id, is_guest=True).using_db(connection).update(updated_at=now, **fields)
    if not converted:
        raise DomainError(ErrorCode.NOT_CONVERTIBLE, "This guest was already converted.", property="guestId")
    for name, value in fields.items():
        setattr(guest, name, value)
    guest.updated_at = now
    return guest
