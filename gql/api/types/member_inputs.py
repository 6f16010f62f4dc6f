"""The inputs of ``updateMember`` and ``createMember``."""

from __future__ import annotations

from datetime import date

import strawberry

from gql.api.scalars import JSON
from gql.api.types.enums import PrivacyStatus
from gql.api.types.registration import (
    ContactAddressInput,
    ContactEmailInput,
    ContactInfoInput,
    ContactPhoneInput,
    addresses_to_domain,
    emails_to_domain,
    phones_to_domain,
)
from gql.domain import administration
from gql.domain.contacts import ContactInfo
from gql.domain.statuses import PrivacyStatus as DomainPrivacyStatus


@strawberry.input(description="A partial update: omitted fields stay as they are; an empty string clears a text field.")
class UpdateMemberInput:
    first_name: str | None = strawberry.field(default=None, description="The contact's first name.")
    last_name: str | None = strawberry.field(default=None, description="The contact's last name.")
    phones: list[ContactPhoneInput] | None = strawberry.field(
        default=None, description="Replaces the contact's phone numbers (deleteMemberPhones empties them)."
    )
    emails: list[ContactEmailInput] | None = strawberry.field(
        default=None, description="Replaces the contact's further emails (deleteMemberEmails empties them)."
    )
    addresses: list[ContactAddressInput] | None = strawberry.field(
        default=None, description="Replaces the contact's addresses (deleteMemberAddresses empties them)."
    )
    birthdate: date | None = strawberry.field(
        default=strawberry.UNSET, description="The contact's date of birth (YYYY-MM-DD); null clears it."
    )
    company: str | None = strawberry.field(default=None, description="The contact's company.")
    job_title: str | None = strawberry.field(default=None, description="The contact's job title.")
    picture: str | None = strawberry.field(default=None, description="The contact's picture URL.")
    custom_fields: JSON | None = strawberry.field(default=None, description="Replaces the custom fields when given.")
    nickname: str | None = strawberry.field(default=None, description="The profile's display name (not empty).")
    title: str | None = strawberry.field(default=None, description="The profile's title.")
    photo: str | None = strawberry.field(default=None, description="The profile's photo URL.")
    privacy_status: PrivacyStatus | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Make the profile PUBLIC or PRIVATE (Wix makeProfilePublic/Private)."
    )
    slug: str | None = strawberry.field(
        default=None, description="1 to 60 lowercase letters, digits or inner hyphens; unique (3205 when taken)."
    )

    def to_domain(self) -> administration.MemberUpdate:
        return administration.MemberUpdate(
            first_name=self.first_name,
            last_name=self.last_name,
            phones=phones_to_domain(self.phones),
            emails=emails_to_domain(self.emails),
            addresses=addresses_to_domain(self.addresses),
            birthdate=self.birthdate if self.birthdate else None,
            clear_birthdate=self.birthdate is None,
            company=self.company,
            job_title=self.job_title,
            picture=self.picture,
            custom_fields=self.custom_fields,
            nickname=self.nickname,
            title=self.title,
            photo=self.photo,
            privacy_status=DomainPrivacyStatus[self.privacy_status.name] if self.privacy_status else None,
            slug=self.slug,
        )


@strawberry.input(description="An invited member: approved, no password yet (a set-password email goes out).")
class CreateMemberInput:
    email: str = strawberry.field(description="The login email (unique, well-formed).")
    contact_info: ContactInfoInput | None = strawberry.field(default=None, description="Contact details.")
    privacy_status: PrivacyStatus = strawberry.field(  # type: ignore[valid-type]
        default=PrivacyStatus.PRIVATE, description="Whether others may see the member's profile."
    )

    def contact(self) -> ContactInfo:
        return (self.contact_info or ContactInfoInput()).to_domain()

    def privacy(self) -> DomainPrivacyStatus:
        return DomainPrivacyStatus[self.privacy_status.name]
