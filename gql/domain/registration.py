"""Registering a member (Wix ``register``; Backendless user registration)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from gql.db.models import Contact, Member
from gql.domain.caller import Caller
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.identity import checked_email, normalise
from gql.domain.passwords import check_policy
from gql.domain.profiles import nickname_for, slug_candidates
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


def _check_contact(contact: ContactInfo) -> None:
    for name, value in (("firstName", contact.first_name), ("lastName", contact.last_name), ("picture", contact.picture)):
        check_length(name, value)
    for name, values in (("phones", contact.phones), ("emails", contact.emails)):
        if len(values) > MAX_LIST_ITEMS:
            raise DomainError(ErrorCode.INVALID_ARGUMENT, f"At most {MAX_LIST_ITEMS} {name}.", property=name, limit=MAX_LIST_ITEMS)
        for value in values:
            check_length(name, value)


def _identity_value(settings: RegistrationSettings, email: str | None, custom: dict[str, Any]) -> str:
    if settings.identity_is_email:
        assert email is not None
        return email
    return str(custom[settings.identity_property])


async def _find_reusable_contact(email_key: str | None, connection: Any) -> Contact | None:
    if email_key is None:
        return None
    return await Contact.filter(email_key=email_key).order_by("created_at").using_db(connection).first()


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


async def register(
    services: Services, caller: Caller, email: str | None, password: str, options: RegistrationOptions
) -> Registration:
    settings = await services.settings.get()
    if not settings.enabled:
        raise DomainError(ErrorCode.REGISTRATION_DISABLED)
    if password == "":
        raise DomainError(ErrorCode.MISSING_PASSWORD, property="password")
    email = email.strip() if email and email.strip() else None
    if settings.identity_is_email and email is None:
        raise DomainError(ErrorCode.MISSING_IDENTITY, "The email is required: it is the identity property.", property="email")
    if settings.email_confirmation and email is None:
        raise DomainError(ErrorCode.EMAIL_REQUIRED, property="email")
    custom = check_custom_fields(settings, options.contact.custom_fields)
    _check_contact(options.contact)
    if options.privacy_status not in PRIVACY_STATUSES:
        raise DomainError(ErrorCode.INVALID_ARGUMENT, "privacyStatus must be PUBLIC or PRIVATE.", property="privacyStatus")
    if email is not None:
        email = checked_email(email)
    check_policy(password)
    if options.guest_id is not None:
        # Guests arrive with the member lifecycle; until then no id can name one.
        raise DomainError(ErrorCode.NOT_CONVERTIBLE, "No guest has that id.", property="guestId")

    identity_value = _identity_value(settings, email, custom)
    identity_key = normalise(identity_value)
    email_key = normalise(email) if email else None
    password_hash = await services.hasher.hash(password)
    info = options.contact
    nickname = nickname_for(info.first_name, info.last_name, email, identity_value)
    automatic = settings.approval == "AUTOMATIC"
    jti = None if automatic else new_jti()

    for slug in slug_candidates(nickname):
        try:
            async with in_transaction() as connection:
                contact = None if caller.is_backend else await _find_reusable_contact(email_key, connection)
                if contact is None:
                    contact = await Contact.create(
                        email_key=email_key,
                        first_name=info.first_name,
                        last_name=info.last_name,
                        phones=list(info.phones),
                        emails=list(info.emails),
                        picture=info.picture,
                        custom_fields=custom,
                        using_db=connection,
                    )
                elif _merge_into(contact, info, custom):
                    await contact.save(using_db=connection)
                now = datetime.now(timezone.utc)
                member = await Member.create(
                    identity=identity_key,
                    login_email=email,
                    email_key=email_key,
                    password_hash=password_hash,
                    status="APPROVED" if automatic else "PENDING",
                    privacy_status=options.privacy_status,
                    contact=contact,
                    nickname=nickname,
                    nickname_key=normalise(nickname),
                    slug=slug,
                    photo=info.picture,
                    approval_jti=jti,
                    created_at=now,
                    updated_at=now,
                    using_db=connection,
                )
                session_token = await start_session(services, member.id, connection) if automatic else None
        except IntegrityError as exc:
            column = violated_column(exc)
            if column == "slug":
                continue
            if column in ("identity", "email_key"):
                raise DomainError(
                    ErrorCode.IDENTITY_TAKEN, "A member with the same identity already exists.", property="email" if column == "email_key" else settings.identity_property
                ) from None
            raise
        view = MemberView(member, full=True)  # the registrant's own record
        if automatic:
            return Registration(status="ACTIVE", member=view, session_token=session_token)
        token = services.tokens.issue(Purpose.APPROVE, member.id, jti) if caller.is_backend and jti else None
        return Registration(status="PENDING", member=view, approval_token=token)
    raise DomainError(ErrorCode.REGISTRATION_ERROR, "Could not find a free profile slug; try again.")
