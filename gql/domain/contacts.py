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

import re
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from gql.db.columns import Row
from gql.db.models import Contact, Member
from gql.domain.errors import DomainError, ErrorCode
from gql.domain.properties import check_length
from gql.domain.statuses import Described

MAX_LIST_ITEMS = 100
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")


class ContactTag(Described):
    """What a phone, an email or an address of a contact is for (Wix's tags)."""

    MAIN = "MAIN", "The main one."
    HOME = "HOME", "At home."
    MOBILE = "MOBILE", "A mobile phone."
    WORK = "WORK", "At work."
    FAX = "FAX", "A fax number."
    BILLING = "BILLING", "Where invoices go."
    SHIPPING = "SHIPPING", "Where goods are delivered."
    UNTAGGED = "UNTAGGED", "No tag."


def _tag(value: Any) -> ContactTag:
    try:
        return ContactTag(value)
    except ValueError:
        return ContactTag.UNTAGGED


@dataclass(frozen=True)
class Phone:
    """One phone number of a contact. Stored as ``{"phone", "tag", "primary"}`` in ``contact.phones``."""

    phone: str
    tag: ContactTag = ContactTag.UNTAGGED
    primary: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"phone": self.phone, "tag": self.tag.value, "primary": self.primary}

    @classmethod
    def from_json(cls, data: Any) -> Phone:
        # A bare string is the layout before migration 0006 (a process of the old version may
        # still write one while a deployment rolls): it reads as an untagged entry.
        if isinstance(data, str):
            return cls(data)
        return cls(str(data.get("phone") or ""), _tag(data.get("tag")), bool(data.get("primary")))


@dataclass(frozen=True)
class Email:
    """One further email of a contact (the login email is the member's). Stored as ``{"email", "tag", "primary"}``."""

    email: str
    tag: ContactTag = ContactTag.UNTAGGED
    primary: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"email": self.email, "tag": self.tag.value, "primary": self.primary}

    @classmethod
    def from_json(cls, data: Any) -> Email:
        if isinstance(data, str):
            return cls(data)
        return cls(str(data.get("email") or ""), _tag(data.get("tag")), bool(data.get("primary")))


_ADDRESS_PARTS = ("address_line", "address_line2", "city", "subdivision", "country", "postal_code")


@dataclass(frozen=True)
class Address:
    """One postal address of a contact (Wix's address fields). Stored with these names in ``contact.addresses``."""

    address_line: str | None = None
    address_line2: str | None = None
    city: str | None = None
    subdivision: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2, upper case
    postal_code: str | None = None
    tag: ContactTag = ContactTag.UNTAGGED

    def parts(self) -> tuple[str | None, ...]:
        return tuple(getattr(self, name) for name in _ADDRESS_PARTS)

    def to_json(self) -> dict[str, Any]:
        return {**{name: getattr(self, name) for name in _ADDRESS_PARTS}, "tag": self.tag.value}

    @classmethod
    def from_json(cls, data: Any) -> Address:
        if not isinstance(data, dict):
            return cls(address_line=str(data))
        return cls(**{name: data.get(name) for name in _ADDRESS_PARTS}, tag=_tag(data.get("tag")))


def phones_of(row: Contact | Row) -> tuple[Phone, ...]:
    return tuple(Phone.from_json(item) for item in row.phones or ())


def emails_of(row: Contact | Row) -> tuple[Email, ...]:
    return tuple(Email.from_json(item) for item in row.emails or ())


def addresses_of(row: Contact | Row) -> tuple[Address, ...]:
    return tuple(Address.from_json(item) for item in row.addresses or ())


def to_json(entries: tuple[Phone, ...] | tuple[Email, ...] | tuple[Address, ...]) -> list[dict[str, Any]]:
    """What a contact's JSON column holds for ``entries``."""
    return [entry.to_json() for entry in entries]


@dataclass(frozen=True)
class ContactInfo:
    first_name: str | None = None
    last_name: str | None = None
    phones: tuple[Phone, ...] = ()
    emails: tuple[Email, ...] = ()
    picture: str | None = None
    custom_fields: dict[str, Any] = field(default_factory=dict)
    addresses: tuple[Address, ...] = ()
    birthdate: date | None = None
    company: str | None = None
    job_title: str | None = None

    @classmethod
    def of(cls, row: Contact) -> ContactInfo:
        return cls(
            first_name=row.first_name,
            last_name=row.last_name,
            phones=phones_of(row),
            emails=emails_of(row),
            picture=row.picture,
            custom_fields=dict(row.custom_fields or {}),
            addresses=addresses_of(row),
            birthdate=row.birthdate,
            company=row.company,
            job_title=row.job_title,
        )


def _too_many(name: str, count: int) -> None:
    if count > MAX_LIST_ITEMS:
        raise DomainError(
            ErrorCode.INVALID_ARGUMENT, f"At most {MAX_LIST_ITEMS} {name}.", property=name, limit=MAX_LIST_ITEMS
        )


def _one_primary(name: str, entries: tuple[Phone, ...] | tuple[Email, ...]) -> None:
    if sum(1 for entry in entries if entry.primary) > 1:
        raise DomainError(ErrorCode.INVALID_ARGUMENT, f"At most one of the {name} is primary.", property=name)


def check_entries(
    phones: tuple[Phone, ...] | None, emails: tuple[Email, ...] | None, addresses: tuple[Address, ...] | None
) -> None:
    """The rules on a contact's lists (None: not given): at most ``MAX_LIST_ITEMS`` entries each, every
    text at most the default value limit, no blank phone or email, at most one primary phone and one
    primary email, an address with at least one part and a two-letter country code (ISO 3166-1 alpha-2)."""
    for name, entries in (("phones", phones), ("emails", emails)):
        if entries is None:
            continue
        _too_many(name, len(entries))
        for entry in entries:
            value = entry.phone if isinstance(entry, Phone) else entry.email
            check_length(name, value)
            if not value.strip():
                raise DomainError(ErrorCode.INVALID_ARGUMENT, f"An entry of {name} is empty.", property=name)
        _one_primary(name, entries)
    if addresses is not None:
        _too_many("addresses", len(addresses))
        for address in addresses:
            for part in address.parts():
                check_length("addresses", part)
            if not any(part and part.strip() for part in address.parts()):
                raise DomainError(ErrorCode.INVALID_ARGUMENT, "An address is empty.", property="addresses")
            if address.country and not _COUNTRY.match(address.country):
                raise DomainError(
                    ErrorCode.INVALID_ARGUMENT,
                    f'The country "{address.country}" is not a two-letter ISO 3166-1 code (such as "US").',
                    property="addresses",
                )


def canonical_addresses(addresses: tuple[Address, ...]) -> tuple[Address, ...]:
    """Addresses as stored: blank parts as null, country codes in upper case."""

    def canonical(address: Address) -> Address:
        parts = {
            name: value if value and value.strip() else None
            for name, value in zip(_ADDRESS_PARTS, address.parts(), strict=True)
        }
        if parts["country"]:
            parts["country"] = parts["country"].upper()
        return replace(address, **parts)

    return tuple(canonical(address) for address in addresses)


def check_contact(contact: ContactInfo) -> None:
    for name, value in (
        ("firstName", contact.first_name),
        ("lastName", contact.last_name),
        ("picture", contact.picture),
        ("company", contact.company),
        ("jobTitle", contact.job_title),
    ):
        check_length(name, value)
    check_entries(contact.phones, contact.emails, contact.addresses)


def _with_extra(current: tuple[Any, ...], given: tuple[Any, ...], key: Any) -> tuple[Any, ...] | None:
    """``current`` with the entries of ``given`` it lacks (compared by ``key``) appended, or None when it
    lacks none. An appended entry is primary only when ``current`` has no primary entry."""
    known = {key(entry) for entry in current}
    extra = [entry for entry in given if key(entry) not in known]
    if not extra:
        return None
    if any(getattr(entry, "primary", False) for entry in current):
        extra = [replace(entry, primary=False) if getattr(entry, "primary", False) else entry for entry in extra]
    return (*current, *extra)


def _merge_into(contact: Contact, info: ContactInfo, custom: dict[str, Any]) -> bool:
    """Fill what the contact lacks; never overwrite what it already holds."""
    changed = False
    for attr, value in (
        ("first_name", info.first_name),
        ("last_name", info.last_name),
        ("picture", info.picture),
        ("birthdate", info.birthdate),
        ("company", info.company),
        ("job_title", info.job_title),
    ):
        if value and not getattr(contact, attr):
            setattr(contact, attr, value)
            changed = True
    for attr, current, given, key in (
        ("phones", phones_of(contact), info.phones, lambda entry: entry.phone),
        ("emails", emails_of(contact), info.emails, lambda entry: entry.email),
        ("addresses", addresses_of(contact), canonical_addresses(info.addresses), lambda entry: entry.parts()),
    ):
        merged = _with_extra(current, given, key)
        if merged is not None:
            setattr(contact, attr, to_json(merged))
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
            phones=to_json(info.phones),
            emails=to_json(info.emails),
            picture=info.picture,
            custom_fields=custom,
            addresses=to_json(canonical_addresses(info.addresses)),
            birthdate=info.birthdate,
            company=info.company,
            job_title=info.job_title,
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
