from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from gql.api.types.node import Node
from gql.api.types.profile import Profile

if TYPE_CHECKING:
    from gql.api.types.badge import Badge


@strawberry.interface(
    description="A member as the caller may see it: `Member` (every field; the member itself and the backend) or "
    "`PublicMember` (the public profile; everybody else). Select the shared fields directly and the rest with "
    "`... on Member { … }`. Two types, so a normalised cache never mixes one member's two fieldsets."
)
class AnyMember(Node):
    profile: Profile = strawberry.field(description="What the member shows to others.")
    member_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The badges the member holds (shown on public profiles too, as on Wix).")
    async def badges(self, info: Info) -> list[Annotated[Badge, strawberry.lazy("gql.api.types.badge")]]:
        from gql.api.types.badge import Badge

        return [Badge.from_domain(b) for b in await info.context.loaders.badges_of_member.load(self.member_id)]
