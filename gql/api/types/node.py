from __future__ import annotations

import strawberry


@strawberry.interface(
    description="An object `node(id:)` can fetch again. Ids are UUIDs, unique across every type (not Relay's "
    "base64 global ids): the id a client already holds is the one to send."
)
class Node:
    id: strawberry.ID = strawberry.field(description="The object's UUID.")
