"""Inputs of the profile and administration mutations."""

from __future__ import annotations

import strawberry

from gql.api.scalars import JSON
from gql.api.types.enums import PrivacyStatus
from gql.api.types.registration import ContactInfoInput
from gql.domain import administration
from gql.domain.contacts import ContactInfo


@strawberry.input(description="A partial update: omitted fields stay as they are; an empty string clears a text field.")
class UpdateMemberInput:
    first_name: str | None = None
    last_name: str | None = None
    phones: list[str] | None = None
    emails: list[str] | None = None
    picture: str | None = None
    custom_fields: JSON | None = strawberry.field(default=None, description="Replaces the custom fields when given.")
    nickname: str | None = None
    title: str | None = None
    photo: str | None = None
    privacy_status: PrivacyStatus | None = None
    slug: str | None = strawberry.field(default=None, description="Must stay unique (3205 when taken).")

    def to_domain(self) -> administration.MemberUpdate:
        return administration.MemberUpdate(
            first_name=self.first_name,
            last_name=self.last_name,
            phones=tuple(self.phones) if self.phones is not None else None,
            emails=tuple(self.emails) if self.emails is not None else None,
            picture=self.picture,
            custom_fields=self.custom_fields,
            nickname=self.nickname,
            title=self.title,
            photo=self.photo,
            privacy_status=self.privacy_status.value if self.privacy_status else None,
            slug=self.slug,
        )


@strawberry.input
class CreateMemberInput:
    email: str
    contact_info: ContactInfoInput | None = None
    privacy_status: PrivacyStatus = PrivacyStatus.PRIVATE

    def contact(self) -> ContactInfo:
        return (self.contact_info or ContactInfoInput()).to_domain()
