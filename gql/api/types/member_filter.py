"""The inputs of the members listing: its filter and its sort order."""

from __future__ import annotations

import strawberry

from gql.api.types.enums import MemberSortField, MemberStatus, PrivacyStatus, SortOrder
from gql.domain import members as domain
from gql.domain.statuses import MemberStatus as DomainMemberStatus
from gql.domain.statuses import PrivacyStatus as DomainPrivacyStatus


@strawberry.input(description="Narrows a members listing; the conditions combine (AND).")
class MemberFilter:
    status: MemberStatus | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Only members with this status (others see APPROVED members only)."
    )
    privacy_status: PrivacyStatus | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Only members with this privacy status (others see PUBLIC members only)."
    )
    nickname_prefix: str | None = strawberry.field(
        default=None, description="Only members whose nickname starts with this, case-insensitively."
    )
    email_prefix: str | None = strawberry.field(
        default=None,
        description="Only members whose login email starts with this, case-insensitively. Needs MEMBERS_READ "
        "(3029 otherwise: hidden emails must not be probed).",
    )

    role_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Only holders of this role, assigned or computed (Backendless findByRole; needs MEMBERS_READ).",
    )
    badge_id: strawberry.ID | None = strawberry.field(default=None, description="Only holders of this badge.")

    def to_domain(self) -> domain.MemberFilter:
        return domain.MemberFilter(
            status=DomainMemberStatus[self.status.name] if self.status else None,
            privacy_status=DomainPrivacyStatus[self.privacy_status.name] if self.privacy_status else None,
            nickname_prefix=self.nickname_prefix,
            email_prefix=self.email_prefix,
            role_id=str(self.role_id) if self.role_id is not None else None,
            badge_id=str(self.badge_id) if self.badge_id is not None else None,
        )


@strawberry.input(description="The order of a members listing; ties are broken by id.")
class MemberSort:
    field: MemberSortField = strawberry.field(  # type: ignore[valid-type]
        default=MemberSortField.CREATED_DATE, description="What to sort by."
    )
    order: SortOrder = strawberry.field(default=SortOrder.ASC, description="Which way.")

    def to_domain(self) -> domain.MemberSort:
        return domain.MemberSort(field=domain.SortField[self.field.name], descending=self.order is SortOrder.DESC)
