from __future__ import annotations

import uuid

import strawberry

from gql.api.scalars import JSON
from gql.api.types.enums import PrivacyStatus, RegistrationStatus
from gql.api.types.member import Member
from gql.domain import contacts, registration


@strawberry.input(description="Contact details stored with the new member.")
class ContactInfoInput:
    first_name: str | None = None
    last_name: str | None = None
    phones: list[str] | None = None
    emails: list[str] | None = None
    picture: str | None = None
    custom_fields: JSON | None = strawberry.field(
        default=None,
        description='A JSON object of custom fields, e.g. {"hobby": "Basketball", "favorite-meal": "Pasta"}. '
        "Values are strings, numbers or booleans; at most 500 characters unless a declared property allows more (8000).",
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


@strawberry.input
class RegistrationOptions:
    contact_info: ContactInfoInput | None = None
    privacy_status: PrivacyStatus = strawberry.field(default=PrivacyStatus.PRIVATE, description="PUBLIC or PRIVATE.")
    guest_id: strawberry.ID | None = strawberry.field(default=None, description="Turn this guest into the new member.")

    def to_domain(self) -> registration.RegistrationOptions:
        try:
            guest_id = uuid.UUID(str(self.guest_id)) if self.guest_id else None
        except ValueError:
            guest_id = uuid.UUID(int=0)  # no guest has this id: refused as 3206 by the domain
        return registration.RegistrationOptions(
            contact=(self.contact_info or ContactInfoInput()).to_domain(),
            privacy_status=self.privacy_status.value,
            guest_id=guest_id,
        )


@strawberry.type(
    description="A registration: ACTIVE with a session token; PENDING approval; or EMAIL_CONFIRMATION_PENDING "
    "(approved, no session until the emailed confirmation link is followed)."
)
class RegistrationResult:
    status: RegistrationStatus
    member: Member = strawberry.field(description="The registrant's own full record.")
    approval_token: str | None = strawberry.field(
        description="Signed, single-use, 30 hours. Only returned to backend (X-Api-Key) callers."
    )
    session_token: str | None = strawberry.field(
        description="Set when the status is ACTIVE: approval is automatic and no email confirmation is pending."
    )

    @classmethod
    def from_domain(cls, result: registration.Registration) -> RegistrationResult:
        return cls(
            status=RegistrationStatus(result.status),
            member=Member.from_domain(result.member),
            approval_token=result.approval_token,
            session_token=result.session_token,
        )
