"""Registering a member (Wix ``register``; Backendless user registration)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from gql.db.models import Contact, Member
from gql.db.sql import Sql
from gql.domain.caller import Caller
from gql.domain.confirmation import send_confirmation
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.events import EventKind, record
from gql.domain.identity import checked_email, normalise
from gql.domain.passwords import check_policy
from gql.domain.profiles import nickname_for, with_free_slug
from gql.domain.properties import check_custom_fields, check_length
from gql.domain.services import Services
from gql.domain.sessions import start_session
from gql.domain.settings import RegistrationSettings
from gql.domain.storage_errors import violated_column
from gql.domain.tokens import Purpose, new_jti
from gql.domain.views import MemberView

MAX_LIST_ITEMS = 100
PRIVACY_STATUSES = ("PUBLIC", "PRIVATE")


@dataclass(frozen=True)
class ContactInfo:
    first_name: str | None = None
    last_name: str | None = None
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    picture: str | None = None
    custom_fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RegistrationOptions:
    contact: ContactInfo = field(default_factory=ContactInfo)
    privacy_status: str = "PRIVATE"
    guest_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Registration:
    status: str  # ACTIVE (approved, logged in) or PENDING (waiting for approval)
    member: MemberView
    approval_token: str | None = None
    session_token: str | None = None


def check_contact(contact: ContactInfo) -> None:
    for name, value in (
        ("firstName", contact.first_name),
        ("lastName", contact.last_name),
        ("picture", contact.picture),
    ):
        check_length(name, value)
    for name, values in (("phones", contact.phones), ("emails", contact.emails)):
        if len(values) > MAX_LIST_ITEMS:
            raise DomainError(
                ErrorCode.INVALID_ARGUMENT, f"At most {MAX_LIST_ITEMS} {name}.", property=name, limit=MAX_LIST_ITEMS
            )
        for value in values:
            check_length(name, value)


def _identity_value(settings: RegistrationSettings, email: str | None, custom: dict[str, Any]) -> str:
    if settings.identity_is_email:
        assert email is not None
        return email
    return str(custom[settings.identity_property])


def _new_contact(email_key: str | None, info: ContactInfo, custom: dict[str, Any]) -> Contact:
    return Contact(
        email_key=email_key,
        first_name=info.first_name,
        last_name=info.last_name,
        phones=list(info.phones),
        emails=list(info.emails),
        picture=info.picture,
        custom_fields=custom,
    )


async def _contact_for(
    connection: Any, caller: Caller, email_key: str | None, info: ContactInfo, custom: dict[str, Any]
) -> Contact:
    """A site's own registrant reuses the contact that already has this email (as on Wix).

    The usual case, no such contact, costs one statement: the insert that checks as it goes.
    A backend's register always makes a new contact.
    """
    if caller.is_backend or email_key is None:
        return await save_contact(connection, None, email_key, info, custom)
    contact = _new_contact(email_key, info, custom)
    if await Sql(connection).insert_unless_present(contact, "email_key"):
        return contact
    existing = await Contact.filter(email_key=email_key).order_by("created_at").using_db(connection).first()
    return await save_contact(connection, existing, email_key, info, custom)


def _merge_into(contact: Contact, info: ContactInfo, custom: dict[str, Any]) -> bool:
    """Fill what the existing contact lacks; never overwrite what it already holds."""
    changed = False
    for attr, value in (("first_name", info.first_name), ("last_name", info.last_name), ("picture", info.picture)):
        if value and not getattr(contact, attr):
            setattr(contact, attr, value)
            changed = True
    for attr, values in (("phones", info.phones), ("emails", info.emails)):
        current = list(getattr(contact, attr) or [])
        extra = [v for v in values if v not in current]
        if extra:
            setattr(contact, attr, current + extra)
            changed = True
    missing = {k: v for k, v in custom.items() if k not in (contact.custom_fields or {})}
    if missing:
        contact.custom_fields = {**(contact.custom_fields or {}), **missing}
        changed = True
    return changed


async def _convertible_guest(caller: Caller, guest_id: uuid.UUID) -> Member:
    """The guest to turn into this member: it must be a guest, and the caller its own session or the backend."""
    guest = await Member.filter(id=guest_id).select_related("contact").first()
    if guest is None or not guest.is_guest:
        raise DomainError(
            ErrorCode.NOT_CONVERTIBLE, "No guest has that id (or it is already a member).", property="guestId"
        )
    if not (caller.is_backend or caller.is_member(guest.id)):
        raise DomainError(ErrorCode.NOT_CONVERTIBLE, "Only the guest's own session may convert it.", property="guestId")
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
        "status": "APPROVED" if automatic else "PENDING",
        "privacy_status": options.privacy_status,
        "nickname": nickname,
        "nickname_key": normalise(nickname),
        "photo": info.picture,
        "approval_jti": None if automatic else new_jti(),
        "confirm_jti": new_jti() if settings.email_confirmation else None,
        "email_verified": False,
        "is_guest": False,
    }
    try:
        async with in_transaction() as connection:
            if guest is None:
                contact = await _contact_for(connection, caller, fields["email_key"], info, custom)
                member = await with_free_slug(
                    nickname, lambda slug: _insert(connection, contact, {**fields, "slug": slug})
                )
            else:
                member = await with_free_slug(
                    nickname, lambda slug: _convert(connection, guest, {**fields, "slug": slug})
                )
                await save_contact(connection, guest.contact, fields["email_key"], info, custom)
            session_token = start_session(services, member) if automatic else None
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
    if automatic:
        return Registration(status="ACTIVE", member=view, session_token=session_token)
    jti = member.approval_jti
    token = services.tokens.issue(Purpose.APPROVE, member.id, jti) if caller.is_backend and jti else None
    return Registration(status="PENDING", member=view, approval_token=token)


async def save_contact(
    connection: Any, contact: Contact | None, email_key: str | None, info: ContactInfo, custom: dict[str, Any]
) -> Contact:
    """A new contact, or the reused one (guest's, or same email's) with what it lacked filled in."""
    if contact is None:
        contact = _new_contact(email_key, info, custom)
        await contact.save(using_db=connection)
        return contact
    changed = _merge_into(contact, info, custom)
    if contact.email_key != email_key and email_key is not None:
        contact.email_key, changed = email_key, True
    if changed:
        await contact.save(using_db=connection)
    return contact


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
