"""The inputs of ``register`` and ``createMember``: contact details and registration options."""

from __future__ import annotations

import strawberry

from gql.api.scalars import JSON
from gql.api.types.enums import PrivacyStatus
from gql.domain import contacts, registration
from gql.domain.registration_settings import DEFAULT_VALUE_LIMIT, MAX_VALUE_LIMIT
from gql.domain.statuses import PrivacyStatus as DomainPrivacyStatus


@strawberry.input(description="Contact details stored with the member.")
class ContactInfoInput:
    first_name: str | None = strawberry.field(default=None, description="First name.")
    last_name: str | None = strawberry.field(default=None, description="Last name.")
    phones: list[str] | None = strawberry.field(default=None, description="Phone numbers.")
    emails: list[str] | None = strawberry.field(default=None, description="Further email addresses.")
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
            phones=tuple(self.phones or ()),
            emails=tuple(self.emails or ()),
            picture=self.picture,
            custom_fields=self.custom_fields if self.custom_fields is not None else {},
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
