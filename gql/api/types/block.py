from __future__ import annotations

import strawberry

from gql.api.types.member import Member
from gql.domain.views import MemberView


@strawberry.type(description="The member is blocked: it cannot log in and its sessions are ended.")
class MemberBlocked:
    member: Member

    @classmethod
    def from_domain(cls, view: MemberView) -> MemberBlocked:
        return cls(member=Member.from_domain(view))
