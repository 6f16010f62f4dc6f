from __future__ import annotations

from datetime import date

import strawberry

from gql.api.scalars import JSON
from gql.api.types.enums import schema_enum
from gql.domain import contacts
from gql.domain.records import ContactRecord

ContactTag = schema_enum(contacts.ContactTag)


@strawberry.type(description="A phone number of the contact, tagged (Wix's contact phone).")
class ContactPhone:
    phone: str = strawberry.field(description="The number, as given.")
    tag: ContactTag = strawberry.field(description="What the number is for.")  # type: ignore[valid-type]
    primary: bool = strawberry.field(description="Whether it is the contact's primary phone (at most one is).")

    @classmethod
    def from_domain(cls, phone: contacts.Phone) -> ContactPhone:
        return cls(phone=phone.phone, tag=ContactTag[phone.tag.name], primary=phone.primary)


@strawberry.type(description="A further email address of the contact, tagged (the login email is the member's).")
class ContactEmail:
    email: str = strawberry.field(description="The address, as given.")
    tag: ContactTag = strawberry.field(description="What the address is for.")  # type: ignore[valid-type]
    primary: bool = strawberry.field(description="Whether it is the contact's primary email (at most one is).")

    @classmethod
    def from_domain(cls, email: contacts.Email) -> ContactEmail:
        return cls(email=email.email, tag=ContactTag[email.tag.name], primary=email.primary)


@strawberry.type(description="A postal address of the contact, tagged (Wix's contact address).")
class ContactAddress:
    address_line: str | None = strawberry.field(description="Street and number (first line).")
    address_line2: str | None = strawberry.field(description="Apartment, suite, floor (second line).")
    city: str | None = strawberry.field(description="City or town.")
    subdivision: str | None = strawberry.field(
        description="State, province or region, such as an ISO 3166-2 code (`US-NY`)."
    )
    country: str | None = strawberry.field(description="Two-letter ISO 3166-1 country code, upper case (`US`).")
    postal_code: str | None = strawberry.field(description="Postal or ZIP code.")
    tag: ContactTag = strawberry.field(description="What the address is for.")  # type: ignore[valid-type]

    @classmethod
    def from_domain(cls, address: contacts.Address) -> ContactAddress:
        return cls(
            address_line=address.address_line,
            address_line2=address.address_line2,
            city=address.city,
            subdivision=address.subdivision,
            country=address.country,
            postal_code=address.postal_code,
            tag=ContactTag[address.tag.name],
        )


@strawberry.type(description="The member's contact record (the site's CRM entry). Cached by its own id.")
class Contact:
    id: strawberry.ID = strawberry.field(description="The contact's UUID (the member's `contactId`).")
    first_name: str | None = strawberry.field(description="First name.")
    last_name: str | None = strawberry.field(description="Last name.")
    phones: list[ContactPhone] = strawberry.field(description="Phone numbers, tagged, in the order given.")
    emails: list[ContactEmail] = strawberry.field(
        description="Further email addresses, tagged, in the order given (the login email is the member's)."
    )
    addresses: list[ContactAddress] = strawberry.field(description="Postal addresses, tagged, in the order given.")
    birthdate: date | None = strawberry.field(description="Date of birth.")
    company: str | None = strawberry.field(description="The company the contact works for.")
    job_title: str | None = strawberry.field(description="The contact's job title.")
    picture: str | None = strawberry.field(description="URL of a picture.")
    custom_fields: JSON = strawberry.field(description='Custom fields, e.g. {"hobby": "Basketball"}.')

    @classmethod
    def from_domain(cls, contact: ContactRecord) -> Contact:
        return cls(
            id=strawberry.ID(str(contact.id)),
            first_name=contact.first_name,
            last_name=contact.last_name,
            phones=[ContactPhone.from_domain(phone) for phone in contact.phones],
            emails=[ContactEmail.from_domain(email) for email in contact.emails],
            addresses=[ContactAddress.from_domain(address) for address in contact.addresses],
            birthdate=contact.birthdate,
            company=contact.company,
            job_title=contact.job_title,
            picture=contact.picture,
            custom_fields=dict(contact.custom_fields),
        )
