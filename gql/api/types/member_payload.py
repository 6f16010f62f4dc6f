from __future__ import annotations

from typing import Self

import strawberry

from gql.api.types.member import Member
from gql.domain.views import MemberView


@strawberry.interface(description="A mutation result that carries the member it changed.")
class MemberPayload:
    member: Member

    @classmethod
    def from_domain(cls, view: MemberView) -> Self:
        return cls(member=Member.from_domain(view))
