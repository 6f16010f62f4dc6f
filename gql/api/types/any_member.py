from __future__ import annotations

import strawberry

from gql.api.types.node import Node
from gql.api.types.profile import Profile


@strawberry.interface(
    description="A member as the caller may see it: `Member` (every field; the member itself and the backend) or "
    "`PublicMember` (the public profile; everybody else). Select the shared fields directly and the rest with "
    "`... on Member { … }`. Two types, so a normalised cache never mixes one member's two fieldsets."
)
class AnyMember(Node):
    profile: Profile = strawberry.field(description="What the member shows to others.")
