"""Profiles and administration (Wix members API): update, change login email, delete, create."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from tortoise.exceptions import IntegrityError

from gql.db.errors import violated_column
from gql.db.models import Contact, Member
from gql.db.transactions import in_transaction
from gql.domain import access
from gql.domain.caller import Caller
from gql.domain.changes import change
from gql.domain.confirmation import send_confirmation
from gql.domain.contacts import (
    Address,
    ContactInfo,
    Email,
    Phone,
    canonical_addresses,
    check_contact,
    check_entries,
    detach_contact,
    save_contact,
    to_json,
)
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.events import EventKind, record
from gql.domain.identity import checked_email, identity_is_unique, normalise
from gql.domain.lookup import find_by_id, member_by_id, not_found
from gql.domain.mfa_policy import require_recent_second_factor
from gql.domain.password_reset import send_password_link
from gql.domain.permissions import Permission
from gql.domain.profiles import nickname_for
from gql.domain.properties import check_custom_fields, check_length
from gql.domain.records import MemberRecord
from gql.domain.registration import MemberFields, insert_member
from gql.domain.services import Services
from gql.domain.statuses import MemberStatus, PrivacyStatus
from gql.domain.tokens import new_jti
from gql.domain.visibility import view_for

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")


@dataclass(frozen=True)
class MemberUpdate:
    """A partial update: None leaves a field as it is; an empty string clears a text field."""

    first_name: str | None = None
    last_name: str | None = None
    phones: tuple[Phone, ...] | None = None
    emails: tuple[Email, ...] | None = None
    picture: str | None = None
    custom_fields: dict[str, Any] | None = None
    nickname: str | None = None
    title: str | None = None
    photo: str | None = None
    privacy_status: PrivacyStatus | None = None
    slug: str | None = None
    addresses: tuple[Address, ...] | None = None
    # A date sets the birthdate; None with ``clear_birthdate`` clears it; None alone leaves it.
    birthdate: date | None = None
    clear_birthdate: bool = False
    company: str | None = None
    job_title: str | None = None

    def check(self) -> None:
        """Every rule on the values themselves, before anything is read or written."""
        for name, value in (
            ("firstName", self.first_name),
            ("lastName", self.last_name),
            ("picture", self.picture),
            ("company", self.company),
            ("jobTitle", self.job_title),
            ("nickname", self.nickname),
            ("title", self.title),
            ("photo", self.photo),
        ):
            check_length(name, value)
        check_entries(self.phones, self.emails, self.addresses)
        if self.nickname is not None and not self.nickname.strip():
            raise DomainError(ErrorCode.INVALID_ARGUMENT, "The nickname cannot be empty.", property="nickname")
        if self.slug is not None and not SLUG.match(self.slug):
            raise DomainError(
                ErrorCode.INVALID_ARGUMENT,
                "A slug is 1 to 60 lowercase letters, digits or inner hyphens.",
                property="slug",
            )


def _contact_changes(contact: Contact, update: MemberUpdate, custom: dict[str, Any] | None) -> list[str]:
    """Apply the contact's part of ``update`` to ``contact``; the names of what changed."""
    changed: list[str] = []
    for attr, value in (
        ("first_name", update.first_name),
        ("last_name", update.last_name),
        ("picture", update.picture),
        ("company", update.company),
        ("job_title", update.job_title),
    ):
        if value is not None:
            setattr(contact, attr, value or None)
            changed.append(attr)
    addresses = canonical_addresses(update.addresses) if update.addresses is not None else None
    for attr, entries in (("phones", update.phones), ("emails", update.emails), ("addresses", addresses)):
        if entries is not None:
            setattr(contact, attr, to_json(entries))
            changed.append(attr)
    if update.birthdate is not None or update.clear_birthdate:
        contact.birthdate = update.birthdate
        changed.append("birthdate")
    if custom is not None:
        contact.custom_fields = custom
        changed.append("custom_fields")
    return changed


def _profile_changes(member: Member, update: MemberUpdate) -> list[str]:
    """Apply the profile's part of ``update`` to ``member``; the names of what changed."""
    changed: list[str] = []
    if update.nickname is not None:
        nickname = update.nickname.strip()
        member.nickname, member.nickname_key = nickname, normalise(nickname)
        changed.append("nickname")
    for attr, value in (("title", update.title), ("photo", update.photo)):
        if value is not None:
            setattr(member, attr, value or None)
            changed.append(attr)
    if update.privacy_status is not None:
        member.privacy_status = update.privacy_status
        changed.append("privacy_status")
    if update.slug is not None:
        member.slug = update.slug
        changed.append("slug")
    return changed


async def _member_to_change(caller: Caller, member_id: str) -> Member:
    """The member ``caller`` wants to change. A member the caller may not see answers exactly as
    one that does not exist (3030), so the answer never tells who exists; one it may see but
    not change is 3029 (the member itself and MEMBERS_UPDATE may change it)."""
    member = await find_by_id(member_id)
    if member is not None and not caller.is_member(member.id):
        await access.grants_of(caller)  # only another member's change asks what the caller holds
    if member is None or view_for(caller, member) is None:
        raise not_found()
    if not (caller.is_member(member.id) or access.holds(caller, Permission.MEMBERS_UPDATE)):
        raise access.refusal(
            caller, [Permission.MEMBERS_UPDATE], "Only the member itself, or a holder of MEMBERS_UPDATE, may change it."
        )
    return member


async def update_member(services: Services, caller: Caller, member_id: str, update: MemberUpdate) -> MemberRecord:
    update.check()
    member = await _member_to_change(caller, member_id)
    custom = None
    if update.custom_fields is not None:
        custom = check_custom_fields(await services.registration_settings.get(), update.custom_fields)
    contact = member.contact
    changed = _contact_changes(contact, update, custom) + _profile_changes(member, update)
    if not changed:
        return MemberRecord.of(member)
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
    return MemberRecord.of(member)


async def delete_member_phones(services: Services, caller: Caller, member_id: str) -> MemberRecord:
    """Wix ``deleteMemberPhones``: the contact's phone numbers are gone (the member itself or MEMBERS_UPDATE)."""
    return await _clear_contact_list(services, caller, member_id, "phones")


async def delete_member_emails(services: Services, caller: Caller, member_id: str) -> MemberRecord:
    """Wix ``deleteMemberEmails``: the contact's further emails are gone; the login email stays."""
    return await _clear_contact_list(services, caller, member_id, "emails")


async def delete_member_addresses(services: Services, caller: Caller, member_id: str) -> MemberRecord:
    """Wix ``deleteMemberAddresses``: the contact's addresses are gone."""
    return await _clear_contact_list(services, caller, member_id, "addresses")


async def _clear_contact_list(services: Services, caller: Caller, member_id: str, attr: str) -> MemberRecord:
    """Empty one of the contact's lists, audited as a profile update naming it. An empty list stays as it
    is (nothing written, no event). Who may: as ``updateMember``; member callers spend the
    ``deleteContactDetails`` bucket."""
    await services.rate_limits.take("deleteContactDetails", caller)
    member = await _member_to_change(caller, member_id)
    contact = member.contact
    if not getattr(contact, attr):
        return MemberRecord.of(member)
    now = datetime.now(timezone.utc)
    async with in_transaction() as connection:
        await Contact.filter(id=contact.id).using_db(connection).update(**{attr: [], "updated_at": now})
        setattr(contact, attr, [])
        await change(member, connection, updated_at=now)
        await record(services, connection, caller, member.id, EventKind.PROFILE_UPDATED, fields=[attr])
    return MemberRecord.of(member)


async def change_login_email(services: Services, caller: Caller, member_id: str, new_email: str) -> MemberRecord:
    await access.require(caller, Permission.MEMBERS_UPDATE)
    member = await member_by_id(member_id, argument="memberId")
    require_recent_second_factor(services, caller, member)
    email = checked_email(new_email)
    settings = await services.registration_settings.get()
    member.login_email, member.email_key = email, normalise(email)
    if settings.identity_is_email:
        member.identity = member.email_key
    member.email_verified = False
    member.confirm_jti = new_jti() if settings.email_confirmation else None
    member.updated_at = datetime.now(timezone.utc)
    member.contact.email_key = member.email_key
    with identity_is_unique(message="Another member has that email."):
        async with in_transaction() as connection:
            await member.save(using_db=connection)
            await member.contact.save(using_db=connection)
            if member.confirm_jti:
                await send_confirmation(services, connection, member)
            await record(services, connection, caller, member.id, EventKind.LOGIN_EMAIL_CHANGED)
    return MemberRecord.of(member)


async def delete_member(services: Services, caller: Caller, member_id: str) -> MemberRecord:
    """Remove the member with its sessions and tokens (held on the row). The contact stays for
    the site, detached from the address: no later registrant of that email ever receives it.
    Returns the member as it was just before."""
    await access.require(caller, Permission.MEMBERS_DELETE)
    member = await member_by_id(member_id)
    async with in_transaction() as connection:
        await Member.filter(id=member.id).using_db(connection).delete()
        await detach_contact(connection, member.contact_id)
        await record(services, connection, caller, member.id, EventKind.DELETED, contactId=str(member.contact_id))
    return MemberRecord.of(member)


async def create_member(
    services: Services,
    caller: Caller,
    email: str,
    contact: ContactInfo,
    privacy_status: PrivacyStatus = PrivacyStatus.PRIVATE,
) -> MemberRecord:
    """An invited member: approved, no password yet, and a set-password email on its way."""
    await access.require(caller, Permission.MEMBERS_CREATE)
    address = checked_email(email)
    settings = await services.registration_settings.get()
    custom = check_custom_fields(settings, contact.custom_fields)
    check_contact(contact)
    if not settings.identity_is_email:
        raise DomainError(ErrorCode.REGISTRATION_ERROR, "createMember needs the email to be the identity property.")
    nickname = nickname_for(contact.first_name, contact.last_name, address, address)
    email_key = normalise(address)
    fields = MemberFields(
        identity=email_key,
        login_email=address,
        email_key=email_key,
        password_hash=None,
        status=MemberStatus.APPROVED,
        privacy_status=privacy_status,
        nickname=nickname,
        photo=contact.picture,
    )
    with identity_is_unique():
        async with in_transaction() as connection:
            row = await save_contact(connection, None, email_key, contact, custom)
            member = await insert_member(connection, row, fields)
            await send_password_link(services, connection, member, "set_password")
            await record(services, connection, caller, member.id, EventKind.CREATED)
    return MemberRecord.of(member)
