from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from gql.api.types.enums import Permission
from gql.api.types.node import Node
from gql.domain.roles import RoleRecord


@strawberry.type(
    description="A role (Wix authorization, Backendless security roles): permissions its holders get. `admin` holds "
    "every permission; AuthenticatedUser, GuestUser and SocialUser are held without assignment."
)
class Role(Node):
    name: str = strawberry.field(description="The stable key, unique (case-insensitively).")
    title: str = strawberry.field(description="A name for people.")
    description: str = strawberry.field(description="What the role is for.")
    color: str | None = strawberry.field(description="A CSS color for the console and pages.")
    permissions: list[Permission] = strawberry.field(  # type: ignore[valid-type]
        description="What its holders may do on this server."
    )
    site_permissions: list[str] = strawberry.field(
        description="The site's own permissions (checked by the site's code, carried in access tokens)."
    )
    system: bool = strawberry.field(description="Built in: admin or a computed role (cannot be deleted).")
    require_mfa: bool = strawberry.field(
        description="Its permissions apply only to a session that proved a second factor (verifyMfa, a passkey "
        "sign-in, reauthenticate, or the session that enrolled the factor); until then its holders act without them "
        "and what only it grants answers 3243 (MfaRequiredError). Never on a built-in role."
    )
    computed: bool = strawberry.field(description="Held without assignment (AuthenticatedUser, GuestUser, SocialUser).")
    created_date: datetime = strawberry.field(description="When the role was made.")
    updated_date: datetime = strawberry.field(description="When the role last changed.")

    @strawberry.field(description="How many members hold it (computed roles: the members it applies to now).")
    async def member_count(self, info: Info) -> int:
        return await info.context.loaders.role_member_count.load(self.id_value)

    id_value: strawberry.Private[object]

    @classmethod
    def from_domain(cls, role: RoleRecord) -> Role:
        return cls(
            id=strawberry.ID(str(role.id)),
            id_value=role.id,
            name=role.name,
            title=role.title,
            description=role.description,
            color=role.color,
            permissions=sorted((Permission[p.name] for p in role.grants.permissions), key=lambda p: p.value),
            site_permissions=sorted(role.grants.site_permissions),
            system=role.system,
            require_mfa=role.require_mfa,
            computed=role.computed,
            created_date=role.created_at,
            updated_date=role.updated_at,
        )
