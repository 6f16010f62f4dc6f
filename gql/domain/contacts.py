"""A member's contact record (the site's CRM entry), and when one may be reused.

Wix lets a site's own registrant reuse the contact that already has its email. Reused at
registration, that would hand whatever the contact held (phones, other emails, custom
fields) to anyone who types the address. So the rule is: **no caller reads contact data it
did not write, unless it is the backend or has proved control of that email.**

- Registration always writes a new contact holding only what the registrant sent.
- A self-registered member that proves its address (follows the confirmation link, or a
  password link, both mailed there) *claims* the site's existing contact for that address:
  the member moves onto it, what the contact lacked is filled in from the member's own, and
  the member's interim contact goes. Backend registrations never claim (Wix: the backend
  always creates a new contact).
- Deleting a member keeps its contact for the site but detaches it from the address, so no
  later registrant, proved or not, ever receives it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from gql.db.models import Contact, Member
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.properties import check_length

MAX_LIST_ITEMS = 100


@dataclass(frozen=True)
class ContactInfo:
    first_name: str | None = None
    last_name: str | None = None
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    picture: str | None = None
    custom_fields: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, row: Contact) -> ContactInfo:
        return cls(
            first_name=row.first_name,
            last_name=row.last_name,
            phones=tuple(row.phones or ()),
            emails=tuple(row.emails or ()),
            picture=row.picture,
            custom_fields=dict(row.custom_fields or {}),
        )


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


def _merge_into(contact: Contact, info: ContactInfo, custom: dict[str, Any]) -> bool:
    """Fill what the contact lacks; never overwrite what it already holds."""
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


async def save_contact(
    connection: BaseDBAsyncClient | None,
    contact: Contact | None,
    email_key: str | None,
    info: ContactInfo,
    custom: dict[str, Any],
) -> Contact:
    """A new contact holding ``info``, or ``contact`` (the member's own, e.g. a guest's) with what it lacked filled in."""
    if contact is None:
        contact = Contact(
            email_key=email_key,
            first_name=info.first_name,
            last_name=info.last_name,
            phones=list(info.phones),
            emails=list(info.emails),
            picture=info.picture,
            custom_fields=custom,
        )
        await contact.save(using_db=connection)
        return contact
    changed = _merge_into(contact, info, custom)
    if contact.email_key != email_key and email_key is not None:
        contact.email_key, changed = email_key, True
    if changed:
        await contact.save(using_db=connection)
    return contact


async def claim_contact(connection: BaseDBAsyncClient, member: Member) -> None:
    """The member proved its address: move it onto the site's unowned contact for that address, if any."""
    if not member.claims_contact or member.email_key is None:
        return
    await Member.filter(id=member.id).using_db(connection).update(claims_contact=False)
    member.claims_contact = False
    candidates = (
        await Contact.filter(email_key=member.email_key)
        .exclude(id=member.contact_id)
        .order_by("created_at")
        .using_db(connection)
    )
    for candidate in candidates:
        if await Member.filter(contact_id=candidate.id).using_db(connection).exists():
            continue  # another member's contact (e.g. a backend registration's): never shared
        own = await Contact.get(id=member.contact_id).using_db(connection)
        await save_contact(connection, candidate, member.email_key, ContactInfo.of(own), dict(own.custom_fields or {}))
        await Member.filter(id=member.id).using_db(connection).update(contact_id=candidate.id)
        await Contact.filter(id=own.id).using_db(connection).delete()
        member.contact = candidate  # type: ignore[assignment]
        member.contact_id = candidate.id  # type: ignore[attr-defined]
        return


async def detach_contact(connection: BaseDBAsyncClient, contact_id: Any) -> None:
    """A deleted member's contact stays for the site but no longer answers to its address."""
    await Contact.filter(id=contact_id).using_db(connection).update(email_key=None)
