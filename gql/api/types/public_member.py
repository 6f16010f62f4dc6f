from __future__ import annotations

import strawberry

from gql.api.types.any_member import AnyMember
from gql.api.types.profile import Profile
from gql.domain.records import PublicMemberRecord


@strawberry.type(
    description="A member as everybody else sees it (Wix's PUBLIC fieldset): only PUBLIC, APPROVED members, "
    "and of them only the id and the profile."
)
class PublicMember(AnyMember):
    @classmethod
    def from_domain(cls, member: PublicMemberRecord) -> PublicMember:
        return cls(id=strawberry.ID(str(member.id)), member_id=member.id, profile=Profile.from_domain(member.profile))
