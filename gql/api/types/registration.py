"""The inputs of ``register`` and ``createMember``: contact details and registration options."""

from __future__ import annotations

from datetime import date

import strawberry

from gql.api.scalars import JSON
from gql.api.types.contact import ContactTag
from gql.api.types.enums import PrivacyStatus
from gql.domain import contacts, registration
from gql.domain.registration_settings import DEFAULT_VALUE_LIMIT, MAX_VALUE_LIMIT
from gql.domain.statuses import PrivacyStatus as DomainPrivacyStatus

_LIMITS = f"at most {contacts.MAX_LIST_ITEMS} entries, each value at most {DEFAULT_VALUE_LIMIT} characters"


def _tag(tag: ContactTag) -> contacts.ContactTag:  # type: ignore[valid-type]
    return contacts.ContactTag[tag.name]  # type: ignore[attr-defined]


@strawberry.input(description="A phone number with its tag.")
class ContactPhoneInput:
    phone: str = strawberry.field(description="The number (not blank).")
    tag: ContactTag = strawberry.field(  # type: ignore[valid-type]
        default=ContactTag.UNTAGGED, description="What the number is for."
    )
    primary: bool = strawberry.field(default=False, description="The primary phone (at most one in a list).")

    def to_domain(self) -> contacts.Phone:
        return contacts.Phone(self.phone, _tag(self.tag), self.primary)


@strawberry.input(description="A further email address with its tag.")
class ContactEmailInput:
    email: str = strawberry.field(description="The address (not blank).")
    tag: ContactTag = strawberry.field(  # type: ignore[valid-type]
        default=ContactTag.UNTAGGED, description="What the address is for."
    )
    primary: bool = strawberry.field(default=False, description="The primary email (at most one in a list).")

    def to_domain(self) -> contacts.Email:
        return contacts.Email(self.email, _tag(self.tag), self.primary)


@strawberry.input(description="A postal address with its tag: at least one part must be given.")
class ContactAddressInput:
    address_line: str | None = strawberry.field(default=None, description="Street and number (first line).")
    address_line2: str | None = strawberry.field(default=None, description="Apartment, suite, floor (second line).")
    city: str | None = strawberry.field(default=None, description="City or town.")
    subdivision: str | None = strawberry.field(
        default=None, description="State, province or region, such as an ISO 3166-2 code (`US-NY`)."
    )
    country: str | None = strawberry.field(
        default=None, description="Two-letter ISO 3166-1 country code (`US`, any case; stored upper case)."
    )
    postal_code: str | None = strawberry.field(default=None, description="Postal or ZIP code.")
    tag: ContactTag = strawberry.field(  # type: ignore[valid-type]
        default=ContactTag.UNTAGGED, description="What the address is for."
    )

    def to_domain(self) -> contacts.Address:
        return contacts.Address(
            address_line=self.address_line,
            address_line2=self.address_line2,
            city=self.city,
            subdivision=self.subdivision,
            country=self.country,
            postal_code=self.postal_code,
            tag=_tag(self.tag),
        )


def phones_to_domain(phones: list[ContactPhoneInput] | None) -> tuple[contacts.Phone, ...] | None:
    return tuple(phone.to_domain() for phone in phones) if phones is not None else None


def emails_to_domain(emails: list[ContactEmailInput] | None) -> tuple[contacts.Email, ...] | None:
    return tuple(email.to_domain() for email in emails) if emails is not None else None


def addresses_to_domain(addresses: list[ContactAddressInput] | None) -> tuple[contacts.Address, ...] | None:
    return tuple(address.to_domain() for address in addresses) if addresses is not None else None


@strawberry.input(description="Contact details stored with the member.")
class ContactInfoInput:
    first_name: str | None = strawberry.field(default=None, description="First name.")
    last_name: str | None = strawberry.field(default=None, description="Last name.")
    phones: list[ContactPhoneInput] | None = strawberry.field(
        default=None, description=f"Phone numbers with their tags ({_LIMITS})."
    )
    emails: list[ContactEmailInput] | None = strawberry.field(
        default=None, description=f"Further email addresses with their tags ({_LIMITS})."
    )
    addresses: list[ContactAddressInput] | None = strawberry.field(
        default=None, description=f"Postal addresses with their tags ({_LIMITS})."
    )
    birthdate: date | None = strawberry.field(default=None, description="Date of birth (YYYY-MM-DD).")
    company: str | None = strawberry.field(default=None, description="The company the contact works for.")
    job_title: str | None = strawberry.field(default=None, description="The contact's job title.")
    picture: str | None = strawberry.field(default=None, description="URL of a picture.")
    custom_fields: JSON | None = strawberry.field(
        default=None,
        description='A JSON object of custom fields, e.g. {"hobby": "Basketball", "favorite-meal": "Pasta"}. Values '
        f"are strings, numbers or booleans; at most {DEFAULT_VALUE_LIMIT} characters unless a declared property "
        f"allows more (up to {MAX_VALUE_LIMIT}).",
    )

    def to_domain(self) -> contacts.ContactInfo:
        return contacts.ContactInfo(
            first_name=self.first_name,
            last_name=self.last_name,
            phones=phones_to_domain(self.phones) or (),
            emails=emails_to_domain(self.emails) or (),
            picture=self.picture,
            custom_fields=self.custom_fields if self.custom_fields is not None else {},
            addresses=addresses_to_domain(self.addresses) or (),
            birthdate=self.birthdate,
            company=self.company,
            job_title=self.job_title,
        )


@strawberry.input(description="Everything about a registration besides the email and the password (Wix's options).")
class RegistrationOptions:
    contact_info: ContactInfoInput | None = strawberry.field(default=None, description="Contact details.")
    privacy_status: PrivacyStatus = strawberry.field(  # type: ignore[valid-type]
        default=PrivacyStatus.PRIVATE, description="Whether others may see the member's profile."
    )
    guest_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Turn this guest (the caller's own guest session, or any guest for the backend) "
        "into the new member, keeping its id (3206 otherwise).",
    )

    def to_domain(self) -> registration.RegistrationOptions:
        return registration.RegistrationOptions(
            contact=(self.contact_info or ContactInfoInput()).to_domain(),
            privacy_status=DomainPrivacyStatus[self.privacy_status.name],
            guest_id=str(self.guest_id) if self.guest_id is not None else None,
        )
