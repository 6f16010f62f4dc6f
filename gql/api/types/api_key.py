from __future__ import annotations

from datetime import datetime

import strawberry

from gql.api.types.enums import Permission
from gql.api.types.node import Node
from gql.domain.api_keys import ApiKeyRecord


@strawberry.type(description="A scoped backend key (send it as X-Api-Key): it may do what its permissions cover.")
class ApiKey(Node):
    name: str = strawberry.field(description="What the key is for.")
    prefix: str = strawberry.field(description="The key's public part (`mbk_<prefix>_…`), to tell keys apart.")
    permissions: list[Permission] = strawberry.field(description="What it may do.")  # type: ignore[valid-type]
    site_permissions: list[str] = strawberry.field(description="The site's own permissions it carries.")
    created_date: datetime = strawberry.field(description="When it was made.")
    last_used_date: datetime | None = strawberry.field(description="When it was last used (to the minute).")

    @classmethod
    def from_domain(cls, key: ApiKeyRecord) -> ApiKey:
        return cls(
            id=strawberry.ID(str(key.id)),
            name=key.name,
            prefix=key.prefix,
            permissions=sorted((Permission[p.name] for p in key.grants.permissions), key=lambda p: p.value),
            site_permissions=sorted(key.grants.site_permissions),
            created_date=key.created_at,
            last_used_date=key.last_used_at,
        )
