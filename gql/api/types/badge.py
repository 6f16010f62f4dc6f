from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from gql.api.types.node import Node
from gql.api.types.role import Role
from gql.domain.badges import BadgeRecord

if TYPE_CHECKING:
    from gql.api.types.member_connection import MemberConnection


@strawberry.type(description="A badge (Wix badges): shown on its holders' profiles, public ones included.")
class Badge(Node):
    title: str = strawberry.field(description="What the badge says.")
    slug: str = strawberry.field(description="Unique, URL-safe.")
    description: str = strawberry.field(description="What it is awarded for.")
    background_color: str | None = strawberry.field(description="A CSS color.")
    text_color: str | None = strawberry.field(description="A CSS color.")
    icon: str | None = strawberry.field(description="URL of an icon.")
    created_date: datetime = strawberry.field(description="When the badge was made.")
    updated_date: datetime = strawberry.field(description="When the badge last changed.")
    id_value: strawberry.Private[uuid.UUID]
    role_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="The role its holders get with it, if any.")
    async def role(self, info: Info) -> Role | None:
        if self.role_id is None:
            return None
        role = await info.context.loaders.role.load(self.role_id)
        return Role.from_domain(role) if role else None

    @strawberry.field(description="How many members hold it.")
    async def member_count(self, info: Info) -> int:
        return await info.context.loaders.badge_member_count.load(self.id_value)

    @strawberry.field(description="Its holders the caller may see, a page at a time (as `members(filter: {badgeId})`).")
    async def members(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="Page forward: this many (0 to 100).")] = 50,
        after: Annotated[str | None, strawberry.argument(description="Page forward from this cursor.")] = None,
    ) -> Annotated[MemberConnection, strawberry.lazy("gql.api.types.member_connection")] | None:
        from gql.api.types.member_connection import MemberConnection
        from gql.domain import members
        from gql.domain.paging import PageRequest

        page = await members.list_members(
            await info.context.caller(),
            info.context.services.cursors,
            PageRequest(first=first, after=after),
            members.MemberFilter(badge_id=str(self.id_value)),
            members.MemberSort(),
        )
        return MemberConnection.from_domain(page)

    @classmethod
    def from_domain(cls, badge: BadgeRecord) -> Badge:
        return cls(
            id=strawberry.ID(str(badge.id)),
            id_value=badge.id,
            role_id=badge.role_id,
            title=badge.title,
            slug=badge.slug,
            description=badge.description,
            background_color=badge.background_color,
            text_color=badge.text_color,
            icon=badge.icon,
            created_date=badge.created_at,
            updated_date=badge.updated_at,
        )
