from __future__ import annotations

from datetime import datetime

import strawberry

from gql.api.types.contact import Contact
from gql.api.types.enums import ActivityStatus, MemberStatus, PrivacyStatus
from gql.api.types.profile import Profile
from gql.domain.views import MemberView


@strawberry.type(
    description="A site member. Others see only id and profile (statuses UNKNOWN, no email); "
    "the member itself and the backend see every field."
)
class Member:
    id: strawberry.ID
    login_email: str | None
    login_email_verified: bool | None
    status: MemberStatus
    privacy_status: PrivacyStatus
    activity_status: ActivityStatus
    contact_id: strawberry.ID | None
    contact: Contact | None
    profile: Profile
    created_date: datetime | None
    updated_date: datetime | None
    last_login_date: datetime | None

    @classmethod
    def from_domain(cls, view: MemberView) -> Member:
        row = view.member
        if not view.full:
            return cls(
                id=strawberry.ID(str(row.id)),
                login_email=None,
                login_email_verified=None,
                status=MemberStatus.UNKNOWN,
                privacy_status=PrivacyStatus.UNKNOWN,
                activity_status=ActivityStatus.UNKNOWN,
                contact_id=None,
                contact=None,
                profile=Profile.from_row(row),
                created_date=None,
                updated_date=None,
                last_login_date=None,
            )
        return cls(
            id=strawberry.ID(str(row.id)),
            login_email=row.login_email,
            login_email_verified=row.email_verified,
            status=MemberStatus(row.status),
            privacy_status=PrivacyStatus(row.privacy_status),
            activity_status=ActivityStatus(row.activity_status),
            contact_id=strawberry.ID(str(row.contact_id)),
            contact=Contact.from_row(row.contact),
            profile=Profile.from_row(row),
            created_date=row.created_at,
            updated_date=row.updated_at,
            last_login_date=row.last_login_at,
        )
