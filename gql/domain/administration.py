"""Profiles and administration (Wix members API): update, change login email, delete, create."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from tortoise.exceptions import IntegrityError

from gql.db.errors import violated_column
from gql.db.models import Contact, Member
from gql.db.transactions import in_transaction
from gql.domain.caller import Caller
from gql.domain.confirmation import send_confirmation
from gql.domain.contacts import ContactInfo, check_contact, detach_contact, save_contact
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.events import EventKind, record
from gql.domain.identity import checked_email, normalise
from gql.domain.password_reset import send_password_link
from gql.domain.profiles import nickname_for, with_free_slug
from gql.domain.properties import check_custom_fields, check_length
from gql.domain.registration import PRIVACY_STATUSES
from gql.domain.services import Services
from gql.domain.tokens import new_jti
from gql.domain.views import APPROVED, MemberView, view_for

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")


@dataclass(frozen=True)
class MemberUpdate:
    """A partial update: None leaves a field as it is."""

    first_name: str | None = None
    last_name: str | None = None
    phones: tuple[str, ...] | None = None
    emails: tuple[str, ...] | None = None
    picture: str | None = None
    custom_fields: dict[str, Any] | None = None
    nickname: str | None = None
    title: str | None = None
    photo: str | None = None
    privacy_status: str | None = None
    slug: str | None = None


def _parse_id(member_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(member_id))
    except ValueError:
        raise DomainError(ErrorCode.MEMBER_NOT_FOUND, property="id") from None


async def _member(member_id: str) -> Member:
    member = await Member.filter(id=_parse_id(member_id)).select_related("contact").first()
    if member is None:
        raise DomainError(ErrorCode.MEMBER_NOT_FOUND, property="id")
    return member


def _apply_update(member: Member, contact: Contact, update: MemberUpdate, custom: dict[str, Any] | None) -> list[str]:
    changed: list[str] = []
    for attr, value in (
        ("first_name", update.first_name),
        ("last_name", update.last_name),
        ("picture", update.picture),
    ):
        if value is not None:
            setattr(contact, attr, value or None)
            changed.append(attr)
    for attr, values in (("phones", update.phones), ("emails", update.emails)):
        if values is not None:
            setattr(contact, attr, list(values))
            changed.append(attr)
    if custom is not None:
        contact.custom_fields = custom
        changed.append("custom_fields")
    if update.nickname is not None:
        nickname = update.nickname.strip()
        if not nickname:
            raise DomainError(ErrorCode.INVALID_ARGUMENT, "The nickname cannot be empty.", property="nickname")
        member.nickname, member.nickname_key = nickname, normalise(nickname)
        changed.append("nickname")
    for attr, value in (("title", update.title), ("photo", update.photo)):
        if value is not None:
            setattr(member, attr, value or None)
            changed.append(attr)
    if update.privacy_status is not None:
        if update.privacy_status not in PRIVACY_STATUSES:
            raise DomainError(
                ErrorCode.INVALID_ARGUMENT, "privacyStatus must be PUBLIC or PRIVATE.", property="privacyStatus"
            )
        member.privacy_status = update.privacy_status
        changed.append("privacy_status")
    if update.slug is not None:
        if not SLUG.match(update.slug):
            raise DomainError(
                ErrorCode.INVALID_ARGUMENT,
                "A slug is 1 to 60 lowercase letters, digits or inner hyphens.",
                property="slug",
            )
        member.slug = update.slug
        changed.append("slug")
    return changed


async def _member_to_change(caller: Caller, member_id: str) -> Member:
    """The member ``caller`` wants to change. A member the caller may not see answers exactly as
    one that does not exist (3030), so the answer never tells who exists; one it may see but
    not change is 3029."""
    member = await Member.filter(id=_parse_id(member_id)).select_related("contact").first()
    view = view_for(caller, member) if member is not None else None
    if member is None or view is None:
        raise DomainError(ErrorCode.MEMBER_NOT_FOUND, property="id")
    if not view.full:
        raise DomainError(ErrorCode.NOT_ALLOWED)
    return member


async def update_member(services: Services, caller: Caller, member_id: str, update: MemberUpdate) -> MemberView:
    member = await _member_to_change(caller, member_id)
    check_contact(
        ContactInfo(update.first_name, update.last_name, update.phones or (), update.emails or (), update.picture)
    )
    for name, value in (("nickname", update.nickname), ("title", update.title), ("photo", update.photo)):
        check_length(name, value)
    custom = None
    if update.custom_fields is not None:
        custom = check_custom_fields(await services.settings.get(), update.custom_fields)
    contact = member.contact
    changed = _apply_update(member, contact, update, custom)
    if not changed:
        return MemberView(member, full=True)
    member.updated_at = datetime.now(timezone.utc)
    try:
        async with in_transaction() as connection:
            await contact.save(using_db=connection)
            await member.save(using_db=connection)
            await record(services, connection, caller, member.id, EventKind.PROFILE_UPDATED, fields=changed)
    except IntegrityError as exc:
        if violated_column(exc) == "slug":
            raise DomainError(ErrorCode.SLUG_TAKEN, f'The slug "{member.slug}" is taken.', property="slug") from None
        raise
    return MemberView(member, full=True)


async def change_login_email(services: Services, caller: Caller, member_id: str, new_email: str) -> MemberView:
    caller.require_backend()
    member = await _member(member_id)
    email = checked_email(new_email)
    settings = await services.settings.get()
    member.login_email, member.email_key = email, normalise(email)
    if settings.identity_is_email:
        member.identity = member.email_key
    member.email_verified = False
    member.confirm_jti = new_jti() if settings.email_confirmation else None
    member.updated_at = datetime.now(timezone.utc)
    member.contact.email_key = member.email_key
    try:
        async with in_transaction() as connection:
            await member.save(using_db=connection)
            await member.contact.save(using_db=connection)
            if member.confirm_jti:
                await send_confirmation(services, connection, member)
            await record(services, connection, caller, member.id, EventKind.LOGIN_EMAIL_CHANGED)
    except IntegrityError as exc:
        if violated_column(exc) in ("identity", "email_key"):
            raise DomainError(ErrorCode.IDENTITY_TAKEN, "Another member has that email.", property="email") from None
        raise
    return MemberView(member, full=True)


async def delete_member(services: Services, caller: Caller, member_id: str) -> uuid.UUID:
    """Remove the member with its sessions and tokens (held on the row). The contact stays for
    the site, detached from the address: no later registrant of that email ever receives it."""
    caller.require_backend()
    member = await _member(member_id)
    async with in_transaction() as connection:
        await Member.filter(id=member.id).using_db(connection).delete()
        await detach_contact(connection, member.contact_id)
        await record(services, connection, caller, member.id, EventKind.DELETED, contactId=str(member.contact_id))
    return member.id


async def create_member(
    services: Services, caller: Caller, email: str, contact: ContactInfo, privacy_status: str = "PRIVATE"
) -> MemberView:
    """An invited member: approved, no password yet, and a set-password email on its way."""
    caller.require_backend()
    address = checked_email(email)
    settings = await services.settings.get()
    custom = check_custom_fields(settings, contact.custom_fields)
    check_contact(contact)
    if privacy_status not in PRIVACY_STATUSES:
        raise DomainError(
            ErrorCode.INVALID_ARGUMENT, "privacyStatus must be PUBLIC or PRIVATE.", property="privacyStatus"
        )
    if not settings.identity_is_email:
        raise DomainError(ErrorCode.REGISTRATION_ERROR, "createMember needs the email to be the identity property.")
    nickname = nickname_for(contact.first_name, contact.last_name, address, address)
    email_key = normalise(address)

    async def insert(connection: Any, row: Contact, slug: str) -> Member:
        now = datetime.now(timezone.utc)
        return await Member.create(
            identity=email_key,
            login_email=address,
            email_key=email_key,
            password_hash=None,
            status=APPROVED,
            privacy_status=privacy_status,
            contact=row,
            nickname=nickname,
            nickname_key=normalise(nickname),
            slug=slug,
            photo=contact.picture,
            created_at=now,
            updated_at=now,
            using_db=connection,
        )

    try:
        async with in_transaction() as connection:
            row = await save_contact(connection, None, email_key, contact, custom)
            member = await with_free_slug(nickname, lambda slug: insert(connection, row, slug))
            await send_password_link(services, connection, member, "set_password")
            await record(services, connection, caller, member.id, EventKind.CREATED)
    except IntegrityError as exc:
        if violated_column(exc) in ("identity", "email_key"):
            raise DomainError(ErrorCode.IDENTITY_TAKEN, property="email") from None
        raise
    return MemberView(member, full=True)
